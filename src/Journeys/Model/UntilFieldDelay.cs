namespace Journeys.Model;

/// <summary>Waits until a date-time field of the customer plus an offset; a moment already past continues at once.</summary>
/// <param name="Field">The customer's date-time field, such as <c>renewalDate</c>.</param>
/// <param name="Offset">Added to the field's value (negative for "3 days before").</param>
public sealed record UntilFieldDelay(string Field, TimeSpan Offset) : DelaySpec;
