using System.Collections.Concurrent;
using Journeys.Building;
using Journeys.Messaging;
using Journeys.Runtime;

namespace Journeys.Tests.Shared;

/// <summary>
/// A sender for race tests (compiled into both test projects): records the customers it sends to, and holds the sends to
/// one customer until <see cref="Release"/>. A dispatcher loop is held, and other work queues behind it, once
/// <see cref="Journeys.Runtime.JourneysOptions.DefaultMaxConcurrentSends"/> of its sends wait (<see cref="HeldCount"/>): a journey that sends
/// that many messages to the held customer in one run (<see cref="HoldingSteps"/>) holds it.
/// </summary>
internal sealed class GateSender(string heldCustomer) : IChannelSender
{
    private readonly TaskCompletionSource _release = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly ConcurrentQueue<string> _sent = new();
    private int _held;

    /// <summary>How many sends to the held customer have started (and wait for <see cref="Release"/>).</summary>
    public int HeldCount => Volatile.Read(ref _held);

    /// <summary>Whether enough sends to the held customer wait to hold the dispatcher loop that runs them.</summary>
    public bool Holding => HeldCount >= JourneysOptions.DefaultMaxConcurrentSends;

    /// <summary>Steps that send <see cref="JourneysOptions.DefaultMaxConcurrentSends"/> pushes of <paramref name="campaignId"/> in one run (node ids push, push-2, ...).</summary>
    public static void HoldingSteps(PathBuilder path, string campaignId)
    {
        ArgumentNullException.ThrowIfNull(path);
        for (var i = 1; i <= JourneysOptions.DefaultMaxConcurrentSends; i++)
        {
            path.Send(Channel.Push, campaignId, id: i == 1 ? "push" : $"push-{i}");
        }
    }

    /// <summary>The customers sent to, in order.</summary>
    public IReadOnlyCollection<string> Sent => _sent;

    /// <summary>Lets the held send (and any later one to that customer) go.</summary>
    public void Release() => _release.TrySetResult();

    public async ValueTask<SendResult> SendAsync(OutboundMessage message, CancellationToken cancellationToken)
    {
        if (message.CustomerId == heldCustomer)
        {
            Interlocked.Increment(ref _held);
            await _release.Task.WaitAsync(cancellationToken);
        }

        _sent.Enqueue(message.CustomerId);
        return SendResult.Sent;
    }
}
