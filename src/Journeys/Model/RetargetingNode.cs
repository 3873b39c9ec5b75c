namespace Journeys.Model;

/// <summary>
/// The abandoned-cart pattern: waits up to <see cref="Window"/> for the conversion event; while it has not come,
/// sends each reminder at its offset. Leaves by <see cref="OnConverted"/> when the event comes, by
/// <see cref="OnExhausted"/> when the window ends without it.
/// </summary>
/// <param name="Id">The node id.</param>
/// <param name="ConversionEvent">The conversion event, such as <c>purchase</c>.</param>
/// <param name="Window">How long the customer has to convert.</param>
/// <param name="Reminders">The reminders, in increasing order of <see cref="RetargetingReminder.After"/>.</param>
/// <param name="OnConverted">Where converted customers go, or <see langword="null"/> to complete.</param>
/// <param name="OnExhausted">Where the others go when the window ends (required).</param>
public sealed record RetargetingNode(
    string Id,
    string ConversionEvent,
    TimeSpan Window,
    EquatableArray<RetargetingReminder> Reminders,
    string? OnConverted,
    string? OnExhausted) : JourneyNode(Id)
{
    /// <inheritdoc />
    public override EquatableArray<NodeEdge> GetEdges() => [new("onConverted", OnConverted, false), new("onExhausted", OnExhausted, true)];
}
