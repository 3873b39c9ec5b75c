using Journeys.Building;
using Journeys.Messaging;
using Journeys.Runtime;
using Journeys.Storage;
using Journeys.Storage.InMemory;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
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
        var logs = new ListLoggerProvider();
        services.AddLogging(l => l.SetMinimumLevel(LogLevel.Debug).AddProvider(logs));
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

        // The failure is logged at Error with the exception's type and stack trace, but its message (which names the
        // customer here, as a host's store may) only at Debug: no personal data above Debug level.
        var entries = logs.Entries;
        var failed = Assert.Single(entries, e => e.EventId.Id == 8);
        Assert.Equal(LogLevel.Error, failed.Level);
        Assert.Contains("System.IO.IOException", failed.Exception, StringComparison.Ordinal);
        Assert.Contains(nameof(ThrowingCustomerStore), failed.Exception, StringComparison.Ordinal);
        Assert.All(
            entries.Where(e => e.Level > LogLevel.Debug),
            e => Assert.DoesNotContain("bad@example.com", e.Message + e.Exception, StringComparison.Ordinal));
        Assert.Contains(entries, e => e.Level == LogLevel.Debug && e.EventId.Id == 90 && e.Exception!.Contains("disk on fire while reading bad@example.com", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_send_skipped_for_a_missing_template_value_is_logged_by_the_engine_with_the_variable_name_once_at_warning_then_at_debug()
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 5, 4, 9, 0, 0, TimeSpan.Zero));
        var push = new RecordingChannelSender();
        var services = new ServiceCollection();
        services.AddSingleton<TimeProvider>(time);
        var logs = new ListLoggerProvider();
        services.AddLogging(l => l.SetMinimumLevel(LogLevel.Debug).AddProvider(logs));
        services.AddJourneys(j => j
            .AddSender(Channel.Push, push)
            .AddCampaigns(new Campaign("hello", Channel.Push, "Hello {{name}}"))
            .Configure(o => o.ShardCount = 1));
        await using var provider = services.BuildServiceProvider();
        var customers = provider.GetRequiredService<ICustomerStore>();
        await customers.SaveSchemaAsync(CustomerFieldSchema.Create([new FieldDefinition("firstName", FieldType.String)]));
        await customers.UpsertAsync([new Customer("a@example.com", [new("firstName", "Ana")]), new Customer("nameless@example.com"), new Customer("nameless2@example.com")]);
        await using var running = await EngineHost.RunHostedAsync(provider);
        var manager = provider.GetRequiredService<IJourneyManager>();
        await manager.CreateAsync(JourneyBuilder.Create("j", "J").EnterFromList(["a@example.com", "nameless@example.com", "nameless2@example.com"])
            .Steps(p => p.Send(Channel.Push, "hello", v => v.Bind("name", "firstName"), id: "hello")).Build());
        await manager.ActivateAsync("j");

        EngineHost.Eventually(
            () => manager.GetStatisticsAsync("j").AsTask().GetAwaiter().GetResult().Get(StatisticCounter.Completed) == 3,
            "the three enrollments completed");
        EngineHost.Eventually(() => push.Messages.Count == 1, "Ana's push");
        Assert.Equal("Hello Ana", push.Messages.Single().Body);
        var skipped = Assert.Single(logs.Entries, e => e.EventId.Id == 10);
        Assert.Equal((LogLevel.Warning, "Journeys.Runtime.JourneyEngine"), (skipped.Level, skipped.Category));
        Assert.Equal("Send of campaign hello at journey j version 1 node hello skipped: template variable 'name' has no value and no default (further skips of this send are logged at Debug, event 11; the notRendered counter counts them all)", skipped.Message);

        // The second customer without a name: Debug only (a campaign missing a field for many customers is one warning).
        var again = Assert.Single(logs.Entries, e => e.EventId.Id == 11);
        Assert.Equal(LogLevel.Debug, again.Level);
        Assert.Equal(2, (await manager.GetStatisticsAsync("j")).Get("hello", StatisticCounter.NotRendered));
        Assert.All(
            logs.Entries.Where(e => e.Level > LogLevel.Debug),
            e => Assert.DoesNotContain("nameless", e.Message + e.Exception, StringComparison.Ordinal));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task A_batch_reads_its_customers_with_one_call_and_falls_back_to_single_reads_when_that_call_fails(bool batchReadFails)
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 5, 4, 9, 0, 0, TimeSpan.Zero));
        var push = new RecordingChannelSender();
        var services = new ServiceCollection();
        services.AddSingleton<TimeProvider>(time);
        services.AddSingleton<InMemoryCustomerStore>();
        services.AddSingleton(sp => new BatchReadingCustomerStore(sp.GetRequiredService<InMemoryCustomerStore>(), batchReadFails));
        services.AddSingleton<ICustomerStore>(sp => sp.GetRequiredService<BatchReadingCustomerStore>());
        services.AddJourneys(j => j
            .AddSender(Channel.Push, push)
            .AddCampaigns(new Campaign("hello", Channel.Push, "Hello {{name}}"))
            .Configure(o => o.ShardCount = 1));
        await using var provider = services.BuildServiceProvider();
        var customers = provider.GetRequiredService<InMemoryCustomerStore>();
        await customers.SaveSchemaAsync(CustomerFieldSchema.Create([new FieldDefinition("firstName", FieldType.String)]));
        await customers.UpsertAsync([new Customer("a@example.com", [new("firstName", "Ana")]), new Customer("b@example.com", [new("firstName", "Bo")])]);
        var store = provider.GetRequiredService<BatchReadingCustomerStore>();
        await using var running = await EngineHost.RunHostedAsync(provider);
        var manager = provider.GetRequiredService<IJourneyManager>();
        await manager.CreateAsync(JourneyBuilder.Create("j", "J").EnterFromList(["a@example.com", "b@example.com", "missing@example.com"])
            .Steps(p => p.Send(Channel.Push, "hello", v => v.Bind("name", "firstName", "friend"), id: "hello")).Build());
        var single = store.SingleReads;
        await manager.ActivateAsync("j");

        EngineHost.Eventually(() => push.Messages.Count == 3, "three pushes");
        Assert.Equal(["Hello Ana", "Hello Bo", "Hello friend"], push.Messages.Select(m => m.Body).Order(StringComparer.Ordinal));
        Assert.True(store.BatchReads >= 1);
        Assert.Equal(3, store.BatchIds);
        Assert.Equal(batchReadFails ? 3 : 0, store.SingleReads - single);
        Assert.Equal(0, (await manager.GetStatisticsAsync("j")).Get(StatisticCounter.Failed));
    }

    private sealed class BatchReadingCustomerStore(ICustomerStore inner, bool fail) : ICustomerStore
    {
        private int _singleReads;
        private int _batchReads;
        private int _batchIds;

        public int SingleReads => Volatile.Read(ref _singleReads);

        public int BatchReads => Volatile.Read(ref _batchReads);

        public int BatchIds => Volatile.Read(ref _batchIds);

        public ValueTask<Customer?> GetAsync(string customerId, CancellationToken cancellationToken = default)
        {
            Interlocked.Increment(ref _singleReads);
            return inner.GetAsync(customerId, cancellationToken);
        }

        public async ValueTask<IReadOnlyList<Customer?>> GetManyAsync(IReadOnlyList<string> customerIds, CancellationToken cancellationToken = default)
        {
            Interlocked.Increment(ref _batchReads);
            Interlocked.Add(ref _batchIds, customerIds.Count);
            if (fail)
            {
                throw new IOException("batch read failed");
            }

            var result = new Customer?[customerIds.Count];
            for (var i = 0; i < result.Length; i++)
            {
                result[i] = await inner.GetAsync(customerIds[i], cancellationToken);
            }

            return result;
        }

        public ValueTask<CustomerFieldSchema> GetSchemaAsync(CancellationToken cancellationToken = default) => inner.GetSchemaAsync(cancellationToken);

        public ValueTask SaveSchemaAsync(CustomerFieldSchema schema, CancellationToken cancellationToken = default) => inner.SaveSchemaAsync(schema, cancellationToken);

        public ValueTask<CustomerUpsertResult> UpsertAsync(IReadOnlyList<Customer> customers, CancellationToken cancellationToken = default) => inner.UpsertAsync(customers, cancellationToken);

        public ValueTask<bool> DeleteAsync(string customerId, CancellationToken cancellationToken = default) => inner.DeleteAsync(customerId, cancellationToken);

        public IAsyncEnumerable<Customer> ScanAsync(CancellationToken cancellationToken = default) => inner.ScanAsync(cancellationToken);
    }

    private sealed class ThrowingCustomerStore(ICustomerStore inner, string badId) : ICustomerStore
    {
        public ValueTask<Customer?> GetAsync(string customerId, CancellationToken cancellationToken = default) =>
            customerId == badId ? throw new IOException($"disk on fire while reading {customerId}") : inner.GetAsync(customerId, cancellationToken);

        public ValueTask<CustomerFieldSchema> GetSchemaAsync(CancellationToken cancellationToken = default) => inner.GetSchemaAsync(cancellationToken);

        public ValueTask SaveSchemaAsync(CustomerFieldSchema schema, CancellationToken cancellationToken = default) => inner.SaveSchemaAsync(schema, cancellationToken);

        public ValueTask<CustomerUpsertResult> UpsertAsync(IReadOnlyList<Customer> customers, CancellationToken cancellationToken = default) => inner.UpsertAsync(customers, cancellationToken);

        public ValueTask<bool> DeleteAsync(string customerId, CancellationToken cancellationToken = default) => inner.DeleteAsync(customerId, cancellationToken);

        public IAsyncEnumerable<Customer> ScanAsync(CancellationToken cancellationToken = default) => inner.ScanAsync(cancellationToken);
    }
}
