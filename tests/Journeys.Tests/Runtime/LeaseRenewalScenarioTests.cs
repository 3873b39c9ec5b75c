using System.Collections.Concurrent;
using Journeys.Building;
using Journeys.Messaging;
using Journeys.Runtime;
using Journeys.Storage;
using Journeys.Storage.InMemory;
using Journeys.Tests.Building;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace Journeys.Tests.Runtime;

/// <summary>Two engines on one store and a fake clock: work held longer than its lease is renewed, not taken over.</summary>
public sealed class LeaseRenewalScenarioTests
{
    private static readonly DateTimeOffset T0 = new(2026, 5, 4, 9, 0, 0, TimeSpan.Zero);
    private static readonly TimeSpan Lease = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task A_sender_slower_than_the_lease_keeps_its_handed_over_message_and_the_second_engine_never_sends_it()
    {
        var time = new FakeTimeProvider(T0);
        var customers = new InMemoryCustomerStore();
        var journeys = new InMemoryJourneyStore(time);
        var engineStore = new InMemoryEngineStore(customers);
        var enrollments = new CountingEnrollments(engineStore);
        var outbox = new CountingOutbox(engineStore);
        var sender = new GatedSender();
        await customers.SaveSchemaAsync(SampleJourneys.Schema);
        await customers.UpsertAsync([new Customer("c0@example.com")]);

        await using var first = Host("engine-1", time, customers, customers, journeys, engineStore, enrollments, outbox, sender);
        await using var second = Host("engine-2", time, customers, customers, journeys, engineStore, enrollments, outbox, sender);
        var manager = first.GetRequiredService<IJourneyManager>();
        await ActivateSlowJourneyAsync(manager);
        await using var running1 = await EngineHost.RunHostedAsync(first);
        await using var running2 = await EngineHost.RunHostedAsync(second);

        await manager.PublishAsync([new CustomerEvent("c0@example.com", "go", [], T0)]);
        EngineHost.Eventually(() => sender.Calls == 1, "the first send to start");

        // The engine that committed the step holds the message: its commit handed it over, leased, to its own dispatcher.
        var holder = Assert.Single(enrollments.Commits, c => c.Applied).Owner;
        Assert.DoesNotContain(outbox.Claims, c => c.Count > 0);
        var other = holder == "engine-1" ? "engine-2" : "engine-1";
        EngineHost.Eventually(() => outbox.Claims.Any(c => c.Owner == other), "the other engine's dispatcher to run");

        // Four leases long, a third of a lease at a time. Each step waits for the holder's renewal and for the other
        // engine's claim at the new time, so the other engine tries to take the message at every step.
        for (var step = 1; step <= 12; step++)
        {
            time.Advance(Lease / 3);
            var renewals = step;
            var now = time.GetUtcNow();
            EngineHost.Eventually(() => outbox.Renewed >= renewals, $"renewal {renewals}");
            (other == "engine-1" ? first : second).GetRequiredService<IJourneyEngineSignal>().NotifyOutbox();
            EngineHost.Eventually(() => outbox.Claims.Any(c => c.Owner == other && c.Now >= now), $"a claim of the other engine at step {step}");
        }

        Assert.Equal(1, sender.Calls);
        Assert.DoesNotContain(outbox.Claims, c => c.Owner == other && c.Count > 0);

        sender.Release();
        EngineHost.Eventually(() => Count(engineStore, StatisticCounter.Sent) == 1, "the slow send to be recorded");
        time.Advance(Lease * 2);
        var later = time.GetUtcNow();
        (other == "engine-1" ? first : second).GetRequiredService<IJourneyEngineSignal>().NotifyOutbox();
        EngineHost.Eventually(() => outbox.Claims.Any(c => c.Owner == other && c.Now >= later), "a claim of the other engine after the send");
        Assert.Equal(1, sender.Calls);
        Assert.DoesNotContain(outbox.Claims, c => c.Count > 0);
        Assert.Null(await engineStore.GetNextDueAsync());
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task A_message_whose_lease_ran_out_while_its_send_was_in_progress_is_not_sent_again_by_its_own_dispatcher(bool clockJump)
    {
        await using var run = await SlowSend.StartAsync();
        var (time, engineStore, outbox, sender, engine, signal) = (run.Time, run.EngineStore, run.Outbox, run.Sender, run.Engine, run.Signal);

        if (clockJump)
        {
            // The clock jumps two leases at once (a paused process or virtual machine does the same). The renewal round
            // runs first, while claims wait: the store refuses to renew a lease that has run out.
            outbox.HoldClaims();
            time.Advance(Lease * 2);
            var jumped = time.GetUtcNow();
            EngineHost.Eventually(() => outbox.RenewCalls.Any(c => c.Now >= jumped && !c.Renewed), "the renewal after the jump, refused");
            outbox.ReleaseClaims();
            signal.NotifyOutbox();
            EngineHost.Eventually(() => outbox.Claims.Any(c => c.Now >= jumped), "a claim after the jump");
        }
        else
        {
            // The renewal fails (the store cannot be reached): the lease runs out while the send is still in progress.
            outbox.FailRenewals = true;
            for (var step = 1; step <= 6; step++)
            {
                time.Advance(Lease / 3);
                var now = time.GetUtcNow();
                signal.NotifyOutbox();
                EngineHost.Eventually(() => outbox.Claims.Any(c => c.Now >= now), $"a claim at step {step}");
            }
        }

        // The store did give the message back to this engine's claim, and the dispatcher did not send it again.
        Assert.Contains(outbox.Claims, c => c.Count == 1);
        Assert.Equal(1, sender.Calls);
        Assert.Equal(1, engine.Renewal.HeldMessages);

        sender.Release();
        EngineHost.Eventually(() => Count(engineStore, StatisticCounter.Sent) == 1, "the slow send to be recorded");
        EngineHost.Eventually(() => engine.Renewal.HeldMessages == 0, "nothing to be held any more");
        Assert.Equal(1, sender.Calls);
        Assert.Null(await engineStore.GetNextDueAsync());
    }

    [Fact]
    public async Task A_message_whose_send_ends_while_a_claim_brings_it_back_is_not_sent_again_by_its_own_dispatcher()
    {
        // As above after a clock jump, but the send in progress ends, and its result is recorded, after the store gave the
        // expired message back to this engine's claim and before the dispatcher looked at what it still holds: the
        // sending loop held it no more by then, and the claim sent it a second time (seen under load in the SQLite
        // scenario test: a thank-you e-mail sent twice after the test's clock jumped two days).
        await using var run = await SlowSend.StartAsync();
        var (time, engineStore, outbox, sender, engine, signal) = (run.Time, run.EngineStore, run.Outbox, run.Sender, run.Engine, run.Signal);
        outbox.HoldClaims();
        time.Advance(Lease * 2);
        var jumped = time.GetUtcNow();
        EngineHost.Eventually(() => outbox.RenewCalls.Any(c => c.Now >= jumped && !c.Renewed), "the renewal after the jump, refused");

        // The claim that brings the message back waits, before it returns, until the send in progress ended and its
        // result was recorded (the sending loop holds nothing any more).
        var claimsAtReturn = -1;
        outbox.AfterClaimWithMessages = count =>
        {
            sender.Release();
            EngineHost.Eventually(() => engine.Renewal.HeldMessages == 0, "the send in progress to end and its result to be recorded");
            Volatile.Write(ref claimsAtReturn, count);
        };
        outbox.ReleaseClaims();
        signal.NotifyOutbox();
        EngineHost.Eventually(() => Volatile.Read(ref claimsAtReturn) > 0, "the claim that brings the message back");

        // A later claim: the dispatcher has dealt with the one that brought the message back.
        EngineHost.Eventually(
            () =>
            {
                signal.NotifyOutbox();
                return outbox.ClaimCount > Volatile.Read(ref claimsAtReturn);
            },
            "a claim after that one");
        Assert.Equal(1, sender.Calls);
        Assert.Equal(1, Count(engineStore, StatisticCounter.Sent));
        Assert.Null(await engineStore.GetNextDueAsync());
    }

    /// <summary>
    /// A running engine of two shards whose one push, to a customer of the second shard (sent by that shard's dispatcher
    /// loop while loop 0 goes on claiming from the store), has started and hangs until <see cref="GatedSender.Release"/>.
    /// </summary>
    private sealed class SlowSend : IAsyncDisposable
    {
        private ServiceProvider _provider = null!;
        private IAsyncDisposable _running = null!;

        public FakeTimeProvider Time { get; } = new(T0);

        public InMemoryEngineStore EngineStore { get; private init; } = null!;

        public CountingOutbox Outbox { get; private init; } = null!;

        public GatedSender Sender { get; } = new();

        public JourneyEngine Engine { get; private set; } = null!;

        public IJourneyEngineSignal Signal { get; private set; } = null!;

        public static async Task<SlowSend> StartAsync()
        {
            var customers = new InMemoryCustomerStore();
            var engineStore = new InMemoryEngineStore(customers);
            var run = new SlowSend { EngineStore = engineStore, Outbox = new CountingOutbox(engineStore) };
            await customers.SaveSchemaAsync(SampleJourneys.Schema);
            var customer = Enumerable.Range(0, 100).Select(i => $"c{i}@example.com").First(id => LeaseRenewal.ShardOf(id, 2) == 1);
            await customers.UpsertAsync([new Customer(customer)]);

            run._provider = Host("engine-1", run.Time, customers, customers, new InMemoryJourneyStore(run.Time), engineStore, engineStore, run.Outbox, run.Sender, shardCount: 2);
            run.Engine = run._provider.GetRequiredService<JourneyEngine>();
            run.Signal = run._provider.GetRequiredService<IJourneyEngineSignal>();
            var manager = run._provider.GetRequiredService<IJourneyManager>();
            await ActivateSlowJourneyAsync(manager);
            run._running = await EngineHost.RunHostedAsync(run._provider);

            await manager.PublishAsync([new CustomerEvent(customer, "go", [], T0)]);
            EngineHost.Eventually(() => run.Sender.Calls == 1, "the first send to start");
            return run;
        }

        public async ValueTask DisposeAsync()
        {
            await _running.DisposeAsync();
            await _provider.DisposeAsync();
        }
    }

    [Fact]
    public async Task Commits_past_the_handoff_capacity_leave_their_messages_in_the_store_and_every_message_is_sent_once()
    {
        var time = new FakeTimeProvider(T0);
        var customers = new InMemoryCustomerStore();
        var journeys = new InMemoryJourneyStore(time);
        var engineStore = new InMemoryEngineStore(customers);
        var enrollments = new CountingEnrollments(engineStore);
        var outbox = new CountingOutbox(engineStore);
        var sender = new GatedSender();
        await customers.SaveSchemaAsync(SampleJourneys.Schema);
        // The dispatcher's first SendLimit hand-offs, whose sends wait, then four that fill the capacity, then seven.
        var held = JourneysOptions.DefaultMaxConcurrentSends;
        var ids = Enumerable.Range(0, held + 11).Select(i => $"c{i}@example.com").ToArray();
        await customers.UpsertAsync(ids.Select(id => new Customer(id)).ToArray());

        // One shard, batches of one: the hand-off capacity is 4 × 1 × 1 = 4 messages.
        await using var provider = Host("engine-1", time, customers, customers, journeys, engineStore, enrollments, outbox, sender, batchSize: 1);
        var engine = provider.GetRequiredService<JourneyEngine>();
        var manager = provider.GetRequiredService<IJourneyManager>();
        await ActivateSlowJourneyAsync(manager);
        await using var running = await EngineHost.RunHostedAsync(provider);

        // The dispatcher takes the first hand-offs until SendLimit sends wait, and takes no more; then four more fill
        // the capacity, and the other seven commits write their messages unleased, which nobody has claimed yet.
        // One at a time, so none of them is past the capacity while the dispatcher is still taking them.
        for (var i = 0; i < held; i++)
        {
            await manager.PublishAsync([new CustomerEvent(ids[i], "go", [], T0)]);
            EngineHost.Eventually(() => sender.Calls == i + 1, $"send {i + 1} to start");
        }

        Assert.Equal(0, engine.HandedOver);
        await manager.PublishAsync(ids[held..].Select(id => new CustomerEvent(id, "go", [], T0)).ToArray());

        EngineHost.Eventually(() => enrollments.Commits.Count(c => c.Applied) == ids.Length, "every step to be committed");
        Assert.Equal(held, sender.Calls);
        Assert.Equal(4, engine.HandedOver);
        Assert.Equal(held + 4, engine.Renewal.HeldMessages);
        Assert.DoesNotContain(outbox.Claims, c => c.Count > 0);

        sender.Release();
        EngineHost.Eventually(() => Count(engineStore, StatisticCounter.Sent) == ids.Length, "every message to be sent and recorded");
        Assert.Equal(ids.Length, sender.Calls);
        Assert.Equal(ids.Order(StringComparer.Ordinal), sender.Customers.Order(StringComparer.Ordinal));
        Assert.Equal(7, outbox.Claims.Sum(c => c.Count));
        Assert.Equal(0, engine.HandedOver);
        EngineHost.Eventually(() => engine.Renewal.HeldMessages == 0, "nothing to be held any more");
        Assert.Null(await engineStore.GetNextDueAsync());
    }

    [Fact]
    public async Task An_enrollment_held_in_a_slow_batch_is_renewed_and_the_second_engine_never_claims_it()
    {
        var time = new FakeTimeProvider(T0);
        var customers = new InMemoryCustomerStore();
        var journeys = new InMemoryJourneyStore(time);
        var engineStore = new InMemoryEngineStore(customers);
        var enrollments = new CountingEnrollments(engineStore);
        var slowCustomers = new GatedCustomers(customers);
        var sender = new GatedSender();
        sender.Release();
        await customers.SaveSchemaAsync(SampleJourneys.Schema);
        await customers.UpsertAsync([new Customer("c0@example.com")]);

        // Only the first engine reads customers slowly: its shard holds the claimed enrollment for four leases.
        await using var first = Host("engine-1", time, customers, slowCustomers, journeys, engineStore, enrollments, engineStore, sender);
        await using var second = Host("engine-2", time, customers, customers, journeys, engineStore, enrollments, engineStore, sender);
        var manager = first.GetRequiredService<IJourneyManager>();
        await ActivateSlowJourneyAsync(manager);
        await using var running1 = await EngineHost.RunHostedAsync(first);

        // The second engine starts once the first holds the enrollment, so which engine claims it is not a race.
        await manager.PublishAsync([new CustomerEvent("c0@example.com", "go", [], T0)]);
        EngineHost.Eventually(() => slowCustomers.Waiting == 1, "the first engine's shard to hold the enrollment");
        await using var running2 = await EngineHost.RunHostedAsync(second);
        // The first engine's manager created the enrollment already leased to that engine: no claim took it.
        Assert.DoesNotContain(enrollments.Claims, c => c.Count > 0);
        EngineHost.Eventually(() => enrollments.Claims.Any(c => c.Owner == "engine-2"), "the second engine's pump to run");

        for (var step = 1; step <= 12; step++)
        {
            time.Advance(Lease / 3);
            var renewals = step;
            var now = time.GetUtcNow();
            EngineHost.Eventually(() => enrollments.Renewed >= renewals, $"renewal {renewals}");
            second.GetRequiredService<IJourneyEngineSignal>().NotifyWork();
            EngineHost.Eventually(() => enrollments.Claims.Any(c => c.Owner == "engine-2" && c.Now >= now), $"a claim of the second engine at step {step}");
        }

        Assert.DoesNotContain(enrollments.Claims, c => c.Owner == "engine-2" && c.Count > 0);
        slowCustomers.Release();
        EngineHost.Eventually(() => Count(engineStore, StatisticCounter.Sent) == 1, "the step to be committed and its message sent");
        Assert.Equal(1, sender.Calls);
        Assert.Equal([true], enrollments.Commits.Where(c => c.Owner == "engine-1").Select(c => c.Applied));
        Assert.DoesNotContain(enrollments.Commits, c => c.Owner == "engine-2");
    }

    /// <summary>The journey of these tests: one SMS send, entered on the event "go".</summary>
    private static async Task ActivateSlowJourneyAsync(IJourneyManager manager)
    {
        await manager.CreateAsync(JourneyBuilder.Create("slow", "Slow").EnterOnEvent("go")
            .Steps(p => p.Send(Channel.Sms, "slow-sms", id: "sms"))
            .Build());
        await manager.ActivateAsync("slow");
    }

    private static long Count(InMemoryEngineStore store, StatisticCounter counter) =>
        store.GetAsync("slow", null).AsTask().GetAwaiter().GetResult().Get("sms", counter);

    private static ServiceProvider Host(
        string owner,
        FakeTimeProvider time,
        InMemoryCustomerStore customers,
        ICustomerStore customerStore,
        IJourneyStore journeys,
        InMemoryEngineStore store,
        IEnrollmentStore enrollments,
        IOutboxStore outbox,
        IChannelSender sender,
        int batchSize = 256,
        int shardCount = 1)
    {
        var services = new ServiceCollection();
        services.AddSingleton<TimeProvider>(time);
        services.AddSingleton(customers);
        services.AddSingleton(customerStore);
        services.AddSingleton(journeys);
        services.AddSingleton(store);
        services.AddSingleton(enrollments);
        services.AddSingleton(outbox);
        services.AddJourneys(j => j
            .AddSender(Channel.Sms, sender)
            .AddCampaigns(new Campaign("slow-sms", Channel.Sms, "Hello"))
            .Configure(o =>
            {
                o.OwnerId = owner;
                o.ShardCount = shardCount;
                o.BatchSize = batchSize;
                o.LeaseDuration = Lease;
                o.MaxIdle = TimeSpan.FromSeconds(5);

                // The send itself must outlast the leases: no attempt timeout or retry on the fake clock ends it first.
                o.DefaultChannelPolicy.Timeout = TimeSpan.FromHours(1);
                o.DefaultChannelPolicy.MaxRetryAttempts = 0;
            }));
        return services.BuildServiceProvider();
    }

    /// <summary>The first send waits until released (in real time, bounded); every call is counted.</summary>
    private sealed class GatedSender : IChannelSender
    {
        private readonly TaskCompletionSource _gate = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private readonly ConcurrentQueue<string> _customers = new();
        private int _calls;

        public int Calls => Volatile.Read(ref _calls);

        public IReadOnlyCollection<string> Customers => _customers;

        public void Release() => _gate.TrySetResult();

        public async ValueTask<SendResult> SendAsync(OutboundMessage message, CancellationToken cancellationToken)
        {
            Interlocked.Increment(ref _calls);
            _customers.Enqueue(message.CustomerId);
            await _gate.Task.WaitAsync(TimeSpan.FromSeconds(60), cancellationToken);
            return SendResult.Sent;
        }
    }

    /// <summary>Counts outbox claims and renewed message leases.</summary>
    private sealed class CountingOutbox(IOutboxStore inner) : IOutboxStore
    {
        private readonly ConcurrentQueue<(string Owner, DateTimeOffset Now, int Count)> _claims = new();
        private int _renewed;

        public IReadOnlyCollection<(string Owner, DateTimeOffset Now, int Count)> Claims => _claims;

        /// <summary>How many claims there were.</summary>
        public int ClaimCount => _claims.Count;

        public int Renewed => Volatile.Read(ref _renewed);

        private readonly ConcurrentQueue<(DateTimeOffset Now, bool Renewed)> _renewCalls = new();
        private volatile TaskCompletionSource? _claimGate;

        /// <summary>Renewals throw, as a store that cannot be reached would.</summary>
        public bool FailRenewals { get; set; }

        /// <summary>Each renewal call: its time and whether every lease it asked for was renewed.</summary>
        public IReadOnlyCollection<(DateTimeOffset Now, bool Renewed)> RenewCalls => _renewCalls;

        /// <summary>Claims wait (in real time, bounded) until <see cref="ReleaseClaims"/>.</summary>
        public void HoldClaims() => _claimGate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);

        public void ReleaseClaims() => _claimGate?.TrySetResult();

        public async ValueTask<IReadOnlyList<OutboxMessage>> ClaimAsync(string owner, DateTimeOffset now, int maxItems, TimeSpan lease, CancellationToken cancellationToken = default)
        {
            if (_claimGate is { } gate)
            {
                await gate.Task.WaitAsync(TimeSpan.FromSeconds(60), cancellationToken);
            }

            var claimed = await inner.ClaimAsync(owner, now, maxItems, lease, cancellationToken);
            _claims.Enqueue((owner, now, claimed.Count));
            if (claimed.Count > 0 && Interlocked.Exchange(ref _afterClaimWithMessages, null) is { } hook)
            {
                hook(_claims.Count);
            }

            return claimed;
        }

        /// <summary>Runs once, in the next claim that returns messages, before it returns them (given how many claims there were).</summary>
        public Action<int>? AfterClaimWithMessages
        {
            set => _afterClaimWithMessages = value;
        }

        private Action<int>? _afterClaimWithMessages;

        public ValueTask CompleteAsync(string owner, IReadOnlyList<OutboxResult> results, CancellationToken cancellationToken = default) =>
            inner.CompleteAsync(owner, results, cancellationToken);

        public ValueTask<DateTimeOffset?> GetNextDueAsync(CancellationToken cancellationToken = default) => inner.GetNextDueAsync(cancellationToken);

        public async ValueTask<IReadOnlyList<bool>> RenewLeasesAsync(string owner, IReadOnlyList<string> messageIds, DateTimeOffset now, TimeSpan lease, CancellationToken cancellationToken = default)
        {
            if (FailRenewals)
            {
                throw new TimeoutException("The store is unreachable (test).");
            }

            var renewed = await inner.RenewLeasesAsync(owner, messageIds, now, lease, cancellationToken);
            foreach (var ok in renewed)
            {
                Interlocked.Add(ref _renewed, ok ? 1 : 0);
            }

            _renewCalls.Enqueue((now, renewed.All(static ok => ok)));
            return renewed;
        }
    }

