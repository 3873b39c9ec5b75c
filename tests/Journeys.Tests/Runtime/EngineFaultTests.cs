using Journeys.Building;
using Journeys.Messaging;
using Journeys.Runtime;
using Journeys.Storage;
using Journeys.Storage.InMemory;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace Journeys.Tests.Runtime;

public sealed class EngineFaultTests
{
    [Fact]
    public async Task An_enrollment_that_cannot_run_fails_visibly_and_the_shard_goes_on()
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 5, 4, 9, 0, 0, TimeSpan.Zero));
        var push = new RecordingChannelSender();
        var services = new ServiceCollection();
        services.AddSingleton<TimeProvider>(time);
        services.AddSingleton<InMemoryCustomerStore>();
        services.AddSingleton<ICustomerStore>(sp => new ThrowingCustomerStore(sp.GetRequiredService<InMemoryCustomerStore>(), "bad@example.com"));
        services.AddJourneys(j => j
            .AddSender(Channel.Push, push)
            .AddCampaigns(new Campaign("hello", Channel.Push, "Hello"))
            .Configure(o => o.ShardCount = 1));
        await using var provider = services.BuildServiceProvider();
        await using var running = await EngineHost.RunHostedAsync(provider);
        var manager = provider.GetRequiredService<IJourneyManager>();
        await manager.CreateAsync(JourneyBuilder.Create("j", "J").EnterFromList(["bad@example.com", "good@example.com"])
            .Steps(p => p.Send(Channel.Push, "hello", id: "hello")).Build());
        await manager.ActivateAsync("j");

        EngineHost.Eventually(() => push.Messages.Count == 1, "the good customer's push");
        EngineHost.Eventually(
            () => manager.GetStatisticsAsync("j").AsTask().GetAwaiter().GetResult().Get(StatisticCounter.Failed) == 1,
            "the bad customer's enrollment failed");
        var bad = await provider.GetRequiredService<IEnrollmentStore>().GetByCustomerAsync("bad@example.com");
        Assert.Equal((EnrollmentStatus.Failed, "engine error: IOException"), (bad.Single().Status, bad.Single().EndReason));
        Assert.Equal("good@example.com", push.Messages.Single().CustomerId);
    }

    private sealed class ThrowingCustomerStore(ICustomerStore inner, string badId) : ICustomerStore
    {
        public ValueTask<Customer?> GetAsync(string customerId, CancellationToken cancellationToken = default) =>
            customerId == badId ? throw new IOException("disk on fire") : inner.GetAsync(customerId, cancellationToken);

        public ValueTask<CustomerFieldSchema> GetSchemaAsync(CancellationToken cancellationToken = default) => inner.GetSchemaAsync(cancellationToken);

        public ValueTask SaveSchemaAsync(CustomerFieldSchema schema, CancellationToken cancellationToken = default) => inner.SaveSchemaAsync(schema, cancellationToken);

        public ValueTask<CustomerUpsertResult> UpsertAsync(IReadOnlyList<Customer> customers, CancellationToken cancellationToken = default) => inner.UpsertAsync(customers, cancellationToken);

        public ValueTask<bool> DeleteAsync(string customerId, CancellationToken cancellationToken = default) => inner.DeleteAsync(customerId, cancellationToken);

        public IAsyncEnumerable<Customer> ScanAsync(CancellationToken cancellationToken = default) => inner.ScanAsync(cancellationToken);
    }
}
