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
/// A shard refills its own checkpoints batch after batch only for the bare in-memory store, which keeps none of them: a
/// store that decorates it may keep what it is given, and must find it as it was given.
/// </summary>
public sealed class ReusedCheckpointScenarioTests
{
    private static readonly DateTimeOffset T0 = new(2026, 5, 4, 9, 0, 0, TimeSpan.Zero);

    [Fact]
    public async Task A_decorating_store_keeps_every_checkpoint_it_was_given_as_it_was_given()
    {
        var time = new FakeTimeProvider(T0);
        var customers = new InMemoryCustomerStore();
        var engineStore = new InMemoryEngineStore(customers);
        var enrollments = new KeepingEnrollments(engineStore);
        var sender = new RecordingChannelSender();
        await customers.SaveSchemaAsync(SampleJourneys.Schema);
        var ids = Enumerable.Range(0, 30).Select(i => $"c{i}@example.com").ToArray();
        await customers.UpsertAsync([.. ids.Select(id => new Customer(id))]);

        var services = new ServiceCollection();
        services.AddSingleton<TimeProvider>(time);
        services.AddSingleton(customers);
        services.AddSingleton<ICustomerStore>(customers);
        services.AddSingleton<IJourneyStore>(new InMemoryJourneyStore(time));
        services.AddSingleton(engineStore);
        services.AddSingleton<IEnrollmentStore>(enrollments);

        // The outbox is the bare in-memory store: the engine's checkpoints are the executor's form (no state records).
        services.AddSingleton<IOutboxStore>(engineStore);
        services.AddJourneys(j => j
            .AddSender(Channel.Sms, sender)
            .AddCampaigns(new Campaign("first", Channel.Sms, "One"), new Campaign("second", Channel.Sms, "Two"))
            .Configure(o =>
            {
                o.ShardCount = 1;
                o.BatchSize = 4;
            }));
        await using var provider = services.BuildServiceProvider();
        var manager = provider.GetRequiredService<IJourneyManager>();
        await manager.CreateAsync(JourneyBuilder.Create("two-sends", "Two sends").EnterOnEvent("go")
            .Steps(p => p.Send(Channel.Sms, "first", id: "one").Send(Channel.Sms, "second", id: "two"))
            .Build());
        await manager.ActivateAsync("two-sends");
        await using (await EngineHost.RunHostedAsync(provider))
        {
            await manager.PublishAsync([.. ids.Select(id => new CustomerEvent(id, "go", [], T0))]);
            EngineHost.Eventually(() => sender.Messages.Count == 2 * ids.Length, "every message to be sent");
        }

        // One checkpoint per customer, each its own object, each still the run it was committed with.
        var kept = enrollments.Kept.ToArray();
        Assert.Equal(ids.Length, kept.Length);
        Assert.Equal(kept.Length, kept.Select(k => k.Checkpoint).Distinct(ReferenceEqualityComparer.Instance).Count());
        foreach (var (checkpoint, customerId, status, messages) in kept)
        {
            Assert.True(checkpoint.HasState, $"the checkpoint of {customerId} was emptied after its commit");
            Assert.Equal(customerId, checkpoint.Identity.CustomerId);
            Assert.Equal(status, checkpoint.Status);
            Assert.Equal(EnrollmentStatus.Completed, checkpoint.State.Status);
            Assert.Equal(messages, checkpoint.Outbox.Select(m => m.Message.MessageId));
            Assert.All(checkpoint.Outbox, m => Assert.Equal(customerId, m.Message.CustomerId));
            Assert.Equal(["one", "two"], checkpoint.Outbox.Select(m => m.Message.NodeId));
        }

        Assert.Equal(ids.Order(StringComparer.Ordinal), kept.Select(k => k.CustomerId).Order(StringComparer.Ordinal));
    }

    /// <summary>Keeps every checkpoint it commits, with what it said when committed.</summary>
    private sealed class KeepingEnrollments(IEnrollmentStore inner) : DelegatingEnrollmentStore(inner)
    {
        private readonly ConcurrentQueue<(EnrollmentCheckpoint Checkpoint, string CustomerId, EnrollmentStatus Status, string[] Messages)> _kept = new();

        public IReadOnlyCollection<(EnrollmentCheckpoint Checkpoint, string CustomerId, EnrollmentStatus Status, string[] Messages)> Kept => _kept;

        public override async ValueTask<IReadOnlyList<bool>> CommitAsync(string owner, IReadOnlyList<EnrollmentCheckpoint> checkpoints, OutboxHandoff? outboxHandoff, CancellationToken cancellationToken = default)
        {
            var applied = await InnerStore.CommitAsync(owner, checkpoints, outboxHandoff, cancellationToken);
            for (var i = 0; i < checkpoints.Count; i++)
            {
                if (applied[i])
                {
                    var checkpoint = checkpoints[i];
                    _kept.Enqueue((checkpoint, checkpoint.Identity.CustomerId, checkpoint.Status, [.. checkpoint.Outbox.Select(m => m.Message.MessageId)]));
                }
            }

            return applied;
        }
    }
}
