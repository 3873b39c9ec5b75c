using Journeys.Model;

namespace Journeys.Benchmarks;

/// <summary>
/// One WorkflowCore instance's data: the customer (id and fields laid out by schema slot, as the Journeys engine lays
/// them out) and what the steps did, for the correctness check after the run.
/// </summary>
public sealed class PeerCustomerData
{
    /// <summary>The customer id.</summary>
    public string CustomerId { get; set; } = "";

    /// <summary>The customer's fields by schema slot; the update step writes into it.</summary>
    public FieldValue[] Fields { get; set; } = [];

    /// <summary>Whether the filter matched.</summary>
    public bool Matched { get; set; }

    /// <summary>The random split's path, or -1 before the split.</summary>
    public int Path { get; set; } = -1;

    /// <summary>Messages the channel sender accepted.</summary>
    public int Sends { get; set; }

    /// <summary>When the delay falls due (set by the delay step as it goes to sleep).</summary>
    public DateTimeOffset? DueAt { get; set; }

    /// <summary>When the delay step ran again after its sleep.</summary>
    public DateTimeOffset? ResumedAt { get; set; }

    /// <summary>When the follow-up step (the send after the delay) called the channel sender.</summary>
    public DateTimeOffset? FollowUpSentAt { get; set; }

    /// <summary>1 once the harness saw the instance persisted as complete (<see cref="WorkflowCoreCompletion"/>): counted once.</summary>
    internal int PersistedComplete;
}
