using Journeys.Messaging;

namespace Journeys.Benchmarks;

/// <summary>
/// The peer comparison's end-of-run signal on the Journeys side, in place of polling the journey's statistics: the
/// engine's channel sender (around <see cref="Inner"/>, the <see cref="NullChannelSender"/> or the
/// <see cref="TimerLatenessRecorder"/>) notes each customer's two messages (the journey's <c>send-welcome</c> and
/// <c>send-follow-up</c>) in flags preallocated per customer, and completes <see cref="Completed"/> when the last
/// customer's last message arrives. Nothing is allocated per message and no thread wakes up until then (a statistics poll
/// every 1–10 ms allocated ~200 B per customer of a delay run, through its idle second too, and woke a thread-pool
/// thread each time). In this engine a message is handed to the sender after the commit of the run that sent it, and the
/// follow-up is the journey's last node, so the last follow-up comes after every enrollment completed; the peer
/// benchmark checks the statistics once after the run (not timed).
/// </summary>
internal sealed class SendCompletion : IChannelSender
{
    private const string Welcome = "send-welcome";

    private readonly int[] _sent;
    private readonly int _customers;
    private readonly TaskCompletionSource _completed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _distinct;
    private int _duplicates;

    public SendCompletion(int customers, IChannelSender inner)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(customers);
        _customers = customers;
        _sent = new int[2 * customers];
        Inner = inner;
    }

    /// <summary>The sender every message is handed on to.</summary>
    public IChannelSender Inner { get; }

    /// <summary>Completes when every customer's welcome and follow-up reached the sender; faults on a message of another node or customer.</summary>
    public Task Completed => _completed.Task;

    /// <summary>Distinct messages seen (one per customer and node).</summary>
    public int Distinct => Volatile.Read(ref _distinct);

    /// <summary>Messages seen again for a customer and node (0 in a correct run).</summary>
    public int Duplicates => Volatile.Read(ref _duplicates);

    /// <inheritdoc />
    public ValueTask<SendResult> SendAsync(OutboundMessage message, CancellationToken cancellationToken)
    {
        var result = Inner.SendAsync(message, cancellationToken);
        Note(message.CustomerId, message.NodeId);
        return result;
    }

    /// <summary>Notes one message of <paramref name="customerId"/> from <paramref name="nodeId"/>.</summary>
    public void Note(string customerId, string? nodeId)
    {
        int slot;
        try
        {
            var customer = BenchmarkData.CustomerIndex(customerId);
            if ((uint)customer >= (uint)_customers)
            {
                throw new ArgumentOutOfRangeException(nameof(customerId), customer, $"Customer #{customer} is outside the run's {_customers} customers.");
            }

            slot = 2 * customer + (string.Equals(nodeId, Welcome, StringComparison.Ordinal) ? 0
                : string.Equals(nodeId, TimerLatenessRecorder.FollowUpNode, StringComparison.Ordinal) ? 1
                : throw new ArgumentException($"A message from node '{nodeId}', which the journey does not have.", nameof(nodeId)));
        }
        catch (ArgumentException e)
        {
            // The run can never complete as expected: fail its wait now instead of at the timeout.
            _completed.TrySetException(e);
            throw;
        }

        if (Interlocked.Exchange(ref _sent[slot], 1) != 0)
        {
            Interlocked.Increment(ref _duplicates);
        }
        else if (Interlocked.Increment(ref _distinct) == _sent.Length)
        {
            _completed.TrySetResult();
        }
    }
}
