namespace Journeys.Storage;

/// <summary>
/// One send to count against a customer's frequency cap (<see cref="IFrequencyCapStore"/>): the customer and the
/// message's idempotency key, which makes a reservation repeatable (the same key reserved again, after a crash or a
/// retry, is the same send and is not counted twice).
/// </summary>
/// <param name="CustomerId">The customer the message goes to.</param>
/// <param name="Key">The message's idempotency key (<see cref="Messaging.OutboundMessage.IdempotencyKey"/>).</param>
public readonly record struct SendReservation(string CustomerId, string Key);
