namespace Journeys.Runtime;

/// <summary>Why a lifecycle operation on a journey was refused (<see cref="JourneyLifecycleException.Reason"/>).</summary>
public enum JourneyLifecycleRefusal
{
    /// <summary>The journey is archived: clone it to run it again.</summary>
    Archived = 0,

    /// <summary>The journey's entry window has ended: nobody could enter it, so it is not activated.</summary>
    EntryWindowEnded = 1,

    /// <summary>The journey is not active (a draft, validated, or stopped): activate it before enrolling customers.</summary>
    NotActive = 2,

    /// <summary>The journey was stopped (or deleted) while customers were being enrolled into it.</summary>
    StoppedDuringEntry = 3,

    /// <summary>
    /// The journey's audience is a customer list that accepts no additions (<see cref="Model.CustomerListEntry.AcceptsAdditions"/>
    /// false): only the ids given with the journey enter it, at its activation.
    /// </summary>
    ListClosed = 4,
}
