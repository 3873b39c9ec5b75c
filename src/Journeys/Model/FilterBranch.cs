namespace Journeys.Model;

/// <summary>One branch of a <see cref="FilterNode"/>.</summary>
/// <param name="Condition">The condition on customer fields.</param>
/// <param name="Next">Where customers who match go, or <see langword="null"/> to complete.</param>
public sealed record FilterBranch(Condition Condition, string? Next);
