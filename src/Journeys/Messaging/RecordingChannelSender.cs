namespace Journeys.Messaging;

/// <summary>
/// A sender for tests and samples: records every message it accepts, thread-safely, and can be told to fail the
/// next attempts.
/// </summary>
public sealed class RecordingChannelSender : IChannelSender
{
    private readonly List<OutboundMessage> _messages = [];
    private readonly Queue<SendResult> _failures = new();
    private readonly Lock _lock = new();
    private int _attempts;

    /// <summary>The messages accepted so far, in order (a snapshot).</summary>
    public IReadOnlyList<OutboundMessage> Messages
    {
        get
        {
            lock (_lock)
            {
                return [.. _messages];
            }
        }
    }

    /// <summary>How many times <see cref="SendAsync"/> was called, failed attempts included.</summary>
    public int Attempts => Volatile.Read(ref _attempts);

    /// <summary>Makes the next <paramref name="count"/> attempts fail with a transient failure.</summary>
    /// <param name="count">How many attempts fail.</param>
    /// <param name="reason">The failure reason.</param>
    public void FailNextTransiently(int count, string reason = "simulated transient failure") =>
        Enqueue(count, SendResult.Transient(reason));

    /// <summary>Makes the next <paramref name="count"/> attempts fail with a permanent failure.</summary>
    /// <param name="count">How many attempts fail.</param>
    /// <param name="reason">The failure reason.</param>
    public void FailNextPermanently(int count, string reason = "simulated permanent failure") =>
        Enqueue(count, SendResult.Permanent(reason));

    /// <summary>Forgets the recorded messages, the attempt count and the pending failures.</summary>
    public void Clear()
    {
        lock (_lock)
        {
            _messages.Clear();
            _failures.Clear();
            _attempts = 0;
        }
    }

    /// <inheritdoc />
    public ValueTask<SendResult> SendAsync(OutboundMessage message, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(message);
        cancellationToken.ThrowIfCancellationRequested();
        lock (_lock)
        {
            _attempts++;
            if (_failures.TryDequeue(out var failure))
            {
                return new(failure);
            }

            _messages.Add(message);
            return new(SendResult.Sent);
        }
    }

    private void Enqueue(int count, SendResult failure)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        lock (_lock)
        {
            for (var i = 0; i < count; i++)
            {
                _failures.Enqueue(failure);
            }
        }
    }
}
