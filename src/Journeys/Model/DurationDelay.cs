namespace Journeys.Model;

/// <summary>Waits a fixed duration.</summary>
/// <param name="Duration">The duration (positive).</param>
public sealed record DurationDelay(TimeSpan Duration) : DelaySpec;
