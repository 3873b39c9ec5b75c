using System.Collections.Frozen;
using System.Collections.Immutable;

namespace Journeys.Model;

/// <summary>The state of an enrollment.</summary>
public enum EnrollmentStatus
{
    /// <summary>Moving: ready for its next step.</summary>
    Active = 0,

    /// <summary>Waiting for a timer or an event.</summary>
    Waiting = 1,

    /// <summary>Reached the end of a path.</summary>
    Completed = 2,

    /// <summary>Emitted a goal event.</summary>
    Converted = 3,

    /// <summary>Left through an exit node.</summary>
    Exited = 4,

    /// <summary>A step failed permanently.</summary>
    Failed = 5,

    /// <summary>Cancelled, for example because the journey was stopped or the customer deleted.</summary>
    Cancelled = 6,
}
