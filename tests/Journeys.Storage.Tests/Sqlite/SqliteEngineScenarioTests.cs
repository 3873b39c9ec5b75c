using Journeys.Building;
using Journeys.Messaging;
using Journeys.Runtime;
using Journeys.Tests.Shared;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Time.Testing;

namespace Journeys.Storage.Tests.Sqlite;

/// <summary>The hosted engine end to end on a SQLite file, on a fake clock: thousands of customers through sends, a delay and a wait.</summary>
public sealed class SqliteEngineScenarioTests : IDisposable
{
    private const int CustomerCount = 3_000;
    private static readonly DateTimeOffset T0 = new(2026, 5, 4, 9, 0, 0, TimeSpan.Zero);
    private readonly SqliteTestFile _file = new();

    public void Dispose() => _file.Dispose();

    [Fact]
    public async Task Thousands_of_customers_flow_through_sends_a_delay_and_a_wait_on_sqlite()
    {
        var time = new FakeTimeProvider(T0);
        var push = new RecordingChannelSender();
        var email = new RecordingChannelSender();
        var sms = new RecordingChannelSender();
        var services = new ServiceCollection();
        services.AddSingleton<TimeProvider>(time);
        services.AddJourneys(j => j
            .UseSqlite(_file.ConnectionString)
            .AddSender(Channel.Push, push)
            .AddSender(Channel.Email, email)
            .AddSender(Channel.Sms, sms)
            .AddCampaigns(new Campaign("hello", Channel.Push, "Hello"), new Campaign("thanks", Channel.Email, "Thanks"), new Campaign("nudge", Channel.Sms, "Still there?"))
            .Configure(o => o.ShardCount = 2));

        // Counts the messages the dispatcher claims from the store (the engine's own commits hand theirs over instead).
        var store = services.Last(d => d.ServiceType == typeof(IOutboxStore));
        var claims = new ClaimCountingOutbox();
        services.AddSingleton<IOutboxStore>(sp => claims.Wrap((IOutboxStore)store.ImplementationFactory!(sp)));
        await using var provider = services.BuildServiceProvider();
        var hosted = provider.GetServices<IHostedService>().ToArray();
        foreach (var service in hosted)
        {
            await service.StartAsync(default);
        }

        try
        {
            var manager = provider.GetRequiredService<IJourneyManager>();
            await provider.GetRequiredService<ICustomerStore>().UpsertAsync([.. Enumerable.Range(0, CustomerCount).Select(i => new Customer($"c{i:D5}"))]);
            var journey = JourneyBuilder.Create("flow", "Flow")
                .EnterAllCustomers()
                .Steps(p => p
                    .Send(Channel.Push, "hello", id: "push")
                    .Delay(TimeSpan.FromDays(1), id: "day")
                    .WaitForEvent(FeedbackEvents.Clicked, TimeSpan.FromDays(2), w => w
                        .OnEvent(e => e.Send(Channel.Email, "thanks", id: "email").Exit("clicked", id: "clicked"))
                        .OnTimeout(t => t.Send(Channel.Sms, "nudge", id: "sms").Exit("ignored", id: "ignored")), id: "wait"))
                .Build();
            await manager.CreateAsync(journey);
            var (_, enrolled) = await manager.ActivateAsync("flow");
            Assert.Equal(CustomerCount, enrolled);

            Eventually(() => push.Messages.Count == CustomerCount && Count(manager, "day", StatisticCounter.Entered) == CustomerCount, "every customer pushed and waiting a day");

            time.Advance(TimeSpan.FromDays(1));
            Eventually(() => Count(manager, "wait", StatisticCounter.Entered) == CustomerCount, "every customer waiting for a click");

            var clickers = Enumerable.Range(0, CustomerCount).Where(i => i % 3 == 0).Select(i => $"c{i:D5}").ToArray();
            await manager.PublishAsync([.. clickers.Select(c => new CustomerEvent(c, FeedbackEvents.Clicked, [], time.GetUtcNow()))]);
            Eventually(() => email.Messages.Count == clickers.Length, "a thank-you e-mail per click");

            time.Advance(TimeSpan.FromDays(2));
            Eventually(() => sms.Messages.Count == CustomerCount - clickers.Length, "a nudge per customer who did not click");
            Eventually(() => Count(manager, null, StatisticCounter.Exited) == CustomerCount, "every enrollment ended");

            var statistics = await manager.GetStatisticsAsync("flow");
            Assert.Equal(CustomerCount, statistics.Get("push", StatisticCounter.Sent));
            Assert.Equal(clickers.Length, statistics.Get("clicked", StatisticCounter.Exited));
            Assert.Equal(CustomerCount - clickers.Length, statistics.Get("ignored", StatisticCounter.Exited));
            Assert.Equal(CustomerCount, push.Messages.Select(m => m.IdempotencyKey).Distinct().Count());
            Assert.Equal(clickers.Order(StringComparer.Ordinal), email.Messages.Select(m => m.CustomerId).Order(StringComparer.Ordinal));

            var ended = new List<Enrollment>();
            await foreach (var enrollment in provider.GetRequiredService<IEnrollmentStore>().ListByJourneyAsync("flow", null))
            {
                ended.Add(enrollment);
            }

            Assert.Equal(CustomerCount, ended.Count);
            Assert.All(ended, e => Assert.Equal(EnrollmentStatus.Exited, e.Status));
            Assert.Null(await provider.GetRequiredService<IEnrollmentStore>().GetNextWakeAsync());
            Assert.Null(await provider.GetRequiredService<IOutboxStore>().GetNextDueAsync());

            // 6,000 messages: the push phase's first 4 × BatchSize × ShardCount = 2,048 at least, and every message of
            // the two later (smaller) phases, were handed to the dispatcher by their commits, not claimed.
            Assert.True(claims.Claimed < CustomerCount, $"the dispatcher claimed {claims.Claimed} of the 6,000 messages from the store");
        }
        finally
        {
            foreach (var service in hosted.Reverse())
            {
                await service.StopAsync(default);
            }
        }
    }

