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

/// <summary>
/// Enrollments created already leased to the enrolling engine (<see cref="IEnrollmentStore.EnrollLeasedAsync"/>): routed
/// to the shards without a claim while there is room, created unleased for the pump to claim when there is none.
/// </summary>
public sealed class IntakeLeaseTests
{
    private static readonly DateTimeOffset T0 = new(2026, 5, 4, 9, 0, 0, TimeSpan.Zero);
    private static readonly TimeSpan Lease = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task An_activation_with_room_leases_every_enrollment_at_entry_and_the_pump_claims_none()
    {
        var setup = await SetupAsync(30);
        await using var provider = Host("engine-1", setup, setup.Enrollments, setup.Customers);
        var engine = provider.GetRequiredService<JourneyEngine>();
        await using var running = await EngineHost.RunHostedAsync(provider);
        var manager = provider.GetRequiredService<IJourneyManager>();
        await CreateAsync(manager, setup.Ids);

        var (_, enrolled) = await manager.ActivateAsync("intake");

        Assert.Equal(30, enrolled);
        EngineHost.Eventually(() => Count(setup.Store, StatisticCounter.Sent) == 30, "every customer's message to be sent");
        Assert.Equal(30, setup.Enrollments.LeasedAtEntry.Sum());
        Assert.DoesNotContain(setup.Enrollments.Claims, c => c > 0);
        Assert.Equal(30, setup.Enrollments.Applied);
        EngineHost.Eventually(() => engine.InFlight == 0 && engine.IntakeReserved == 0, "nothing to be held any more");
    }

    [Fact]
    public async Task When_the_shard_inboxes_are_full_new_enrollments_are_created_unleased_and_claimed()
    {
        var setup = await SetupAsync(7);
        var gated = new GatedCustomers(setup.Customers);
        await using var provider = Host("engine-1", setup, setup.Enrollments, gated, inboxCapacity: 2, intakeLeaseLimit: 100);
        var engine = provider.GetRequiredService<JourneyEngine>();
        await using var running = await EngineHost.RunHostedAsync(provider);
        var manager = provider.GetRequiredService<IJourneyManager>();
        await CreateAsync(manager, [], acceptsAdditions: true);
        await manager.ActivateAsync("intake");

        // One is the shard's batch (held by the gated customer read), two more fill its inbox of two. (The first two
        // enrolled together could be split over the shard's first batch and its inbox, by when the shard woke.)
        await manager.EnrollAsync("intake", setup.Ids[..1]);
        EngineHost.Eventually(() => gated.Waiting == 1 && engine.InboxDepth == 0 && engine.IntakeReserved == 0, "the shard to hold its batch");
        await manager.EnrollAsync("intake", setup.Ids[1..3]);
        EngineHost.Eventually(() => engine.InboxDepth == 2 && engine.IntakeReserved == 0, "the inbox to be full");

        // No room: created unleased, for the pump to claim once the inbox has room again.
        var outcomes = await manager.EnrollAsync("intake", setup.Ids[3..]);

        Assert.All(outcomes, o => Assert.Equal(EnrollmentOutcomeKind.Created, o.Kind));
        Assert.Equal([1, 2], setup.Enrollments.LeasedAtEntry);
        Assert.Equal(0, engine.IntakeReserved);
        gated.Release();
        EngineHost.Eventually(() => Count(setup.Store, StatisticCounter.Sent) == 7, "every customer's message to be sent");
        Assert.Equal(4, setup.Enrollments.Claims.Sum());
        Assert.Equal(7, setup.Enrollments.Applied);
    }

