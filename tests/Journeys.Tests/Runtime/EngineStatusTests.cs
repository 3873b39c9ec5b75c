using Journeys.Building;
using Journeys.Messaging;
using Journeys.Runtime;
using Journeys.Storage;
using Journeys.Storage.InMemory;
using Journeys.Tests.Shared;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace Journeys.Tests.Runtime;

/// <summary><see cref="IJourneyEngineMonitor"/>: the engine's state, failing store calls and channel circuits.</summary>
public sealed class EngineStatusTests
{
    private static readonly DateTimeOffset T0 = new(2026, 5, 4, 9, 0, 0, TimeSpan.Zero);

    [Fact]
    public async Task The_status_follows_the_engine_from_not_started_to_running_to_stopped()
    {
        var (provider, _, _) = Build();
        await using (provider)
        {
            var monitor = provider.GetRequiredService<IJourneyEngineMonitor>();
            var before = monitor.GetStatus();
            Assert.Equal((JourneyEngineState.NotStarted, null, null), (before.State, before.Fault, before.StoreFailingSince));
            Assert.Equal(provider.GetRequiredService<Microsoft.Extensions.Options.IOptions<JourneysOptions>>().Value.OwnerId, before.OwnerId);
            Assert.Equal(["email", "push"], before.Channels.Select(c => c.Channel));
            Assert.All(before.Channels, c => Assert.Equal(ChannelCircuitState.Closed, c.Circuit));
            Assert.Equal(T0, before.CheckedAt);

            var running = await EngineHost.RunHostedAsync(provider);
            Assert.Equal(JourneyEngineState.Running, monitor.GetStatus().State);
            await running.DisposeAsync();
            var after = monitor.GetStatus();
            Assert.Equal((JourneyEngineState.Stopped, null), (after.State, after.Fault));
        }
    }

    [Fact]
    public async Task A_failing_claim_shows_from_its_first_failed_attempt_until_the_next_claim_succeeds()
    {
        var (provider, time, store) = Build();
        await using (provider)
        {
            store.FailClaims = true;
            var monitor = provider.GetRequiredService<IJourneyEngineMonitor>();
            await using var running = await EngineHost.RunHostedAsync(provider);
            EngineHost.Eventually(() => monitor.GetStatus().StoreFailure is not null, "the claim's failure in the status");
            var failing = monitor.GetStatus();
            Assert.Equal((JourneyEngineState.Running, T0, "claim: InvalidOperationException"), (failing.State, failing.StoreFailingSince, failing.StoreFailure));

            // The pump tries again a second later: still failing, still since the first attempt. (The clock moves in
            // steps: the pump arms its pause after the failure is noted.)
            var attempts = store.ClaimAttempts;
            EngineHost.Eventually(() => Step(time) && store.ClaimAttempts > attempts, "the claim tried again");
            Assert.Equal(T0, monitor.GetStatus().StoreFailingSince);
            Assert.Equal("claim: InvalidOperationException", monitor.GetStatus().StoreFailure);

            store.FailClaims = false;
            attempts = store.ClaimAttempts;
            EngineHost.Eventually(() => Step(time) && monitor.GetStatus().StoreFailingSince is null, "the failure cleared by a claim that worked");
            Assert.True(store.ClaimAttempts > attempts);
            Assert.Null(monitor.GetStatus().StoreFailure);
        }
    }

