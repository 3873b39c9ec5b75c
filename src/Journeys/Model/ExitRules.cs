namespace Journeys.Model;

/// <summary>How enrollments end early.</summary>
/// <param name="Goals">Goal events that end an enrollment as converted.</param>
public sealed record ExitRules(EquatableArray<GoalEvent> Goals)
{
    /// <summary>No goals.</summary>
    public static ExitRules None { get; } = new(EquatableArray<GoalEvent>.Empty);
}
