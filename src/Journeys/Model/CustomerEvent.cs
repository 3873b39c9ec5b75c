using System.Collections.Frozen;
using System.Collections.Immutable;

namespace Journeys.Model;

/// <summary>
/// Something a customer did or that happened to a message sent to them: a custom event (<c>cart_abandoned</c>,
/// <c>purchase</c>) or channel feedback (<c>delivered</c>, <c>opened</c>, <c>clicked</c>) that refers to a message id.
/// </summary>
/// <param name="CustomerId">The customer.</param>
/// <param name="Name">The event name.</param>
/// <param name="Properties">The event's properties.</param>
/// <param name="Time">When it happened.</param>
/// <param name="MessageId">The message it refers to, for channel feedback.</param>
public sealed record CustomerEvent(
    string CustomerId,
    string Name,
    ImmutableDictionary<string, FieldValue> Properties,
    DateTimeOffset Time,
    string? MessageId = null)
{
    /// <summary>
    /// The publisher's id of this event, or <see langword="null"/> for none. An event published again with the id of an
    /// event of the same customer that was published within <see cref="Runtime.JourneysOptions.EventIdWindow"/> is a
    /// retry: it is acknowledged and not handled again. Ids are compared ordinally, per customer.
    /// </summary>
    public string? Id { get; init; }
}