    [Fact]
    public async Task A_second_host_on_the_same_file_is_refused_at_start_naming_it_and_the_first_goes_on()
    {
        // Each engine leases work in-process: two hosts on one file would both run every enrollment due.
        ServiceProvider Host()
        {
            var services = new ServiceCollection();
            services.AddSingleton<TimeProvider>(new FakeTimeProvider(T0));
            services.AddJourneys(j => j.UseSqlite(_file.ConnectionString).AddSender(Channel.Push, new RecordingChannelSender()));
            return services.BuildServiceProvider();
        }

        await using (var first = Host())
        {
            await using var running = await HostedServices.RunAsync(first);
            await using (var second = Host())
            {
                var error = await Assert.ThrowsAsync<InvalidOperationException>(() => HostedServices.RunAsync(second));
                Assert.Contains($"'{_file.Path}.lock'", error.Message, StringComparison.Ordinal);
                Assert.Contains("another Journeys host", error.Message, StringComparison.Ordinal);
            }

            await first.GetRequiredService<ICustomerStore>().UpsertAsync([new Customer("still-mine")]);
        }

        // The first host is gone (its container disposed the database): the file is free again.
        await using var third = Host();
        await using var started = await HostedServices.RunAsync(third);
        Assert.NotNull(await third.GetRequiredService<ICustomerStore>().GetAsync("still-mine"));
    }

    private static long Count(IJourneyManager manager, string? nodeId, StatisticCounter counter)
    {
        var statistics = manager.GetStatisticsAsync("flow").AsTask().GetAwaiter().GetResult();
        return nodeId is null ? statistics.Get(counter) : statistics.Get(nodeId, counter);
    }

    /// <summary>An outbox store that counts the messages claims return, and passes everything on.</summary>
    private sealed class ClaimCountingOutbox
    {
        private int _claimed;

        public int Claimed => Volatile.Read(ref _claimed);

        public IOutboxStore Wrap(IOutboxStore inner) => new Counting(inner, this);

        private sealed class Counting(IOutboxStore inner, ClaimCountingOutbox counter) : DelegatingOutboxStore(inner)
        {
            public override async ValueTask<IReadOnlyList<OutboxMessage>> ClaimAsync(string owner, DateTimeOffset now, int maxItems, TimeSpan lease, CancellationToken cancellationToken = default)
            {
                var claimed = await InnerStore.ClaimAsync(owner, now, maxItems, lease, cancellationToken);
                Interlocked.Add(ref counter._claimed, claimed.Count);
                return claimed;
            }
        }
    }

    /// <summary>Waits (bounded, in real time) for the background engine; asserts nothing about timing.</summary>
    private static void Eventually(Func<bool> condition, string what) =>
        Assert.True(SpinWait.SpinUntil(condition, TimeSpan.FromSeconds(120)), $"Timed out waiting for: {what}");
}
