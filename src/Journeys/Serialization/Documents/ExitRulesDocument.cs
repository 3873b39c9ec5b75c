namespace Journeys.Serialization.Documents;

/// <summary>Exit rules.</summary>
internal sealed class ExitRulesDocument
{
    public List<GoalDocument?>? Goals { get; set; }
}