    [Fact]
    public async Task A_commit_cancelled_by_a_token_of_the_store_is_a_failed_commit_tried_again_not_the_end_of_the_shard()
    {
        // A store call that times out with a token of its own throws OperationCanceledException, as the engine's stop
        // does. Taken for the stop, it ended the shard worker: its inbox filled, the pump stalled, nothing was logged.
        var (provider, time, store) = Build(o => o.LeaseDuration = TimeSpan.FromMinutes(1));
        await using (provider)
        {
            store.CancelCommits = 1;
            var monitor = provider.GetRequiredService<IJourneyEngineMonitor>();
            var push = provider.GetRequiredService<RecordingChannelSender>();
            await using var running = await EngineHost.RunHostedAsync(provider);
            await ActivatePushJourneyAsync(provider, "j", ["a@example.com"]);

            EngineHost.Eventually(() => monitor.GetStatus().StoreFailure is not null, "the cancelled commit in the status");
            var failing = monitor.GetStatus();
            Assert.Equal((JourneyEngineState.Running, "commit: OperationCanceledException"), (failing.State, failing.StoreFailure));
            Assert.Empty(push.Messages);

            // The batch's lease runs out; the work is claimed again, committed and sent (the clock in steps, as below).
            EngineHost.Eventually(() => Step(time) && push.Messages.Count == 1, "the push after the commit was tried again");
            EngineHost.Eventually(() => monitor.GetStatus().StoreFailingSince is null, "the commit's failure cleared");
            Assert.Equal((JourneyEngineState.Running, null), (monitor.GetStatus().State, monitor.GetStatus().Fault));
        }
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task An_outbox_call_cancelled_by_a_token_of_the_store_is_a_failed_call_and_the_dispatcher_goes_on(bool sendWaits)
    {
        // The dispatcher's record of the results is cancelled by the store's own token once: taken for the stop, it
        // ended the dispatcher loop, and no message was sent again until the host restarted. A send that waits (does not
        // complete at once) has its batch recorded in the background (DispatchWindow): the failure there counts the same,
        // and the loop pauses before its next batch.
        var (provider, time, _) = Build(o => o.LeaseDuration = TimeSpan.FromMinutes(1), outbox: true, yieldingPush: sendWaits);
        await using (provider)
        {
            var outbox = provider.GetRequiredService<CancellingOutboxStore>();
            outbox.CancelCompletions = 1;
            var monitor = provider.GetRequiredService<IJourneyEngineMonitor>();
            var push = provider.GetRequiredService<RecordingChannelSender>();
            await using var running = await EngineHost.RunHostedAsync(provider);
            await ActivatePushJourneyAsync(provider, "j", ["a@example.com"]);

            EngineHost.Eventually(() => monitor.GetStatus().StoreFailure is not null, "the cancelled record of results in the status");
            Assert.Equal((JourneyEngineState.Running, "outbox dispatch: OperationCanceledException"), (monitor.GetStatus().State, monitor.GetStatus().StoreFailure));

            // Its lease runs out: sent again (same idempotency key) and recorded; a later journey's message goes out too.
            // The clock moves in steps until then: the dispatcher sets its pause's timer after the failure is noted.
            EngineHost.Eventually(
                () => Step(time) && monitor.GetStatus().StoreFailingSince is null,
                () => $"the record of results that worked; {monitor.GetStatus().State} {monitor.GetStatus().Fault} {monitor.GetStatus().StoreFailure}, {push.Messages.Count} sent, {push.Attempts} attempts");
            await ActivatePushJourneyAsync(provider, "k", ["b@example.com"]);
            EngineHost.Eventually(() => push.Messages.Any(m => m.CustomerId == "b@example.com"), "the later journey's push");
            Assert.Equal(JourneyEngineState.Running, monitor.GetStatus().State);
            Assert.Equal(2, push.Messages.Count(m => m.CustomerId == "a@example.com"));
        }
    }

    [Fact]
    public async Task A_channel_whose_circuit_breaker_opened_shows_open()
    {
        var (provider, _, _) = Build(o =>
        {
            o.ChannelPolicies["push"] = new ChannelPolicyOptions
            {
                MaxRetryAttempts = 0,
                CircuitBreakerMinimumThroughput = 2,
                CircuitBreakerFailureRatio = 0.5,
                CircuitBreakerBreakDuration = TimeSpan.FromMinutes(10),
                Timeout = TimeSpan.FromHours(1),
            };
        });
        await using (provider)
        {
            var push = provider.GetRequiredService<RecordingChannelSender>();
            push.FailNextTransiently(1000);
            var monitor = provider.GetRequiredService<IJourneyEngineMonitor>();
            await using var running = await EngineHost.RunHostedAsync(provider);
            await ActivatePushJourneyAsync(provider, "j", ["a@example.com", "b@example.com", "c@example.com"]);

            EngineHost.Eventually(
                () => monitor.GetStatus().Channels.Single(c => c.Channel == "push").Circuit == ChannelCircuitState.Open,
                () => $"the push circuit open; it is {monitor.GetStatus().Channels.Single(c => c.Channel == "push").Circuit}");
            Assert.Equal(ChannelCircuitState.Closed, monitor.GetStatus().Channels.Single(c => c.Channel == "email").Circuit);
            Assert.Equal(JourneyEngineState.Running, monitor.GetStatus().State);
        }
    }

    [Fact]
    public async Task A_loop_that_ends_while_the_engine_runs_faults_it_and_the_first_fault_is_kept()
    {
        var time = new FakeTimeProvider(T0);
        var health = new EngineHealth(time);
        using var stopping = new CancellationTokenSource();
        health.Started();

        var fault = await health.Watch(Fail(), "shard worker 1", stopping.Token);
        Assert.Equal("shard worker 1", fault?.Loop);
        Assert.IsType<InvalidOperationException>(fault?.Exception);
        Assert.Equal((JourneyEngineState.Faulted, "shard worker 1: InvalidOperationException"), (health.State, health.Fault));

        // A second loop's end is not the first fault.
        using var own = new CancellationTokenSource();
        await own.CancelAsync();
        Assert.NotNull(await health.Watch(Task.FromCanceled(own.Token), "dispatcher 0", stopping.Token));
        Assert.Equal("shard worker 1: InvalidOperationException", health.Fault);

        // The host stops: stopped, and what ends after is no fault.
        health.Stopped();
        health.Faulted("pump", new InvalidOperationException());
        Assert.Equal(JourneyEngineState.Stopped, health.State);

        static async Task Fail()
        {
            await Task.Yield();
            throw new InvalidOperationException("customer x@example.com");
        }
    }

    [Theory]
    [InlineData("cancelled")]
    [InlineData("ended")]
    [InlineData("redacted")]
    public async Task A_loop_cancelled_by_its_own_token_or_ending_on_its_own_is_a_fault_but_not_after_the_stop(string how)
    {
        var health = new EngineHealth(new FakeTimeProvider(T0));
        using var stopping = new CancellationTokenSource();
        health.Started();
        using var own = new CancellationTokenSource();
        await own.CancelAsync();
        var loop = how switch
        {
            "cancelled" => Task.FromCanceled(own.Token),
            "ended" => Task.CompletedTask,
            _ => Task.FromException(RedactedException.From(new TimeoutException("x@example.com"))),
        };
        var fault = await health.Watch(loop, "lease renewal", stopping.Token);
        Assert.Equal(("lease renewal", how == "redacted"), (fault?.Loop, fault?.Exception is RedactedException));

        var expected = how switch
        {
            "cancelled" => "lease renewal: cancelled while the engine runs",
            "ended" => "lease renewal: ended while the engine runs",
            _ => "lease renewal: TimeoutException",
        };
        Assert.Equal((JourneyEngineState.Faulted, expected), (health.State, health.Fault));

        // The same end once the stop was asked for: no fault.
        var after = new EngineHealth(new FakeTimeProvider(T0));
        after.Started();
        await stopping.CancelAsync();
        Assert.Null(await after.Watch(Task.CompletedTask, "lease renewal", stopping.Token));
        Assert.Null(await after.Watch(Task.FromCanceled(stopping.Token), "lease renewal", stopping.Token));
        Assert.Equal((JourneyEngineState.Running, null), (after.State, after.Fault));

        // An exception other than a cancellation while the run ends is no fault of the running engine, but is returned to be logged.
        Assert.IsType<TimeoutException>((await after.Watch(Task.FromException(new TimeoutException()), "lease renewal", stopping.Token))?.Exception);
        Assert.Equal((JourneyEngineState.Running, null), (after.State, after.Fault));
    }

    [Fact]
    public void Each_store_call_fails_until_its_own_next_success_and_the_oldest_failure_is_reported()
    {
        var time = new FakeTimeProvider(T0);
        var health = new EngineHealth(time);
        Assert.Null(health.OldestStoreFailure());
        health.StoreSucceeded("commit");

        health.StoreFailed("commit", new IOException("disk full"));
        time.Advance(TimeSpan.FromSeconds(5));
        health.StoreFailed("claim", new TimeoutException());
        health.StoreFailed("commit", new InvalidOperationException());
        Assert.Equal((T0, "commit: InvalidOperationException"), health.OldestStoreFailure());

        // A claim that works does not hide the commit that keeps failing.
        health.StoreSucceeded("claim");
        Assert.Equal((T0, "commit: InvalidOperationException"), health.OldestStoreFailure());
        health.StoreFailed("claim", new TimeoutException());
        health.StoreSucceeded("commit");
        Assert.Equal((T0 + TimeSpan.FromSeconds(5), "claim: TimeoutException"), health.OldestStoreFailure());
        health.StoreSucceeded("claim");
        Assert.Null(health.OldestStoreFailure());
    }

    /// <summary>Creates and activates a journey that sends the <c>hello</c> push to <paramref name="customers"/>.</summary>
    private static async Task ActivatePushJourneyAsync(IServiceProvider provider, string id, string[] customers)
    {
        var manager = provider.GetRequiredService<IJourneyManager>();
        await manager.CreateAsync(JourneyBuilder.Create(id, id.ToUpperInvariant()).EnterFromList(customers)
            .Steps(p => p.Send(Channel.Push, "hello", id: "hello")).Build());
        await manager.ActivateAsync(id);
    }

    // Moves the fake clock 5 s (at most a day in all, whatever the real-time bound of the wait): true, for a condition.
    private static bool Step(FakeTimeProvider time)
    {
        if (time.GetUtcNow() < T0.AddDays(1))
        {
            time.Advance(TimeSpan.FromSeconds(5));
        }

        Thread.Sleep(1);
        return true;
    }

    private static (ServiceProvider Provider, FakeTimeProvider Time, ScriptedEnrollmentStore Store) Build(Action<JourneysOptions>? configure = null, bool outbox = false, bool yieldingPush = false)
    {
        var time = new FakeTimeProvider(T0);
        var push = new RecordingChannelSender();
        var services = new ServiceCollection();
        services.AddSingleton<TimeProvider>(time);
        services.AddSingleton(push);
        services.AddSingleton<InMemoryCustomerStore>();
        services.AddSingleton(sp => new InMemoryEngineStore(sp.GetRequiredService<InMemoryCustomerStore>()));
        services.AddSingleton(sp => new ScriptedEnrollmentStore(sp.GetRequiredService<InMemoryEngineStore>()));
        services.AddSingleton<IEnrollmentStore>(sp => sp.GetRequiredService<ScriptedEnrollmentStore>());
        if (outbox)
        {
            services.AddSingleton(sp => new CancellingOutboxStore(sp.GetRequiredService<InMemoryEngineStore>()));
            services.AddSingleton<IOutboxStore>(sp => sp.GetRequiredService<CancellingOutboxStore>());
        }
        services.AddJourneys(j => j
            .AddSender(Channel.Push, yieldingPush ? new YieldingSender(push) : push)
            .AddSender(Channel.Email, new NullChannelSender())
            .AddCampaigns(new Campaign("hello", Channel.Push, "Hello"))
            .Configure(o =>
            {
                o.ShardCount = 1;
                o.DefaultChannelPolicy.Timeout = TimeSpan.FromHours(24);
                configure?.Invoke(o);
            }));
        var provider = services.BuildServiceProvider();
        return (provider, time, provider.GetRequiredService<ScriptedEnrollmentStore>());
    }

    /// <summary>
    /// Sends through <paramref name="inner"/> after 20 ms of real time: a send that does not complete at once, and still
    /// waits when its batch's last message has been looked at (so the batch is recorded in the background).
    /// </summary>
    private sealed class YieldingSender(IChannelSender inner) : IChannelSender
    {
        public async ValueTask<SendResult> SendAsync(OutboundMessage message, CancellationToken cancellationToken)
        {
            await Task.Delay(TimeSpan.FromMilliseconds(20), TimeProvider.System, cancellationToken);
            return await inner.SendAsync(message, cancellationToken);
        }
    }

    /// <summary>The in-memory outbox with records of results cancelled by a token of the store's own.</summary>
    private sealed class CancellingOutboxStore(IOutboxStore inner) : DelegatingOutboxStore(inner)
    {
        private int _cancelCompletions;

        public int CancelCompletions
        {
            set => Volatile.Write(ref _cancelCompletions, value);
        }

        public override ValueTask CompleteAsync(string owner, IReadOnlyList<OutboxResult> results, CancellationToken cancellationToken = default)
        {
            if (Interlocked.Decrement(ref _cancelCompletions) >= 0)
            {
                using var own = new CancellationTokenSource();
                own.Cancel();
                return ValueTask.FromException(new OperationCanceledException(own.Token));
            }

            return base.CompleteAsync(owner, results, cancellationToken);
        }
    }

    /// <summary>The in-memory store with claims that fail while asked to, and commits cancelled by a token of the store's own.</summary>
    private sealed class ScriptedEnrollmentStore(IEnrollmentStore inner) : DelegatingEnrollmentStore(inner)
    {
        private int _claimAttempts;
        private int _cancelCommits;

        public volatile bool FailClaims;

        public int ClaimAttempts => Volatile.Read(ref _claimAttempts);

        public int CancelCommits
        {
            set => Volatile.Write(ref _cancelCommits, value);
        }

        public override ValueTask<IReadOnlyList<WorkItem>> ClaimAsync(string owner, DateTimeOffset now, int maxItems, TimeSpan lease, CancellationToken cancellationToken = default)
        {
            Interlocked.Increment(ref _claimAttempts);
            return FailClaims
                ? ValueTask.FromException<IReadOnlyList<WorkItem>>(new InvalidOperationException("the database is away"))
                : base.ClaimAsync(owner, now, maxItems, lease, cancellationToken);
        }

        public override ValueTask<IReadOnlyList<bool>> CommitAsync(string owner, IReadOnlyList<EnrollmentCheckpoint> checkpoints, OutboxHandoff? outboxHandoff, CancellationToken cancellationToken = default)
        {
            if (Interlocked.Decrement(ref _cancelCommits) >= 0)
            {
                using var own = new CancellationTokenSource();
                own.Cancel();
                return ValueTask.FromException<IReadOnlyList<bool>>(new OperationCanceledException(own.Token));
            }

            return base.CommitAsync(owner, checkpoints, outboxHandoff, cancellationToken);
        }
    }
}
