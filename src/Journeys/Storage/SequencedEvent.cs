using Journeys.Model;

namespace Journeys.Storage;

/// <summary>A customer event with its sequence number in the customer's inbox.</summary>
/// <param name="Sequence">Increasing per store.</param>
/// <param name="Event">The event.</param>
public readonly record struct SequencedEvent(long Sequence, CustomerEvent Event);
