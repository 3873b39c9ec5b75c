namespace Journeys.Model;

/// <summary>
/// The lifecycle of a journey: <c>Draft → Active → Stopped</c>, plus <c>Validated</c> and <c>Archived</c>. Validation is a
/// check (<c>IJourneyManager.ValidateAsync</c>) that changes nothing stored; activation validates again and refuses a
/// journey with errors.
/// </summary>
public enum JourneyStatus
{
    /// <summary>Being edited; nodes can be added, replaced and removed.</summary>
    Draft = 0,

    /// <summary>
    /// A draft a document or the host application marked as checked. The library never sets it: it treats a validated
    /// journey as a draft (its nodes can be edited; activation validates it again), and an update makes it a draft.
    /// </summary>
    Validated = 1,

    /// <summary>Running: customers enter and move. Its nodes cannot be edited (clone or version instead).</summary>
    Active = 2,

    /// <summary>Stopped: no intake.</summary>
    Stopped = 3,

    /// <summary>Kept for its history only.</summary>
    Archived = 4,
}
