namespace Journeys.Model;

/// <summary>A reminder a <see cref="RetargetingNode"/> sends while the conversion has not come.</summary>
/// <param name="After">When to send it, measured from the customer's arrival at the node; less than the window.</param>
/// <param name="Channel">The channel.</param>
/// <param name="Campaign">The campaign and its variable bindings.</param>
public sealed record RetargetingReminder(TimeSpan After, Channel Channel, CampaignReference Campaign);
