using Journeys.Messaging;
using Microsoft.Extensions.Time.Testing;

namespace Journeys.Tests.Messaging;

/// <summary>A batch sender's messages through one run of the channel's pipeline per batch (<see cref="SendPipelineFactory.CreateBatch"/>).</summary>
public sealed class BatchSendPipelineTests
{
    private readonly FakeTimeProvider _time = new();

    [Fact]
    public async Task One_call_sends_the_whole_batch_and_each_message_keeps_its_own_result()
    {
        var sender = new ScriptedBatchSender(10, (_, m) => m.MessageId == "m1" ? SendResult.Permanent("invalid address") : SendResult.Sent);
        var batch = Batch(sender, 3);

        await SendAsync(new ChannelPolicyOptions(), batch);

        Assert.Equal(["m0", "m1", "m2"], Assert.Single(sender.Calls));
        Assert.Equal([SendResult.Sent, SendResult.Permanent("invalid address"), SendResult.Sent], Results(batch));
    }

    [Fact]
    public async Task A_retry_sends_again_only_the_messages_whose_result_was_transient()
    {
        var sender = new ScriptedBatchSender(10, (call, m) => (call, m.MessageId) switch
        {
            (0, "m1") or (0, "m3") => SendResult.Transient("busy"),
            (_, "m2") => SendResult.Permanent("unsubscribed"),
            _ => SendResult.Sent,
        });
        var batch = Batch(sender, 4);

        await SendAsync(new ChannelPolicyOptions(), batch);

        Assert.Equal([["m0", "m1", "m2", "m3"], ["m1", "m3"]], sender.Calls);
        Assert.Equal([SendResult.Sent, SendResult.Sent, SendResult.Permanent("unsubscribed"), SendResult.Sent], Results(batch));
    }

    [Fact]
    public async Task A_message_the_sender_leaves_without_a_result_is_retried()
    {
        var sender = new ScriptedBatchSender(10, (call, m) => call == 0 && m.MessageId == "m1" ? null : SendResult.Sent);
        var batch = Batch(sender, 2);

        await SendAsync(new ChannelPolicyOptions(), batch);

        Assert.Equal([["m0", "m1"], ["m1"]], sender.Calls);
        Assert.Equal([SendResult.Sent, SendResult.Sent], Results(batch));
    }

    [Fact]
    public async Task Retries_stop_after_the_maximum_with_each_message_keeping_its_last_result()
    {
        var sender = new ScriptedBatchSender(10, (_, m) => m.MessageId == "m0" ? SendResult.Transient("busy") : SendResult.Sent);
        var batch = Batch(sender, 2);

        await SendAsync(new ChannelPolicyOptions { MaxRetryAttempts = 2 }, batch);

        Assert.Equal([["m0", "m1"], ["m0"], ["m0"]], sender.Calls);
        Assert.Equal([SendResult.Transient("busy"), SendResult.Sent], Results(batch));
    }

    [Fact]
    public async Task The_timeout_covers_the_batch_call_and_a_timed_out_call_is_retried_whole()
    {
        // The first call never answers: its timeout makes every message of it transient, and the retry sends them all.
        var hangsOnce = new ScriptedBatchSender(10, before: (call, ct) => call == 0 ? new(Task.Delay(Timeout.InfiniteTimeSpan, _time, ct)) : default);
        var retried = Batch(hangsOnce, 3);
        var options = new ChannelPolicyOptions { MaxRetryAttempts = 1, Timeout = TimeSpan.FromSeconds(5) };

        await SendAsync(options, retried);

        Assert.Equal([["m0", "m1", "m2"], ["m0", "m1", "m2"]], hangsOnce.Calls);
        Assert.Equal([SendResult.Sent, SendResult.Sent, SendResult.Sent], Results(retried));

        // With no retry left, the timeout is every message's result.
        var hangs = new ScriptedBatchSender(10, before: (_, ct) => new(Task.Delay(Timeout.InfiniteTimeSpan, _time, ct)));
        var timedOut = Batch(hangs, 2);
        await SendAsync(new ChannelPolicyOptions { MaxRetryAttempts = 0, Timeout = TimeSpan.FromSeconds(5) }, timedOut);
        Assert.Single(hangs.Calls);
        Assert.Equal([SendResult.Transient("timeout"), SendResult.Transient("timeout")], Results(timedOut));
    }

