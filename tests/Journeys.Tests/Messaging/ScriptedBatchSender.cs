using Journeys.Messaging;

namespace Journeys.Tests.Messaging;

/// <summary>
/// A batch sender for tests: records the message ids of every batch call, answers each message with
/// <c>result(call, message)</c> (<see langword="null"/> leaves its slot unwritten; sent when no function is given), after
/// <c>before(call, token)</c> when given (to wait or throw). Its single send is counted and sends.
/// </summary>
internal sealed class ScriptedBatchSender(
    int maxBatchSize,
    Func<int, OutboundMessage, SendResult?>? result = null,
    Func<int, CancellationToken, ValueTask>? before = null) : IBatchChannelSender
{
    private readonly Lock _lock = new();
    private readonly List<OutboundMessage[]> _calls = [];
    private int _singleCalls;

    public int MaxBatchSize => maxBatchSize;

    /// <summary>The message ids of each batch call, in call order.</summary>
    public IReadOnlyList<string[]> Calls => [.. Batches.Select(b => b.Select(m => m.MessageId).ToArray())];

    /// <summary>The messages of each batch call, in call order.</summary>
    public IReadOnlyList<OutboundMessage[]> Batches
    {
        get
        {
            lock (_lock)
            {
                return [.. _calls];
            }
        }
    }

    public int SingleCalls => Volatile.Read(ref _singleCalls);

    public ValueTask<SendResult> SendAsync(OutboundMessage message, CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref _singleCalls);
        return new(SendResult.Sent);
    }

    public async ValueTask SendBatchAsync(ReadOnlyMemory<OutboundMessage> messages, Memory<SendResult> results, CancellationToken cancellationToken)
    {
        int call;
        lock (_lock)
        {
            call = _calls.Count;
            _calls.Add(messages.ToArray());
        }

        if (before is not null)
        {
            await before(call, cancellationToken);
        }

        for (var i = 0; i < messages.Length; i++)
        {
            if ((result is null ? SendResult.Sent : result(call, messages.Span[i])) is { } answer)
            {
                results.Span[i] = answer;
            }
        }
    }
}
