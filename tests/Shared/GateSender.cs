using System.Collections.Concurrent;
using Journeys.Messaging;

namespace Journeys.Tests.Shared;

/// <summary>
/// A sender for race tests (compiled into both test projects): records the customers it sends to, and holds the send to
/// one customer until <see cref="Release"/>, so the dispatcher that runs it is held while other work queues behind it.
/// </summary>
internal sealed class GateSender(string heldCustomer) : IChannelSender
{
    private readonly TaskCompletionSource _release = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly ConcurrentQueue<string> _sent = new();
    private volatile bool _holding;

    /// <summary>Whether the held customer's send has started (and waits for <see cref="Release"/>).</summary>
    public bool Holding => _holding;

    /// <summary>The customers sent to, in order.</summary>
    public IReadOnlyCollection<string> Sent => _sent;

    /// <summary>Lets the held send (and any later one to that customer) go.</summary>
    public void Release() => _release.TrySetResult();

    public async ValueTask<SendResult> SendAsync(OutboundMessage message, CancellationToken cancellationToken)
    {
        if (message.CustomerId == heldCustomer)
        {
            _holding = true;
            await _release.Task.WaitAsync(cancellationToken);
        }

        _sent.Enqueue(message.CustomerId);
        return SendResult.Sent;
    }
}
