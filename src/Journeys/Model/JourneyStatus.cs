namespace Journeys.Model;

/// <summary>The lifecycle of a journey: <c>Draft → Validated → Active → Stopped</c>, plus <c>Archived</c>.</summary>
public enum JourneyStatus
{
    /// <summary>Being edited; nodes can be added, replaced and removed.</summary>
    Draft = 0,

    /// <summary>Validated clean; can be activated. Editing makes it a draft again.</summary>
    Validated = 1,

    /// <summary>Running: customers enter and move. Its nodes cannot be edited (clone or version instead).</summary>
    Active = 2,

    /// <summary>Stopped: no intake.</summary>
    Stopped = 3,

    /// <summary>Kept for its history only.</summary>
    Archived = 4,
}
