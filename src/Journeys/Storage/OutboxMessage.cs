using Journeys.Messaging;

namespace Journeys.Storage;

/// <summary>A message waiting in the outbox.</summary>
/// <param name="Message">The rendered message (its idempotency key is stable across attempts).</param>
/// <param name="EnrollmentId">The enrollment that sent it, or <see langword="null"/> for a one-shot sending.</param>
/// <param name="DueAt">When to (re)try it: now, the end of quiet hours, or a retry time.</param>
/// <param name="Attempts">Attempts made so far.</param>
public sealed record OutboxMessage(OutboundMessage Message, Guid? EnrollmentId, DateTimeOffset DueAt, int Attempts = 0);