    [Fact]
    public async Task Past_the_intake_lease_limit_the_rest_of_an_enroll_call_is_created_unleased_and_claimed()
    {
        var setup = await SetupAsync(7);
        var gated = new GatedCustomers(setup.Customers);
        await using var provider = Host("engine-1", setup, setup.Enrollments, gated, inboxCapacity: 100, intakeLeaseLimit: 3);
        var engine = provider.GetRequiredService<JourneyEngine>();
        await using var running = await EngineHost.RunHostedAsync(provider);
        var manager = provider.GetRequiredService<IJourneyManager>();
        await CreateAsync(manager, [], acceptsAdditions: true);
        await manager.ActivateAsync("intake");

        await manager.EnrollAsync("intake", setup.Ids[..2]);
        EngineHost.Eventually(() => gated.Waiting == 1 && engine.IntakeReserved == 0, "the shard to hold its batch");

        // Two in flight, a limit of three: one of the next five is leased, four are left for claims.
        var outcomes = await manager.EnrollAsync("intake", setup.Ids[2..]);

        Assert.All(outcomes, o => Assert.Equal(EnrollmentOutcomeKind.Created, o.Kind));
        Assert.Equal([2, 1], setup.Enrollments.LeasedAtEntry);
        Assert.Equal([2, 1], setup.Enrollments.Asked);
        gated.Release();
        EngineHost.Eventually(() => Count(setup.Store, StatisticCounter.Sent) == 7, "every customer's message to be sent");
        Assert.Equal(4, setup.Enrollments.Claims.Sum());
        EngineHost.Eventually(() => engine.InFlight == 0 && engine.IntakeReserved == 0, "nothing to be held any more");
    }

    [Fact]
    public async Task A_store_that_does_not_lease_at_entry_still_runs_everything_through_claims()
    {
        var setup = await SetupAsync(12);
        var plain = new NotLeasing(setup.Store);
        await using var provider = Host("engine-1", setup, plain, setup.Customers);
        var engine = provider.GetRequiredService<JourneyEngine>();
        await using var running = await EngineHost.RunHostedAsync(provider);
        var manager = provider.GetRequiredService<IJourneyManager>();
        await CreateAsync(manager, setup.Ids);

        await manager.ActivateAsync("intake");

        EngineHost.Eventually(() => Count(setup.Store, StatisticCounter.Sent) == 12, "every customer's message to be sent");
        Assert.True(plain.Calls > 0);
        EngineHost.Eventually(() => engine.InFlight == 0 && engine.IntakeReserved == 0, "no reservation to be left over");
    }

    [Fact]
    public async Task Enrollments_leased_to_a_stopped_engine_are_handed_back_and_taken_by_another_engine_at_once()
    {
        var setup = await SetupAsync(3);
        var gated = new GatedCustomers(setup.Customers);
        await using var first = Host("engine-1", setup, setup.Enrollments, gated);
        await using var second = Host("engine-2", setup, setup.Enrollments, setup.Customers);
        var manager = first.GetRequiredService<IJourneyManager>();
        await CreateAsync(manager, setup.Ids);
        var running1 = await EngineHost.RunHostedAsync(first);
        await manager.ActivateAsync("intake");
        EngineHost.Eventually(() => gated.Waiting == 1, "the first engine's shard to hold its batch");
        Assert.Equal(3, setup.Enrollments.LeasedAtEntry.Sum());

        // The first engine stops without committing and gives its leases back: the second runs them, the clock unmoved.
        await running1.DisposeAsync();
        await using var running2 = await EngineHost.RunHostedAsync(second);

        EngineHost.Eventually(() => Count(setup.Store, StatisticCounter.Sent) == 3, "the second engine to run the three enrollments");
        Assert.Equal(3, setup.Enrollments.Claims.Sum());
        Assert.Equal(3, setup.Enrollments.Applied);
        Assert.Equal(T0, setup.Time.GetUtcNow());
    }

    [Fact]
    public async Task With_a_store_that_does_not_release_leases_enrollments_leased_to_a_stopped_engine_wait_for_the_lease_to_expire()
    {
        var setup = await SetupAsync(3);
        var gated = new GatedCustomers(setup.Customers);
        await using var first = Host("engine-1", setup, new NotReleasing(setup.Enrollments), gated);
        await using var second = Host("engine-2", setup, setup.Enrollments, setup.Customers);
        var manager = first.GetRequiredService<IJourneyManager>();
        await CreateAsync(manager, setup.Ids);
        var running1 = await EngineHost.RunHostedAsync(first);
        await manager.ActivateAsync("intake");
        EngineHost.Eventually(() => gated.Waiting == 1, "the first engine's shard to hold its batch");
        Assert.Equal(3, setup.Enrollments.LeasedAtEntry.Sum());

        // The first engine stops without committing; the second finds nothing until the leases run out.
        await running1.DisposeAsync();
        await using var running2 = await EngineHost.RunHostedAsync(second);
        EngineHost.Eventually(() => setup.Enrollments.ClaimsBy("engine-2") > 0, "the second engine's pump to run");
        Assert.Equal(0, Count(setup.Store, StatisticCounter.Sent));
        setup.Time.Advance(Lease);
        second.GetRequiredService<IJourneyEngineSignal>().NotifyWork();

        EngineHost.Eventually(() => Count(setup.Store, StatisticCounter.Sent) == 3, "the second engine to run the three enrollments");
        Assert.Equal(3, setup.Enrollments.Claims.Sum());
        Assert.Equal(3, setup.Enrollments.Applied);
    }