    /// <summary>Every customer read waits until released (in real time, bounded).</summary>
    private sealed class GatedCustomers(ICustomerStore inner) : ICustomerStore
    {
        private readonly TaskCompletionSource _gate = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private int _waiting;

        public int Waiting => Volatile.Read(ref _waiting);

        public void Release() => _gate.TrySetResult();

        public async ValueTask<Customer?> GetAsync(string customerId, CancellationToken cancellationToken = default)
        {
            Interlocked.Increment(ref _waiting);
            await _gate.Task.WaitAsync(TimeSpan.FromSeconds(60), cancellationToken);
            Interlocked.Decrement(ref _waiting);
            return await inner.GetAsync(customerId, cancellationToken);
        }

        public ValueTask<CustomerFieldSchema> GetSchemaAsync(CancellationToken cancellationToken = default) => inner.GetSchemaAsync(cancellationToken);

        public ValueTask SaveSchemaAsync(CustomerFieldSchema schema, CancellationToken cancellationToken = default) => inner.SaveSchemaAsync(schema, cancellationToken);

        public ValueTask<CustomerUpsertResult> UpsertAsync(IReadOnlyList<Customer> customers, CancellationToken cancellationToken = default) => inner.UpsertAsync(customers, cancellationToken);

        public ValueTask<bool> DeleteAsync(string customerId, CancellationToken cancellationToken = default) => inner.DeleteAsync(customerId, cancellationToken);

