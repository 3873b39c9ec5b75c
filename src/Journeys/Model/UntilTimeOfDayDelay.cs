namespace Journeys.Model;

/// <summary>
/// Waits until the next occurrence of a local time of day in the customer's time zone (the journey's for
/// customers without one), correct across daylight-saving changes.
/// </summary>
/// <param name="TimeOfDay">The local time of day, such as 09:00.</param>
public sealed record UntilTimeOfDayDelay(TimeOnly TimeOfDay) : DelaySpec;
