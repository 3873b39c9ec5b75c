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
    [Fact]
    public async Task A_batch_is_committed_once_running_it_took_its_time_slice()
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 5, 4, 9, 0, 0, TimeSpan.Zero));
        var push = new RecordingChannelSender();
        var commits = new ConcurrentQueue<int>();
        var services = new ServiceCollection();
        services.AddSingleton<TimeProvider>(time);
        services.AddSingleton<InMemoryCustomerStore>();

        // Each customer read takes 2 ms of the engine's clock: more than the 1 ms slice, so each batch holds one enrollment.
        services.AddSingleton<ICustomerStore>(sp => new SlowCustomerStore(sp.GetRequiredService<InMemoryCustomerStore>(), time, TimeSpan.FromMilliseconds(2)));
        services.AddSingleton(sp => new InMemoryEngineStore(sp.GetRequiredService<InMemoryCustomerStore>()));
        services.AddSingleton<IEnrollmentStore>(sp => new CommitCounter(sp.GetRequiredService<InMemoryEngineStore>(), commits));
        services.AddJourneys(j => j
            .AddSender(Channel.Push, push)
            .AddCampaigns(new Campaign("hello", Channel.Push, "Hello"))
            .Configure(o => o.ShardCount = 1));
        await using var provider = services.BuildServiceProvider();
        var ids = Enumerable.Range(0, 12).Select(i => $"c{i}@example.com").ToArray();
        await provider.GetRequiredService<ICustomerStore>().UpsertAsync([.. ids.Select(id => new Customer(id))]);
        await using var running = await EngineHost.RunHostedAsync(provider);
        var manager = provider.GetRequiredService<IJourneyManager>();
        await manager.CreateAsync(JourneyBuilder.Create("j", "J").EnterFromList(ids)
            .Steps(p => p.Send(Channel.Push, "hello", id: "hello")).Build());
        await manager.ActivateAsync("j");

        EngineHost.Eventually(() => push.Messages.Count == ids.Length, "every customer's push");
        Assert.Equal(ids.Length, commits.Count);
        Assert.All(commits, size => Assert.Equal(1, size));
        Assert.True(JourneyEngine.MinBatchSlice < TimeSpan.FromMilliseconds(2), "the test's reads must outlast the minimum slice");
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

    private sealed class SlowCustomerStore(ICustomerStore inner, FakeTimeProvider time, TimeSpan readTime) : ICustomerStore
    {
        public ValueTask<Customer?> GetAsync(string customerId, CancellationToken cancellationToken = default)
        {
            time.Advance(readTime);
            return inner.GetAsync(customerId, cancellationToken);
        }

        public ValueTask<CustomerFieldSchema> GetSchemaAsync(CancellationToken cancellationToken = default) => inner.GetSchemaAsync(cancellationToken);

        public ValueTask SaveSchemaAsync(CustomerFieldSchema schema, CancellationToken cancellationToken = default) => inner.SaveSchemaAsync(schema, cancellationToken);

        public ValueTask<CustomerUpsertResult> UpsertAsync(IReadOnlyList<Customer> customers, CancellationToken cancellationToken = default) => inner.UpsertAsync(customers, cancellationToken);

        public ValueTask<bool> DeleteAsync(string customerId, CancellationToken cancellationToken = default) => inner.DeleteAsync(customerId, cancellationToken);

        public IAsyncEnumerable<Customer> ScanAsync(CancellationToken cancellationToken = default) => inner.ScanAsync(cancellationToken);
    }

    private sealed class CommitCounter(IEnrollmentStore inner, ConcurrentQueue<int> commits) : DelegatingEnrollmentStore(inner)
    {
        public override ValueTask<IReadOnlyList<bool>> CommitAsync(string owner, IReadOnlyList<EnrollmentCheckpoint> checkpoints, OutboxHandoff? outboxHandoff, CancellationToken cancellationToken = default)
        {
            commits.Enqueue(checkpoints.Count);
            return InnerStore.CommitAsync(owner, checkpoints, outboxHandoff, cancellationToken);
        }
    }
}