    private static async Task<Setup> SetupAsync(int customerCount)
    {
        var time = new FakeTimeProvider(T0);
        var customers = new InMemoryCustomerStore();
        var store = new InMemoryEngineStore(customers);
        await customers.SaveSchemaAsync(SampleJourneys.Schema);
        var ids = Enumerable.Range(0, customerCount).Select(i => $"c{i}@example.com").ToArray();
        await customers.UpsertAsync(ids.Select(id => new Customer(id)).ToArray());
        return new Setup(time, customers, new InMemoryJourneyStore(time), store, new RecordingEnrollments(store), ids);
    }

    private static ValueTask<JourneyRecord> CreateAsync(IJourneyManager manager, string[] ids, bool acceptsAdditions = false) =>
        manager.CreateAsync(JourneyBuilder.Create("intake", "Intake").EnterFromList(ids, acceptsAdditions)
            .Steps(p => p.Send(Channel.Sms, "hello-sms", id: "sms"))
            .Build());

    private static long Count(InMemoryEngineStore store, StatisticCounter counter) =>
        store.GetAsync("intake", null).AsTask().GetAwaiter().GetResult().Get("sms", counter);

    private static ServiceProvider Host(
        string owner, Setup setup, IEnrollmentStore enrollments, ICustomerStore customerStore, int inboxCapacity = 4096, int intakeLeaseLimit = 16_384)
    {
        var services = new ServiceCollection();
        services.AddSingleton<TimeProvider>(setup.Time);
        services.AddSingleton(setup.Customers);
        services.AddSingleton(customerStore);
        services.AddSingleton<IJourneyStore>(setup.Journeys);
        services.AddSingleton(setup.Store);
        services.AddSingleton(enrollments);
        services.AddSingleton<IOutboxStore>(setup.Store);
        services.AddJourneys(j => j
            .AddSender(Channel.Sms, new RecordingChannelSender())
            .AddCampaigns(new Campaign("hello-sms", Channel.Sms, "Hello"))
            .Configure(o =>
            {
                o.OwnerId = owner;
                o.ShardCount = 1;
                o.BatchSize = 2;
                o.InboxCapacity = inboxCapacity;
                o.IntakeLeaseLimit = intakeLeaseLimit;
                o.LeaseDuration = Lease;
                o.MaxIdle = TimeSpan.FromSeconds(5);
            }));
        return services.BuildServiceProvider();
    }

    private sealed record Setup(
        FakeTimeProvider Time, InMemoryCustomerStore Customers, InMemoryJourneyStore Journeys, InMemoryEngineStore Store, RecordingEnrollments Enrollments, string[] Ids);

    /// <summary>Records what the enrollment leases asked for and got, the claims' sizes and the applied checkpoints.</summary>
    private sealed class RecordingEnrollments(IEnrollmentStore inner) : DelegatingEnrollmentStore(inner)
    {
        private readonly ConcurrentQueue<int> _asked = new();
        private readonly ConcurrentQueue<int> _leased = new();
        private readonly ConcurrentQueue<(string Owner, int Count)> _claims = new();
        private int _applied;

        public int[] Asked => [.. _asked];

        public int[] LeasedAtEntry => [.. _leased];

        public int[] Claims => [.. _claims.Select(c => c.Count)];

        public int Applied => Volatile.Read(ref _applied);

        public int ClaimsBy(string owner) => _claims.Count(c => c.Owner == owner);

