namespace Journeys.Serialization.Documents;

/// <summary>A filter branch.</summary>
internal sealed class FilterBranchDocument
{
    public ConditionDocument? Condition { get; set; }

    public string? Next { get; set; }
}
