namespace Journeys.Model;

/// <summary>
/// One branch of a <see cref="WaitForEventNode"/>: when the awaited event's properties match <see cref="Condition"/>
/// (and no earlier branch matched), the customer goes to <see cref="Target"/>.
/// </summary>
/// <param name="Condition">The condition on the event's properties (such as the clicked URL containing a text).</param>
/// <param name="Target">Where the customer goes when this branch decides, or <see langword="null"/> to complete.</param>
public sealed record EventBranch(Condition Condition, string? Target);