        public override async ValueTask<LeasedEnrollments> EnrollLeasedAsync(IReadOnlyList<EnrollmentRequest> requests, EnrollmentLease lease, CancellationToken cancellationToken = default)
        {
            var result = await InnerStore.EnrollLeasedAsync(requests, lease, cancellationToken);
            _asked.Enqueue(lease.MaxItems);
            _leased.Enqueue(result.Leased.Count);
            return result;
        }

        public override async ValueTask<IReadOnlyList<WorkItem>> ClaimAsync(string owner, DateTimeOffset now, int maxItems, TimeSpan lease, CancellationToken cancellationToken = default)
        {
            var claimed = await InnerStore.ClaimAsync(owner, now, maxItems, lease, cancellationToken);
            _claims.Enqueue((owner, claimed.Count));
            return claimed;
        }

        public override async ValueTask<IReadOnlyList<bool>> CommitAsync(string owner, IReadOnlyList<EnrollmentCheckpoint> checkpoints, OutboxHandoff? outboxHandoff, CancellationToken cancellationToken = default)
        {
            var applied = await InnerStore.CommitAsync(owner, checkpoints, outboxHandoff, cancellationToken);
            Interlocked.Add(ref _applied, applied.Count(a => a));

            return applied;
        }
    }

    /// <summary>A store without the feature: the interface's fallback, which creates every enrollment unleased.</summary>
    private sealed class NotLeasing(IEnrollmentStore inner) : DelegatingEnrollmentStore(inner)
    {
        private int _calls;

        public int Calls => Volatile.Read(ref _calls);

        public override async ValueTask<LeasedEnrollments> EnrollLeasedAsync(IReadOnlyList<EnrollmentRequest> requests, EnrollmentLease lease, CancellationToken cancellationToken = default)
        {
            Interlocked.Increment(ref _calls);
            return new LeasedEnrollments(await InnerStore.EnrollAsync(requests, cancellationToken), []);
        }
    }

    /// <summary>A store without the lease release: the interface's fallback, which gives nothing back.</summary>
    private sealed class NotReleasing(IEnrollmentStore inner) : DelegatingEnrollmentStore(inner)
    {
        public override ValueTask<IReadOnlyList<bool>> ReleaseLeasesAsync(string owner, IReadOnlyList<Guid> enrollmentIds, CancellationToken cancellationToken = default) =>
            ValueTask.FromResult<IReadOnlyList<bool>>(new bool[enrollmentIds.Count]);
    }

    /// <summary>Every customer read waits until released (in real time, bounded, or until the engine stops).</summary>
    private sealed class GatedCustomers(ICustomerStore inner) : ICustomerStore
    {
        private readonly TaskCompletionSource _gate = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private int _waiting;

        public int Waiting => Volatile.Read(ref _waiting);

        public void Release() => _gate.TrySetResult();

        public async ValueTask<Customer?> GetAsync(string customerId, CancellationToken cancellationToken = default)
        {
            Interlocked.Increment(ref _waiting);
            try
            {
                await _gate.Task.WaitAsync(TimeSpan.FromSeconds(60), cancellationToken);
            }
            finally
            {
                Interlocked.Decrement(ref _waiting);
            }

            return await inner.GetAsync(customerId, cancellationToken);
        }

        public ValueTask<CustomerFieldSchema> GetSchemaAsync(CancellationToken cancellationToken = default) => inner.GetSchemaAsync(cancellationToken);

        public ValueTask SaveSchemaAsync(CustomerFieldSchema schema, CancellationToken cancellationToken = default) => inner.SaveSchemaAsync(schema, cancellationToken);

        public ValueTask<CustomerUpsertResult> UpsertAsync(IReadOnlyList<Customer> customers, CancellationToken cancellationToken = default) => inner.UpsertAsync(customers, cancellationToken);

        public ValueTask<bool> DeleteAsync(string customerId, CancellationToken cancellationToken = default) => inner.DeleteAsync(customerId, cancellationToken);

        public IAsyncEnumerable<Customer> ScanAsync(CancellationToken cancellationToken = default) => inner.ScanAsync(cancellationToken);
    }
}
