using Journeys.Model;

namespace Journeys.Storage;

/// <summary>What happened to an enrollment request.</summary>
public enum EnrollmentOutcomeKind
{
    /// <summary>Created.</summary>
    Created = 0,

    /// <summary>The customer already has an active enrollment in the journey.</summary>
    DuplicateActive = 1,

    /// <summary>The re-entry rule refused it (never, or the cooldown has not passed).</summary>
    ReEntryRefused = 2,

    /// <summary>The journey's entry cap is reached.</summary>
    CapReached = 3,

    /// <summary>Outside the journey's entry window.</summary>
    OutsideWindow = 4,
}
