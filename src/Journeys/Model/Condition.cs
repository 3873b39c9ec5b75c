namespace Journeys.Model;

/// <summary>
/// A condition on customer fields (or, where a node or entry says so, on event properties): a tree of
/// comparisons combined with <see cref="AllCondition"/>, <see cref="AnyCondition"/> and <see cref="NotCondition"/>.
/// Build one with the static factories, such as <see cref="Eq"/> and <see cref="All"/>.
/// </summary>
public abstract partial record Condition
{
    private protected Condition()
    {
    }
}