        public IAsyncEnumerable<Customer> ScanAsync(CancellationToken cancellationToken = default) => inner.ScanAsync(cancellationToken);
    }

    /// <summary>Records claims (owner, time, how many), commits and renewed enrollment leases.</summary>
    private sealed class CountingEnrollments(IEnrollmentStore inner) : DelegatingEnrollmentStore(inner)
    {
        private readonly ConcurrentQueue<(string Owner, DateTimeOffset Now, int Count)> _claims = new();
        private readonly ConcurrentQueue<(string Owner, bool Applied)> _commits = new();
        private int _renewed;

        public IReadOnlyCollection<(string Owner, DateTimeOffset Now, int Count)> Claims => _claims;

        public IReadOnlyCollection<(string Owner, bool Applied)> Commits => _commits;

        public int Renewed => Volatile.Read(ref _renewed);

        public override async ValueTask<IReadOnlyList<WorkItem>> ClaimAsync(string owner, DateTimeOffset now, int maxItems, TimeSpan lease, CancellationToken cancellationToken = default)
        {
            var claimed = await InnerStore.ClaimAsync(owner, now, maxItems, lease, cancellationToken);
            _claims.Enqueue((owner, now, claimed.Count));
            return claimed;
        }

        public override async ValueTask<IReadOnlyList<bool>> CommitAsync(string owner, IReadOnlyList<EnrollmentCheckpoint> checkpoints, OutboxHandoff? outboxHandoff, CancellationToken cancellationToken = default)
        {
            var applied = await InnerStore.CommitAsync(owner, checkpoints, outboxHandoff, cancellationToken);
            foreach (var ok in applied)
            {
                _commits.Enqueue((owner, ok));
            }

            return applied;
        }

        public override async ValueTask<IReadOnlyList<bool>> RenewLeasesAsync(string owner, IReadOnlyList<Guid> enrollmentIds, DateTimeOffset now, TimeSpan lease, CancellationToken cancellationToken = default)
        {
            var renewed = await InnerStore.RenewLeasesAsync(owner, enrollmentIds, now, lease, cancellationToken);
            foreach (var ok in renewed)
            {
                Interlocked.Add(ref _renewed, ok ? 1 : 0);
            }

            return renewed;
        }
    }
}
