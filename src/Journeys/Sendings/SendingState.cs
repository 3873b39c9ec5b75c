namespace Journeys.Sendings;

/// <summary>Where a sending is in its life.</summary>
public enum SendingState
{
    /// <summary>Its audience is being enrolled (or the enrolling pass was interrupted; sending it again with the same id resumes it).</summary>
    Enrolling = 0,

    /// <summary>Its whole audience is enrolled; some messages are not yet sent, failed or capped.</summary>
    Running = 1,

    /// <summary>Every enrolled customer's message was sent, failed for good or skipped by the frequency cap.</summary>
    Completed = 2,

    /// <summary>Stopped: its enrollments not yet processed were cancelled and no more customers are enrolled.</summary>
    Stopped = 3,
}