    [Fact]
    public async Task A_batch_call_that_throws_makes_every_message_of_it_transient_and_is_retried_whole()
    {
        var throwsOnce = new ScriptedBatchSender(10, before: (call, _) => call == 0 ? throw new InvalidOperationException("secret ada@example.com") : default);
        var retried = Batch(throwsOnce, 2);
        await SendAsync(new ChannelPolicyOptions { MaxRetryAttempts = 1 }, retried);
        Assert.Equal([["m0", "m1"], ["m0", "m1"]], throwsOnce.Calls);
        Assert.Equal([SendResult.Sent, SendResult.Sent], Results(retried));

        var throws = new ScriptedBatchSender(10, before: (_, _) => throw new InvalidOperationException("secret ada@example.com"));
        var failed = Batch(throws, 2);
        await SendAsync(new ChannelPolicyOptions { MaxRetryAttempts = 1 }, failed);
        Assert.Equal(2, throws.Calls.Count);
        Assert.All(Results(failed), r => Assert.Equal(SendResult.Transient("exception InvalidOperationException"), r));
    }

    [Fact]
    public async Task The_circuit_counts_a_batch_call_as_failed_only_when_it_failed_for_every_message()
    {
        var options = new ChannelPolicyOptions { MaxRetryAttempts = 0, CircuitBreakerMinimumThroughput = 2, CircuitBreakerBreakDuration = TimeSpan.FromSeconds(30) };

        // Half of every call transient: the provider answers, so the calls are successes to the breaker.
        var partly = new ScriptedBatchSender(10, (_, m) => m.MessageId == "m0" ? SendResult.Transient("busy") : SendResult.Sent);
        var partlyPipeline = SendPipelineFactory.CreateBatch(Channel.Sms, options, _time, null);
        for (var i = 0; i < 10; i++)
        {
            await partlyPipeline.SendBatchAsync(Batch(partly, 2), default);
        }

        Assert.Equal(10, partly.Calls.Count);

        // Every message of two calls transient: two failures of two calls open the circuit; the next batch is not sent.
        var failing = new ScriptedBatchSender(10, (call, _) => call < 2 ? SendResult.Transient("busy") : SendResult.Sent);
        var pipeline = SendPipelineFactory.CreateBatch(Channel.Sms, options, _time, null);
        await pipeline.SendBatchAsync(Batch(failing, 3), default);
        await pipeline.SendBatchAsync(Batch(failing, 3), default);
        var refused = Batch(failing, 3);
        await pipeline.SendBatchAsync(refused, default);
        Assert.Equal(2, failing.Calls.Count);
        Assert.All(Results(refused), r => Assert.Equal(SendResult.Transient(SendPipelineFactory.CircuitOpenReason), r));

        _time.Advance(TimeSpan.FromSeconds(31));
        var after = Batch(failing, 3);
        await pipeline.SendBatchAsync(after, default);
        Assert.Equal(3, failing.Calls.Count);
        Assert.All(Results(after), r => Assert.Equal(SendResult.Sent, r));
    }

