namespace Journeys.Model;

/// <summary>A list of customer ids ("input with list"), given with the journey and/or put later by API or CSV.</summary>
/// <param name="CustomerIds">The ids given with the journey.</param>
/// <param name="AcceptsAdditions">True when more ids may be put into the journey later (by API or CSV).</param>
public sealed record CustomerListEntry(EquatableArray<string> CustomerIds, bool AcceptsAdditions = true) : JourneyEntry;
