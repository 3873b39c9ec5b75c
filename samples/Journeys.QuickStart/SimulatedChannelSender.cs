using System.Collections.Concurrent;
using System.Globalization;
using Journeys.Messaging;
using Journeys.Model;

namespace Journeys.QuickStart;

/// <summary>
/// Stands in for a provider (a push service, an e-mail API, ...): accepts every message, counts them per send node,
/// writes one console line per <paramref name="logEvery"/> messages, and hands each message to
/// <paramref name="onSent"/> so the simulation can play the provider's feedback (clicks) and the shopper's reaction.
/// </summary>
internal sealed class SimulatedChannelSender(Channel channel, TimeProvider time, int logEvery, Action<OutboundMessage, DateTimeOffset>? onSent = null)
    : IChannelSender
{
    private readonly ConcurrentDictionary<string, int> _byNode = new(StringComparer.Ordinal);
    private int _total;

    public Channel Channel { get; } = channel;

    public int Total => Volatile.Read(ref _total);

    /// <summary>Messages accepted for one send node.</summary>
    public int SentBy(string nodeId) => _byNode.GetValueOrDefault(nodeId);

    public ValueTask<SendResult> SendAsync(OutboundMessage message, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        onSent?.Invoke(message, now);

        // Counted last: once the count is seen, the feedback of the message is scheduled.
        _byNode.AddOrUpdate(message.NodeId ?? "(none)", 1, static (_, n) => n + 1);
        var total = Interlocked.Increment(ref _total);
        if (total % logEvery == 0)
        {
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  [{Channel.Name,-8}] {total,5} messages sent   (simulated {now:ddd HH:mm})"));
        }

        return new(SendResult.Sent);
    }
}
