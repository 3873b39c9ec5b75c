using System.Collections.Immutable;

namespace Journeys.Storage;

/// <summary>A change to one counter.</summary>
/// <param name="JourneyId">The journey.</param>
/// <param name="Version">The version.</param>
/// <param name="NodeId">The node, or <see langword="null"/> for the journey as a whole.</param>
/// <param name="Counter">The counter.</param>
/// <param name="Amount">The change (usually 1).</param>
public readonly record struct StatisticDelta(string JourneyId, int Version, string? NodeId, StatisticCounter Counter, long Amount = 1);
