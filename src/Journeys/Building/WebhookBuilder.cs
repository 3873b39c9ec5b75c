using Journeys.Model;

namespace Journeys.Building;

/// <summary>Configures a webhook node: the customer fields sent, timeout, retries and the success / failure paths.</summary>
public sealed class WebhookBuilder
{
    internal static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(10);
    internal const int DefaultRetries = 3;

    private readonly BranchCollector _branches;

    internal WebhookBuilder(BuilderState state, string nodeId) => _branches = new BranchCollector(state, nodeId);

    /// <summary>The customer fields sent in the JSON body (besides the customer id).</summary>
    /// <param name="fields">Field names.</param>
    /// <returns>This builder.</returns>
    public WebhookBuilder Fields(params string[] fields)
    {
        ArgumentNullException.ThrowIfNull(fields);
        foreach (var field in fields)
        {
            ArgumentException.ThrowIfNullOrWhiteSpace(field, nameof(fields));
        }

        _branches.ThrowIfCompleted();
        _branches.State.Update(_branches.NodeId, n => ((WebhookNode)n) with { Fields = fields });
        return this;
    }

    /// <summary>The timeout of one attempt (default 10 seconds).</summary>
    /// <param name="timeout">A positive duration.</param>
    /// <returns>This builder.</returns>
    public WebhookBuilder Timeout(TimeSpan timeout)
    {
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(timeout, TimeSpan.Zero);
        _branches.ThrowIfCompleted();
        _branches.State.Update(_branches.NodeId, n => ((WebhookNode)n) with { Timeout = timeout });
        return this;
    }

    /// <summary>How many times a transient failure is retried (default 3, at most 10).</summary>
    /// <param name="retries">0 to 10.</param>
    /// <returns>This builder.</returns>
    public WebhookBuilder Retries(int retries)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(retries);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(retries, 10);
        _branches.ThrowIfCompleted();
        _branches.State.Update(_branches.NodeId, n => ((WebhookNode)n) with { MaxRetries = retries });
        return this;
    }

    /// <summary>The path after a successful call. Without it customers continue on the path after the webhook.</summary>
    /// <param name="path">The path.</param>
    /// <returns>This builder.</returns>
    public WebhookBuilder OnSuccess(Action<PathBuilder> path)
    {
        ArgumentNullException.ThrowIfNull(path);
        _branches.Claim(EdgeKind.OnSuccess, nameof(OnSuccess));
        _branches.Run(new OpenEnd(_branches.NodeId, EdgeKind.OnSuccess), path);
        return this;
    }

    /// <summary>The path after the call finally failed. Without it customers continue on the path after the webhook.</summary>
    /// <param name="path">The path.</param>
    /// <returns>This builder.</returns>
    public WebhookBuilder OnFailure(Action<PathBuilder> path)
    {
        ArgumentNullException.ThrowIfNull(path);
        _branches.Claim(EdgeKind.OnFailure, nameof(OnFailure));
        _branches.Run(new OpenEnd(_branches.NodeId, EdgeKind.OnFailure), path);
        return this;
    }

    internal List<OpenEnd> Complete() => _branches.Complete(EdgeKind.OnSuccess, EdgeKind.OnFailure);
}
