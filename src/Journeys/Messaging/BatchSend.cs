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

    private readonly IBatchChannelSender _sender;
    private readonly OutboundMessage[] _messages;
    private readonly int[] _origins;
    private readonly SendResult[] _results;
    private readonly int[] _pending;
    private readonly SendResult[] _attemptResults;
    private OutboundMessage[]? _attemptMessages;

    /// <summary>Creates an empty batch for <paramref name="sender"/> of at most <paramref name="capacity"/> messages.</summary>
    public BatchSend(IBatchChannelSender sender, int capacity)
    {
        ArgumentNullException.ThrowIfNull(sender);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(capacity);
        _sender = sender;
        _messages = new OutboundMessage[capacity];
        _origins = new int[capacity];
        _results = new SendResult[capacity];
        _pending = new int[capacity];
        _attemptResults = new SendResult[capacity];
    }

    /// <summary>The messages added.</summary>
    public int Count { get; private set; }

    /// <summary>The messages still to send: every one before the first attempt, then those whose latest result was transient.</summary>
    public int PendingCount { get; private set; }

    /// <summary>True when no more message fits.</summary>
    public bool IsFull => Count == _messages.Length;

    /// <summary>Adds a message; <paramref name="origin"/> is the caller's index of it, given back by <see cref="Origin"/>.</summary>
    public void Add(OutboundMessage message, int origin)
    {
        ArgumentNullException.ThrowIfNull(message);
        if (IsFull)
        {
            throw new InvalidOperationException($"The batch is full ({_messages.Length} messages).");
        }

        _messages[Count] = message;
        _origins[Count] = origin;
        _results[Count] = NoResult;
        _pending[Count] = Count;
        Count++;
        PendingCount++;
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