    [Fact]
    public async Task The_rate_limiter_takes_a_permit_per_message_of_a_batch()
    {
        // Three permits per second, no queue: three batches of three need nine permits. Within this short run at most one
        // replenishment can come (the limiter runs on the real clock), so at most two batches get theirs; one permit per
        // batch call would let all three through.
        var sender = new ScriptedBatchSender(10);
        var pipeline = SendPipelineFactory.CreateBatch(Channel.Sms, new ChannelPolicyOptions { PermitsPerSecond = 3, RateLimitQueueLimit = 0 }, _time, null);
        var batches = new List<BatchSend>();
        for (var i = 0; i < 3; i++)
        {
            var batch = Batch(sender, 3);
            await pipeline.SendBatchAsync(batch, default);
            batches.Add(batch);
        }

        Assert.InRange(sender.Calls.Count, 1, 2);
        var rejected = batches.Where(b => b.Result(0) != SendResult.Sent).ToList();
        Assert.Equal(3 - sender.Calls.Count, rejected.Count);
        Assert.All(rejected, b => Assert.All(Results(b), r => Assert.Equal(SendResult.Transient("rate limited"), r)));
        Assert.All(batches.Except(rejected), b => Assert.All(Results(b), r => Assert.Equal(SendResult.Sent, r)));
    }

    [Fact]
    public async Task Cancellation_by_the_caller_propagates_and_is_not_retried()
    {
        using var cts = new CancellationTokenSource();
        var sender = new ScriptedBatchSender(10, before: (_, ct) =>
        {
            cts.Cancel();
            ct.ThrowIfCancellationRequested();
            return default;
        });
        var pipeline = SendPipelineFactory.CreateBatch(Channel.Sms, new ChannelPolicyOptions(), _time, null);

        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await pipeline.SendBatchAsync(Batch(sender, 2), cts.Token));
        Assert.Single(sender.Calls);
    }

    [Fact]
    public async Task A_batch_grows_to_its_capacity_and_once_cleared_is_reused_without_its_old_messages_or_results()
    {
        var sender = new ScriptedBatchSender(40, (call, m) => call == 0 && m.MessageId == "m35" ? SendResult.Permanent("bad") : SendResult.Sent);
        var batch = Batch(sender, 40);
        Assert.True(batch.IsFull);
        Assert.Throws<InvalidOperationException>(() => batch.Add(MessageFactory.Create(), 40));
        await SendAsync(new ChannelPolicyOptions(), batch);
        Assert.Equal(40, Assert.Single(sender.Calls).Length);
        Assert.Equal(SendResult.Permanent("bad"), batch.Result(35));

        batch.Clear();
        Assert.Equal((0, 0), (batch.Count, batch.PendingCount));
        batch.Add(MessageFactory.Create("k", "again"), 7);
        await SendAsync(new ChannelPolicyOptions(), batch);
        Assert.Equal(["again"], sender.Calls[1]);
        Assert.Equal((1, 7, SendResult.Sent), (batch.Count, batch.Origin(0), batch.Result(0)));
    }

    private static BatchSend Batch(IBatchChannelSender sender, int count)
    {
        var batch = new BatchSend(sender, count);
        for (var i = 0; i < count; i++)
        {
            batch.Add(MessageFactory.Create($"j1:1:e{i}:n1:1", $"m{i}"), i);
        }

        return batch;
    }

    private static SendResult[] Results(BatchSend batch) => [.. Enumerable.Range(0, batch.Count).Select(batch.Result)];

    // Sends through a new pipeline, advancing the fake clock while the batch waits for retry delays or timeouts.
    private async Task SendAsync(ChannelPolicyOptions options, BatchSend batch)
    {
        var task = SendPipelineFactory.CreateBatch(Channel.Sms, options, _time, null).SendBatchAsync(batch, default).AsTask();
        for (var i = 0; i < 10_000 && !task.IsCompleted; i++)
        {
            _time.Advance(TimeSpan.FromMilliseconds(500));

            // Polly's continuations run on the thread pool: a moment of real time (bounded) to react to the fake clock.
            await Task.WhenAny(task, Task.Delay(TimeSpan.FromMilliseconds(2), TimeProvider.System));
        }

        Assert.True(task.IsCompleted, $"The batch did not complete while the fake clock advanced: {task.Status}");
        await task;
    }
}
