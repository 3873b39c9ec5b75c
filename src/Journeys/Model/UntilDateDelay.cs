namespace Journeys.Model;

/// <summary>Waits until an instant; a customer who arrives after it continues at once.</summary>
/// <param name="Until">The instant.</param>
public sealed record UntilDateDelay(DateTimeOffset Until) : DelaySpec;
