using Journeys.Messaging;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Time.Testing;

namespace Journeys.Tests.Messaging;

public sealed class SendPipelineTests
{
    private readonly FakeTimeProvider _time = new();

    [Fact]
    public async Task Two_transient_failures_then_success_takes_three_attempts()
    {
        var sender = new RecordingChannelSender();
        sender.FailNextTransiently(2);
        var logger = new ListLogger<SendPipelineTests>();
        var pipeline = SendPipelineFactory.Create(Channel.Sms, new ChannelPolicyOptions(), _time, logger);

        var result = await DriveAsync(pipeline.SendAsync(sender, MessageFactory.Create(), default));

        Assert.Equal(SendResult.Sent, result);
        Assert.Equal(3, sender.Attempts);
        Assert.Single(sender.Messages);
        Assert.Equal(2, logger.Entries.Count(e => e.Level == LogLevel.Warning && e.Message.Contains("sms", StringComparison.Ordinal)));
        Assert.DoesNotContain(logger.Entries, e => e.Message.Contains("ada@example.com", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Retries_stop_after_the_maximum()
    {
        var sender = new RecordingChannelSender();
        sender.FailNextTransiently(10, "busy");
        var pipeline = SendPipelineFactory.Create(Channel.Sms, new ChannelPolicyOptions { MaxRetryAttempts = 2 }, _time, null);

        var result = await DriveAsync(pipeline.SendAsync(sender, MessageFactory.Create(), default));

        Assert.Equal(SendResult.Transient("busy"), result);
        Assert.Equal(3, sender.Attempts);
    }

    [Fact]
    public async Task A_permanent_failure_is_not_retried()
    {
        var sender = new RecordingChannelSender();
        sender.FailNextPermanently(1, "unsubscribed");
        var pipeline = SendPipelineFactory.Create(Channel.Email, new ChannelPolicyOptions(), _time, null);

        var result = await pipeline.SendAsync(sender, MessageFactory.Create(), default);

        Assert.Equal(SendResult.Permanent("unsubscribed"), result);
        Assert.Equal(1, sender.Attempts);
    }

    [Fact]
    public async Task An_exception_is_retried_and_reported_without_its_message()
    {
        var sender = new ScriptedSender(_ => throw new InvalidOperationException("secret ada@example.com"));
        var pipeline = SendPipelineFactory.Create(Channel.Email, new ChannelPolicyOptions { MaxRetryAttempts = 1 }, _time, null);

        var result = await DriveAsync(pipeline.SendAsync(sender, MessageFactory.Create(), default));

        Assert.Equal(SendOutcome.TransientFailure, result.Outcome);
        Assert.Equal("exception InvalidOperationException", result.Reason);
        Assert.Equal(2, sender.Calls);
    }

    [Fact]
    public async Task A_timeout_counts_as_a_transient_failure_and_is_retried()
    {
        var sender = new ScriptedSender(async ct =>
        {
            await Task.Delay(Timeout.InfiniteTimeSpan, _time, ct).ConfigureAwait(false);
            return SendResult.Sent;
        });
        var pipeline = SendPipelineFactory.Create(Channel.Push, new ChannelPolicyOptions { MaxRetryAttempts = 1, Timeout = TimeSpan.FromSeconds(5) }, _time, null);

        var pending = pipeline.SendAsync(sender, MessageFactory.Create(), default);
        Assert.Equal(1, sender.Calls);
        var result = await DriveAsync(pending);

        Assert.Equal(SendResult.Transient("timeout"), result);
        Assert.Equal(2, sender.Calls);
    }

    [Fact]
    public async Task Cancellation_by_the_caller_is_not_retried()
    {
        using var cts = new CancellationTokenSource();
        var sender = new ScriptedSender(ct =>
        {
            cts.Cancel();
            ct.ThrowIfCancellationRequested();
            return new(SendResult.Sent);
        });
        var pipeline = SendPipelineFactory.Create(Channel.Push, new ChannelPolicyOptions(), _time, null);

        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await pipeline.SendAsync(sender, MessageFactory.Create(), cts.Token));
        Assert.Equal(1, sender.Calls);
    }

    [Fact]
    public async Task The_circuit_opens_after_failures_and_closes_after_the_break()
    {
        var sender = new RecordingChannelSender();
        sender.FailNextTransiently(4);
        var options = new ChannelPolicyOptions { MaxRetryAttempts = 0, CircuitBreakerMinimumThroughput = 4, CircuitBreakerBreakDuration = TimeSpan.FromSeconds(30) };
        var pipeline = SendPipelineFactory.Create(Channel.WhatsApp, options, _time, null);

        for (var i = 0; i < 4; i++)
        {
            Assert.Equal(SendOutcome.TransientFailure, (await pipeline.SendAsync(sender, MessageFactory.Create(), default)).Outcome);
        }

        Assert.Equal(SendResult.Transient("circuit open"), await pipeline.SendAsync(sender, MessageFactory.Create(), default));
        Assert.Equal(4, sender.Attempts);

        _time.Advance(TimeSpan.FromSeconds(31));
        Assert.Equal(SendResult.Sent, await pipeline.SendAsync(sender, MessageFactory.Create(), default));
        Assert.Equal(5, sender.Attempts);
    }

    [Fact]
    public async Task Permanent_failures_do_not_open_the_circuit()
    {
        var sender = new RecordingChannelSender();
        sender.FailNextPermanently(10);
        var options = new ChannelPolicyOptions { MaxRetryAttempts = 0, CircuitBreakerMinimumThroughput = 2 };
        var pipeline = SendPipelineFactory.Create(Channel.Sms, options, _time, null);

        for (var i = 0; i < 10; i++)
        {
            Assert.Equal(SendOutcome.PermanentFailure, (await pipeline.SendAsync(sender, MessageFactory.Create(), default)).Outcome);
        }

        Assert.Equal(SendResult.Sent, await pipeline.SendAsync(sender, MessageFactory.Create(), default));
    }

    [Fact]
    public async Task The_rate_limit_rejects_sends_beyond_the_permits_when_no_queue_is_allowed()
    {
        var sender = new RecordingChannelSender();
        var options = new ChannelPolicyOptions { PermitsPerSecond = 1, RateLimitQueueLimit = 0 };
        var pipeline = SendPipelineFactory.Create(Channel.Sms, options, _time, null);

        // Three sends in a row cannot all fit in one permit per second, whatever the moment of replenishment.
        var results = new List<SendResult>();
        for (var i = 0; i < 3; i++)
        {
            results.Add(await pipeline.SendAsync(sender, MessageFactory.Create(), default));
        }

        Assert.Contains(SendResult.Transient("rate limited"), results);
        Assert.True(sender.Attempts <= 2);
    }

    [Fact]
    public async Task Every_attempt_takes_a_permit_so_retries_cannot_exceed_the_rate_limit()
    {
        // The limit is the provider's: each attempt is a call to it. One permit per second and no queue: the first
        // attempt takes the permit and fails; its retries must wait for permits, not go round the limiter. (The
        // limiter replenishes on the real clock; a second replenishment inside this short run is all but impossible.)
        var sender = new RecordingChannelSender();
        sender.FailNextTransiently(3, "busy");
        var options = new ChannelPolicyOptions { PermitsPerSecond = 1, RateLimitQueueLimit = 0, MaxRetryAttempts = 3 };
        var pipeline = SendPipelineFactory.Create(Channel.Sms, options, _time, null);

        var result = await DriveAsync(pipeline.SendAsync(sender, MessageFactory.Create(), default));

        Assert.Equal(SendResult.Transient("rate limited"), result);
        Assert.InRange(sender.Attempts, 1, 2);
    }

    [Fact]
    public void Defaults_are_the_documented_ones_and_valid()
    {
        var options = new ChannelPolicyOptions();
        Assert.Equal(TimeSpan.FromSeconds(10), options.Timeout);
        Assert.Equal(3, options.MaxRetryAttempts);
        Assert.Equal(TimeSpan.FromSeconds(1), options.RetryBaseDelay);
        Assert.Equal(0.5, options.CircuitBreakerFailureRatio);
        Assert.Equal(20, options.CircuitBreakerMinimumThroughput);
        Assert.Equal(TimeSpan.FromSeconds(30), options.CircuitBreakerSamplingDuration);
        Assert.Equal(TimeSpan.FromSeconds(30), options.CircuitBreakerBreakDuration);
        Assert.Null(options.PermitsPerSecond);
        Assert.Empty(options.Validate());
    }

    [Fact]
    public void Invalid_values_are_all_reported()
    {
        var options = new ChannelPolicyOptions
        {
            Timeout = TimeSpan.Zero,
            MaxRetryAttempts = -1,
            CircuitBreakerFailureRatio = 0,
            CircuitBreakerMinimumThroughput = 1,
            CircuitBreakerBreakDuration = TimeSpan.FromMilliseconds(1),
            PermitsPerSecond = 0,
        };
        var errors = options.Validate();
        Assert.Equal(6, errors.Count);
        Assert.Contains(errors, e => e.StartsWith("Timeout", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("PermitsPerSecond", StringComparison.Ordinal));

        // At start, through the options the engine validates: each error names the policy it is in.
        var journeysOptions = new Journeys.Runtime.JourneysOptions();
        journeysOptions.ChannelPolicies["sms"] = options;
        Assert.Contains(journeysOptions.Validate(), e => e.StartsWith("ChannelPolicies[sms]: Timeout", StringComparison.Ordinal));
        Assert.Throws<ArgumentException>(() => SendPipelineFactory.Create(Channel.Sms, options, _time, null));
    }

    // Advances the fake clock while the send waits for retry delays or timeouts, in bounded steps.
    private async Task<T> DriveAsync<T>(ValueTask<T> pending)
    {
        var task = pending.AsTask();
        for (var i = 0; i < 10_000 && !task.IsCompleted; i++)
        {
            _time.Advance(TimeSpan.FromMilliseconds(500));

            // Polly's continuations run on the thread pool: give them a moment of real time (bounded) to react to
            // the fake clock, so a loaded machine cannot outrun them. Nothing here asserts on timing.
            await Task.WhenAny(task, Task.Delay(TimeSpan.FromMilliseconds(2), TimeProvider.System));
        }

        Assert.True(task.IsCompleted, $"The send did not complete while the fake clock advanced: {task.Status} {_time.GetUtcNow()}");
        return await task;
    }

    private sealed class ScriptedSender(Func<CancellationToken, ValueTask<SendResult>> send) : IChannelSender
    {
        private int _calls;

        public int Calls => Volatile.Read(ref _calls);

        public ValueTask<SendResult> SendAsync(OutboundMessage message, CancellationToken cancellationToken)
        {
            Interlocked.Increment(ref _calls);
            return send(cancellationToken);
        }
    }
}
