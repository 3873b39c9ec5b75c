using System.Collections.Concurrent;
using Journeys.Building;
using Journeys.Messaging;
using Journeys.Runtime;
using Journeys.Storage;
using Journeys.Storage.InMemory;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace Journeys.Tests.Runtime;

/// <summary>
/// A shard commits its batch once running it has taken the batch's time slice, so nothing waits behind a long batch
/// for its commit; and the pump's timer waits are whole milliseconds. The clock is fake: the "slow" work advances it.
/// </summary>
public sealed class BatchSliceTests
{
    private static readonly DateTimeOffset Start = new(2026, 5, 4, 9, 0, 0, TimeSpan.Zero);

    [Fact]
    public async Task A_batch_is_committed_once_running_it_took_its_time_slice()
    {
        // Batch reads refused, so each enrollment reads its own customer while it runs, and each read takes 2 ms of the
        // engine's clock: more than the 1 ms slice, so each batch holds one enrollment.
        var run = await RunAsync(new FakeTimeProvider(Start), TimeSpan.FromMilliseconds(2), batchReads: false);

        Assert.Equal(Ids.Length, run.Commits.Count);
        Assert.All(run.Commits, size => Assert.Equal(1, size));
        Assert.True(JourneyEngine.MinBatchSlice < TimeSpan.FromMilliseconds(2), "the test's reads must outlast the minimum slice");
    }

