using Polly;

namespace Journeys.Messaging;

/// <summary>
/// One batch of a channel's messages on its way through the channel's batch pipeline
/// (<see cref="SendPipelineFactory.SendBatchAsync"/>): the messages, each one's latest result, and which are still to
/// send (those whose latest result was transient). Each attempt passes only those to the sender, so a retry re-sends
/// only the transient ones.
/// </summary>
internal sealed class BatchSend
{
    /// <summary>Where a message starts: a result the sender did not write is a transient failure, retried.</summary>
    internal static readonly SendResult NoResult = SendResult.Transient("no result reported");

    // The arrays start small and grow (doubling) up to the capacity: a sender may declare a large batch size while most
    // batches are small, and a batch is reused (SenderRegistry.ChannelSend.RentBatch), so they grow once.
    private const int InitialSize = 16;

    private readonly IBatchChannelSender _sender;
    private readonly int _capacity;
    private OutboundMessage[] _messages;
    private int[] _origins;
    private SendResult[] _results;
    private int[] _pending;
    private SendResult[] _attemptResults;
    private OutboundMessage[]? _attemptMessages;

    /// <summary>Creates an empty batch for <paramref name="sender"/> of at most <paramref name="capacity"/> messages.</summary>
    public BatchSend(IBatchChannelSender sender, int capacity)
    {
        ArgumentNullException.ThrowIfNull(sender);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(capacity);
        _sender = sender;
        _capacity = capacity;
        var size = Math.Min(capacity, InitialSize);
        _messages = new OutboundMessage[size];
        _origins = new int[size];
        _results = new SendResult[size];
        _pending = new int[size];
        _attemptResults = new SendResult[size];
    }

    /// <summary>The messages added.</summary>
    public int Count { get; private set; }

    /// <summary>The messages still to send: every one before the first attempt, then those whose latest result was transient.</summary>
    public int PendingCount { get; private set; }

    /// <summary>True when no more message fits.</summary>
    public bool IsFull => Count == _capacity;

    /// <summary>Adds a message; <paramref name="origin"/> is the caller's index of it, given back by <see cref="Origin"/>.</summary>
    public void Add(OutboundMessage message, int origin)
    {
        ArgumentNullException.ThrowIfNull(message);
        if (IsFull)
        {
            throw new InvalidOperationException($"The batch is full ({_capacity} messages).");
        }

        if (Count == _messages.Length)
        {
            Grow();
        }

        _messages[Count] = message;
        _origins[Count] = origin;
        _results[Count] = NoResult;
        _pending[Count] = Count;
        Count++;
        PendingCount++;
    }

    /// <summary>Empties the batch for reuse, letting go of its messages.</summary>
    public void Clear()
    {
        Array.Clear(_messages, 0, Count);
        if (_attemptMessages is not null)
        {
            Array.Clear(_attemptMessages);
        }

        Count = 0;
        PendingCount = 0;
    }

    private void Grow()
    {
        var size = (int)Math.Min(_capacity, 2L * _messages.Length);
        Array.Resize(ref _messages, size);
        Array.Resize(ref _origins, size);
        Array.Resize(ref _results, size);
        Array.Resize(ref _pending, size);
        _attemptResults = new SendResult[size];
        _attemptMessages = null;
    }

    /// <summary>The <paramref name="index"/>-th message added.</summary>
    public OutboundMessage Message(int index) => _messages[index];

    /// <summary>The caller's index of the <paramref name="index"/>-th message (<see cref="Add"/>).</summary>
    public int Origin(int index) => _origins[index];

    /// <summary>The latest result of the <paramref name="index"/>-th message.</summary>
    public SendResult Result(int index) => _results[index];

    /// <summary>The messages still to send get <paramref name="failure"/> as their result (the pipeline gave up on them).</summary>
    public void FailPending(SendResult failure)
    {
        for (var i = 0; i < PendingCount; i++)
        {
            _results[_pending[i]] = failure;
        }
    }

    /// <summary>
    /// One attempt: passes the pending messages to the sender, then keeps each one's result and, as pending, those that
    /// failed transiently. A sender's exception is the attempt's outcome (nothing is kept from it: every message of the
    /// call stays pending). Without a state machine when the sender completes at once.
    /// </summary>
    public ValueTask<Outcome<BatchAttempt>> AttemptAsync(ResilienceContext context)
    {
        var count = PendingCount;
        ReadOnlyMemory<OutboundMessage> messages;
        if (count == Count)
        {
            // Nothing settled yet: the pending messages are all of them, in order.
            messages = _messages.AsMemory(0, count);
        }
        else
        {
            _attemptMessages ??= new OutboundMessage[_messages.Length];
            for (var i = 0; i < count; i++)
            {
                _attemptMessages[i] = _messages[_pending[i]];
            }

            messages = _attemptMessages.AsMemory(0, count);
        }

        _attemptResults.AsSpan(0, count).Fill(NoResult);
        ValueTask send;
        try
        {
            send = _sender.SendBatchAsync(messages, _attemptResults.AsMemory(0, count), context.CancellationToken);
        }
        catch (Exception ex)
        {
            return new(Outcome.FromException<BatchAttempt>(ex));
        }

        return send.IsCompletedSuccessfully ? new(Outcome.FromResult(Keep(count))) : AwaitAttemptAsync(send, count, context);
    }

    private async ValueTask<Outcome<BatchAttempt>> AwaitAttemptAsync(ValueTask send, int count, ResilienceContext context)
    {
        try
        {
            await send.ConfigureAwait(context.ContinueOnCapturedContext);
        }
        catch (Exception ex)
        {
            return Outcome.FromException<BatchAttempt>(ex);
        }

        return Outcome.FromResult(Keep(count));
    }

    private BatchAttempt Keep(int count)
    {
        var left = 0;
        for (var i = 0; i < count; i++)
        {
            var index = _pending[i];
            var result = _attemptResults[i];
            _results[index] = result;
            if (result.Outcome == SendOutcome.TransientFailure)
            {
                _pending[left++] = index;
            }
        }

        PendingCount = left;
        return new BatchAttempt(count, left);
    }
}
