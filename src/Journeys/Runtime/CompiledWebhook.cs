using System.Collections.Immutable;
using Journeys.Conditions;
using Journeys.Messaging;
using Journeys.Model;

namespace Journeys.Runtime;

/// <summary>A compiled webhook node.</summary>
internal sealed class CompiledWebhook(
    string id, int index, string url, ImmutableArray<(string Name, int Slot)> fields, TimeSpan timeout, int maxRetries, int onSuccess, int onFailure)
    : CompiledNode(id, index)
{
    public string Url { get; } = url;

    public ImmutableArray<(string Name, int Slot)> Fields { get; } = fields;

    public TimeSpan Timeout { get; } = timeout;

    public int MaxRetries { get; } = maxRetries;

    public int OnSuccess { get; } = onSuccess;

    public int OnFailure { get; } = onFailure;

    /// <summary>
    /// How long the enrollment waits for the call's result before taking the failure edge: every attempt's timeout, every
    /// pause between attempts at its longest (<see cref="WebhookInvoker.MaxRetryDelay"/>), and 5 minutes for the
    /// dispatcher to get to the call, so a call that is still retrying is not taken for failed.
    /// </summary>
    public TimeSpan ResultTimeout => (Timeout * (MaxRetries + 1)) + (WebhookInvoker.MaxRetryDelay * MaxRetries) + TimeSpan.FromMinutes(5);
}
