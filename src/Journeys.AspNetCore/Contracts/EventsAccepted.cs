namespace Journeys.AspNetCore.Contracts;

/// <summary>The answer of <c>POST /events</c>.</summary>
/// <param name="Accepted">The events of the body (all acknowledged).</param>
/// <param name="Duplicates">How many of them were retries (an id already published for the customer) and were not handled again.</param>
internal sealed record EventsAccepted(int Accepted, int Duplicates);