    [Fact]
    public async Task The_batch_customer_read_is_not_counted_in_the_slice()
    {
        // One batch read of the twelve customers takes 24 ms of the engine's clock, far more than the slice, and running
        // them takes none: they are committed together, each customer read once. (Counted in the slice, the read ended
        // every batch after one enrollment, and each batch read again the customers of all the enrollments it carried on.)
        // The twelve wait in the inbox behind a first batch held in its customer read, so the next batch takes them all:
        // handed to a running shard, they could be split over batches by how the shard's wake-up fell among them.
        var run = await RunAsync(new FakeTimeProvider(Start), TimeSpan.FromMilliseconds(2), batchReads: true, holdFirstBatch: true);

        Assert.Equal([1, Ids.Length], run.Commits);
        Assert.Equal(Ids.Append(HeldId).Order(StringComparer.Ordinal), run.Reads.Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task Enrollments_carried_to_the_next_batch_keep_the_customers_read_with_them()
    {
        // Every reading of the engine's clock moves it 1 ms: running enrollments takes time, slices end, and the rest of
        // a batch is carried to the next; their customers come with them instead of being read again.
        var run = await RunAsync(new TickingTimeProvider(Start, TimeSpan.FromMilliseconds(1)), TimeSpan.Zero, batchReads: true);

        Assert.True(run.Commits.Count > 1, $"slices must have ended (commits: {string.Join(", ", run.Commits)})");
        Assert.Equal(Ids.Length, run.Commits.Sum());
        Assert.Equal(Ids.Order(StringComparer.Ordinal), run.Reads.Order(StringComparer.Ordinal));
    }

    private static readonly string[] Ids = [.. Enumerable.Range(0, 12).Select(i => $"c{i}@example.com")];

    // The customer of the batch held in its read (holdFirstBatch).
    private const string HeldId = "held@example.com";

    private static async Task<(List<int> Commits, List<string> Reads)> RunAsync(FakeTimeProvider time, TimeSpan readTime, bool batchReads, bool holdFirstBatch = false)
    {
        var held = holdFirstBatch ? new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously) : null;
        var holding = 0;
        var push = new RecordingChannelSender();
        var commits = new ConcurrentQueue<int>();
        var reads = new ConcurrentQueue<string>();
        var services = new ServiceCollection();
        services.AddSingleton<TimeProvider>(time);
        services.AddSingleton<InMemoryCustomerStore>();
        services.AddSingleton<ICustomerStore>(sp => new SlowCustomerStore(sp.GetRequiredService<InMemoryCustomerStore>(), time, readTime, batchReads, reads, held, () => Interlocked.Increment(ref holding)));
        services.AddSingleton(sp => new InMemoryEngineStore(sp.GetRequiredService<InMemoryCustomerStore>()));
        services.AddSingleton<IEnrollmentStore>(sp => new CommitCounter(sp.GetRequiredService<InMemoryEngineStore>(), commits));
        services.AddJourneys(j => j
            .AddSender(Channel.Push, push)
            .AddCampaigns(new Campaign("hello", Channel.Push, "Hello"))
            .Configure(o => o.ShardCount = 1));
        await using var provider = services.BuildServiceProvider();
        await provider.GetRequiredService<InMemoryCustomerStore>().UpsertAsync([.. Ids.Append(HeldId).Select(id => new Customer(id))]);
        await using var running = await EngineHost.RunHostedAsync(provider);
        var manager = provider.GetRequiredService<IJourneyManager>();
        if (held is not null)
        {
            await manager.CreateAsync(JourneyBuilder.Create("first", "First").EnterFromList([HeldId])
                .Steps(p => p.Send(Channel.Push, "hello", id: "hello")).Build());
            await manager.ActivateAsync("first");
            EngineHost.Eventually(() => Volatile.Read(ref holding) == 1, "the first batch held in its customer read");
        }

        await manager.CreateAsync(JourneyBuilder.Create("j", "J").EnterFromList(Ids)
            .Steps(p => p.Send(Channel.Push, "hello", id: "hello")).Build());
        await manager.ActivateAsync("j");
        if (held is not null)
        {
            var engine = provider.GetRequiredService<JourneyEngine>();
            EngineHost.Eventually(() => engine.InboxDepth == Ids.Length, () => $"the twelve in the shard's inbox; {engine.InboxDepth}");
            held.SetResult();
        }

        var expected = Ids.Length + (held is null ? 0 : 1);
        EngineHost.Eventually(() => push.Messages.Count == expected, "every customer's push");
        return ([.. commits], [.. reads]);
    }

    [Fact]
    public async Task Each_enrollment_of_a_batch_runs_at_its_own_instant_so_a_delay_does_not_make_the_batch_due_at_once()
    {
        // The clock moves 1 µs at every reading, as time passes while a batch runs. Each enrollment runs at its own
        // clock reading, so the delays of one batch fall due spread over the time it ran instead of at one instant.
        var start = new DateTimeOffset(2026, 5, 4, 9, 0, 0, TimeSpan.Zero);
        var time = new TickingClock(start);
        var push = new RecordingChannelSender();
        var wakes = new ConcurrentQueue<DateTimeOffset>();
        var services = new ServiceCollection();
        services.AddSingleton<TimeProvider>(time);
        services.AddSingleton<InMemoryCustomerStore>();
        services.AddSingleton(sp => new InMemoryEngineStore(sp.GetRequiredService<InMemoryCustomerStore>()));
        services.AddSingleton<IEnrollmentStore>(sp => new WakeRecorder(sp.GetRequiredService<InMemoryEngineStore>(), wakes));
        services.AddJourneys(j => j
            .AddSender(Channel.Push, push)
            .AddCampaigns(new Campaign("hello", Channel.Push, "Hello"))
            .Configure(o => o.ShardCount = 1));
        await using var provider = services.BuildServiceProvider();
        var ids = Enumerable.Range(0, 20).Select(i => $"c{i}@example.com").ToArray();
        await provider.GetRequiredService<ICustomerStore>().UpsertAsync([.. ids.Select(id => new Customer(id))]);
        await using var running = await EngineHost.RunHostedAsync(provider);
        var manager = provider.GetRequiredService<IJourneyManager>();
        var delay = TimeSpan.FromMinutes(5);
        await manager.CreateAsync(JourneyBuilder.Create("j", "J").EnterFromList(ids)
            .Steps(p => p.Send(Channel.Push, "hello", id: "hello").Delay(delay, id: "wait").Send(Channel.Push, "hello", id: "again")).Build());
        await manager.ActivateAsync("j");

        EngineHost.Eventually(() => wakes.Count == ids.Length, "every enrollment waiting on its delay");
        Assert.Equal(ids.Length, wakes.Distinct().Count());

        time.Advance(delay + TimeSpan.FromSeconds(1));
        EngineHost.Eventually(() => push.Messages.Count == 2 * ids.Length, "every customer's second push once the delays are due");
    }

    [Theory]
    [InlineData(0, 0)]
    [InlineData(1, 1)]
    [InlineData(0.001, 1)]
    [InlineData(0.6, 1)]
    [InlineData(999.9999, 1000)]
    [InlineData(1000, 1000)]
    public void Timer_waits_are_rounded_up_to_whole_milliseconds(double milliseconds, double expected) =>
        Assert.Equal(TimeSpan.FromMilliseconds(expected), JourneyEngine.WholeMilliseconds(TimeSpan.FromMilliseconds(milliseconds)));

    // Each read of a customer takes readTime of the engine's clock and is recorded; batch reads (ICustomerStore's
    // default GetManyAsync, one GetAsync per id) fail when batchReads is off, so the engine reads each customer alone.
    // With held, a batch read that includes HeldId calls holding and waits until held completes.
    private sealed class SlowCustomerStore(ICustomerStore inner, FakeTimeProvider time, TimeSpan readTime, bool batchReads, ConcurrentQueue<string> reads, TaskCompletionSource? held = null, Action? holding = null) : ICustomerStore
    {
        public ValueTask<Customer?> GetAsync(string customerId, CancellationToken cancellationToken = default)
        {
            time.Advance(readTime);
            reads.Enqueue(customerId);
            return inner.GetAsync(customerId, cancellationToken);
        }

        public async ValueTask<IReadOnlyList<Customer?>> GetManyAsync(IReadOnlyList<string> customerIds, CancellationToken cancellationToken = default)
        {
            if (!batchReads)
            {
                throw new InvalidOperationException("Batch reads are refused in this test.");
            }

            if (held is not null && customerIds.Contains(HeldId))
            {
                holding!();
                await held.Task.WaitAsync(cancellationToken);
            }

            var result = new Customer?[customerIds.Count];
            for (var i = 0; i < result.Length; i++)
            {
                result[i] = await GetAsync(customerIds[i], cancellationToken);
            }

            return result;
        }

        public ValueTask<CustomerFieldSchema> GetSchemaAsync(CancellationToken cancellationToken = default) => inner.GetSchemaAsync(cancellationToken);

        public ValueTask SaveSchemaAsync(CustomerFieldSchema schema, CancellationToken cancellationToken = default) => inner.SaveSchemaAsync(schema, cancellationToken);

        public ValueTask<CustomerUpsertResult> UpsertAsync(IReadOnlyList<Customer> customers, CancellationToken cancellationToken = default) => inner.UpsertAsync(customers, cancellationToken);

        public ValueTask<bool> DeleteAsync(string customerId, CancellationToken cancellationToken = default) => inner.DeleteAsync(customerId, cancellationToken);

        public IAsyncEnumerable<Customer> ScanAsync(CancellationToken cancellationToken = default) => inner.ScanAsync(cancellationToken);
    }

    /// <summary>A fake clock that also moves 1 µs at every reading of it (its timers follow the advanced time only).</summary>
    private sealed class TickingClock(DateTimeOffset start) : FakeTimeProvider(start)
    {
        private long _readings;

        public override DateTimeOffset GetUtcNow() => base.GetUtcNow() + TimeSpan.FromMicroseconds(Interlocked.Increment(ref _readings));
    }

    /// <summary>Records the due instant of every committed checkpoint that waits on a timer.</summary>
    private sealed class WakeRecorder(IEnrollmentStore inner, ConcurrentQueue<DateTimeOffset> wakes) : DelegatingEnrollmentStore(inner)
    {
        public override async ValueTask<IReadOnlyList<bool>> CommitAsync(string owner, IReadOnlyList<EnrollmentCheckpoint> checkpoints, OutboxHandoff? outboxHandoff, CancellationToken cancellationToken = default)
        {
            var applied = await InnerStore.CommitAsync(owner, checkpoints, outboxHandoff, cancellationToken);
            for (var i = 0; i < checkpoints.Count; i++)
            {
                if (applied[i] && checkpoints[i].State is { Status: EnrollmentStatus.Waiting, WakeAt: { } wake })
                {
                    wakes.Enqueue(wake);
                }
            }

            return applied;
        }
    }

    private sealed class CommitCounter(IEnrollmentStore inner, ConcurrentQueue<int> commits) : DelegatingEnrollmentStore(inner)
    {
        public override ValueTask<IReadOnlyList<bool>> CommitAsync(string owner, IReadOnlyList<EnrollmentCheckpoint> checkpoints, OutboxHandoff? outboxHandoff, CancellationToken cancellationToken = default)
        {
            commits.Enqueue(checkpoints.Count);
            return InnerStore.CommitAsync(owner, checkpoints, outboxHandoff, cancellationToken);
        }
    }

    // A fake clock that moves by `step` each time the engine reads its timestamp (the batch slice's clock).
    private sealed class TickingTimeProvider(DateTimeOffset start, TimeSpan step) : FakeTimeProvider(start)
    {
        public override long GetTimestamp()
        {
            Advance(step);
            return base.GetTimestamp();
        }
    }
}
