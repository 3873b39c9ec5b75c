namespace Journeys.Serialization.Documents;

/// <summary>A goal event.</summary>
internal sealed class GoalDocument
{
    public string? Event { get; set; }

    public ConditionDocument? Condition { get; set; }
}
