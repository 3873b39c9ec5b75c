using System.Collections.Concurrent;
using Journeys.Building;
using Journeys.Messaging;
using Journeys.Runtime;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Journeys.Storage.Tests.PostgreSql;

/// <summary>
/// A host that stops gracefully gives back the leases of the work it will not do, and the other hosts, woken by the
/// release's <c>NOTIFY</c>, take it at once: the leases here last 10 minutes, the wait 20 seconds (less than the
/// engines' 30-second <see cref="JourneysOptions.MaxIdle"/> backstop).
/// </summary>
[RequiresPostgreSql]
public sealed class PostgreSqlStopHandBackTests : IAsyncLifetime
{
    private readonly string _schema = PostgreSqlTestServer.NewSchema();

    public Task InitializeAsync() => Task.CompletedTask;

    public Task DisposeAsync() => PostgreSqlTestServer.DropSchemaAsync(_schema).AsTask();

    [Fact]
    public async Task A_stopping_host_hands_the_messages_queued_for_its_dispatcher_to_a_running_host_at_once()
    {
        await using var dataA = PostgreSqlTestServer.CreateDataSource();
        await using var dataB = PostgreSqlTestServer.CreateDataSource();
        Campaign[] campaigns = [new Campaign("hello", Channel.Push, "Hello")];
        var hanging = new HangingSender();
        var pushB = new RecordingChannelSender();
        var lease = TimeSpan.FromMinutes(10);

        // Host A commits one enrollment per batch: its dispatcher hangs on the first SendLimit pushes (its loop is full)
        // while the last one is handed to it by the next commit and waits behind them, leased to A. (Its send timeout is
        // a day: with the default 10 s, a slow run would time the hanging sends out and retry them before A stops.)
        await using var a = TwoHosts.Services(dataA, _schema, "host-a", hanging, campaigns, shardCount: 1, leaseDuration: lease, extend: s => s.Configure<JourneysOptions>(o =>
        {
            o.BatchSize = 1;
            o.DefaultChannelPolicy.Timeout = TimeSpan.FromHours(24);
        }));
        await using var b = TwoHosts.Services(dataB, _schema, "host-b", pushB, campaigns, shardCount: 1, leaseDuration: lease);
        var managerA = a.GetRequiredService<IJourneyManager>();
        var hostedA = await TwoHosts.StartAsync(a);
        var hostedB = await TwoHosts.StartAsync(b);
        var stoppedA = false;
        string[] customers = [.. Enumerable.Range(0, JourneysOptions.DefaultMaxConcurrentSends + 1).Select(i => $"c{i:D2}")];
        try
        {
            await managerA.CreateAsync(JourneyBuilder.Create("j", "J").EnterOnEvent("go")
                .Steps(p => p.Send(Channel.Push, "hello", id: "push"))
                .Build());
            await managerA.ActivateAsync("j");
            var now = DateTimeOffset.UtcNow;

            // One at a time: all at once, commits past A's hand-off capacity (4 messages) would leave their messages
            // unleased in the store while A's dispatcher still took the first ones, and host B would claim them.
            for (var i = 0; i < customers.Length; i++)
            {
                await managerA.PublishAsync([new CustomerEvent(customers[i], "go", [], now)]);
                var committed = i + 1;
                TwoHosts.Eventually(
                    () => managerA.GetStatisticsAsync("j").AsTask().GetAwaiter().GetResult().Get(StatisticCounter.Completed) == committed
                        && hanging.Started.Count == Math.Min(committed, JourneysOptions.DefaultMaxConcurrentSends),
                    $"customer {committed} committed on host A");
            }

            TwoHosts.Eventually(
                () => hanging.Started.Count == JourneysOptions.DefaultMaxConcurrentSends && managerA.GetStatisticsAsync("j").AsTask().GetAwaiter().GetResult().Get(StatisticCounter.Completed) == customers.Length,
                "every enrollment committed on host A, SendLimit of its pushes' sends under way");
            Assert.Empty(pushB.Messages);

            await TwoHosts.StopAsync(hostedA);
            stoppedA = true;

            TwoHosts.Eventually(() => pushB.Messages.Count == 1, "the push host A never took sent by host B well before its lease would have expired");
            var started = hanging.Started.ToHashSet(StringComparer.Ordinal);
            Assert.Equal(JourneysOptions.DefaultMaxConcurrentSends, started.Count);
            Assert.Equal(Assert.Single(customers, c => !started.Contains(c)), Assert.Single(pushB.Messages).CustomerId);
        }
        finally
        {
            await TwoHosts.StopAsync(hostedB);
            if (!stoppedA)
            {
                await TwoHosts.StopAsync(hostedA);
            }
        }
    }

    [Fact]
    public async Task A_host_stopping_mid_intake_hands_its_claim_to_a_running_host_which_enrolls_the_rest_at_once()
    {
        await using var dataA = PostgreSqlTestServer.CreateDataSource();
        await using var dataB = PostgreSqlTestServer.CreateDataSource();
        Campaign[] campaigns = [new Campaign("hello", Channel.Push, "Hello")];
        var lease = TimeSpan.FromMinutes(10);
        const int customers = 2_500;

        // Host A's second enroll call into the store (the intake's second chunk of 1,000) hangs until A stops.
        HangingEnrollments? hangingA = null;
        await using var a = TwoHosts.Services(dataA, _schema, "host-a", new RecordingChannelSender(), campaigns, leaseDuration: lease, extend: s =>
        {
            var stored = s.Last(d => d.ServiceType == typeof(IEnrollmentStore));
            s.AddSingleton<IEnrollmentStore>(sp => hangingA = new HangingEnrollments((IEnrollmentStore)stored.ImplementationFactory!(sp), hangCall: 2));
        });
        var pushB = new RecordingChannelSender();
        await using var b = TwoHosts.Services(dataB, _schema, "host-b", pushB, campaigns, leaseDuration: lease);
        var managerA = a.GetRequiredService<IJourneyManager>();
        await a.GetRequiredService<ICustomerStore>().UpsertAsync([.. Enumerable.Range(0, customers).Select(i => new Customer($"c{i:D5}"))]);
        var hostedA = await TwoHosts.StartAsync(a);
        IHostedService[]? hostedB = null;
        var stoppedA = false;
        try
        {
            await managerA.CreateAsync(JourneyBuilder.Create("j", "J").EnterAllCustomers()
                .EntryWindow(DateTimeOffset.UtcNow.AddSeconds(5), null)
                .Steps(p => p.Send(Channel.Push, "hello", id: "push"))
                .Build());
            await managerA.ActivateAsync("j");
            TwoHosts.Eventually(() => hangingA!.Hanging, "host A's intake run in its second chunk");

            // Host B starts now: it finds the intake claimed by A for 10 minutes and waits.
            hostedB = await TwoHosts.StartAsync(b);
            await TwoHosts.StopAsync(hostedA);
            stoppedA = true;

            // Woken by the release's NOTIFY, B resumes the intake well before A's claim would have expired.
            var enrollments = b.GetRequiredService<IEnrollmentStore>();
            TwoHosts.Eventually(
                () => enrollments.ListByJourneyAsync("j", null).CountAsync().AsTask().GetAwaiter().GetResult() == customers,
                "every customer enrolled once host A handed its intake back");
            var perCustomer = (await enrollments.ListByJourneyAsync("j", null).ToListAsync()).GroupBy(e => e.CustomerId, StringComparer.Ordinal);
            Assert.All(perCustomer, g => Assert.Single(g));

            // The intake is completed after its last chunk is enrolled: the enrollments can all be there a moment before.
            var journeys = b.GetRequiredService<IJourneyStore>();
            TwoHosts.Eventually(
                () => journeys.ListIntakesAsync().CountAsync().AsTask().GetAwaiter().GetResult() == 0,
                "host B's intake completed after its last chunk");
            Assert.Equal(customers, await enrollments.ListByJourneyAsync("j", null).CountAsync());
        }
        finally
        {
            if (hostedB is not null)
            {
                await TwoHosts.StopAsync(hostedB);
            }

            if (!stoppedA)
            {
                await TwoHosts.StopAsync(hostedA);
            }
        }
    }

    /// <summary>Hangs the given enroll call into the store until it is cancelled (the host stops).</summary>
    private sealed class HangingEnrollments(IEnrollmentStore inner, int hangCall) : DelegatingEnrollmentStore(inner)
    {
        private int _calls;
        private volatile bool _hanging;

        public bool Hanging => _hanging;

        public override async ValueTask<IReadOnlyList<EnrollmentOutcome>> EnrollAsync(IReadOnlyList<EnrollmentRequest> requests, CancellationToken cancellationToken = default)
        {
            await BeforeAsync(cancellationToken);
            return await InnerStore.EnrollAsync(requests, cancellationToken);
        }

        public override async ValueTask<LeasedEnrollments> EnrollLeasedAsync(IReadOnlyList<EnrollmentRequest> requests, EnrollmentLease lease, CancellationToken cancellationToken = default)
        {
            await BeforeAsync(cancellationToken);
            return await InnerStore.EnrollLeasedAsync(requests, lease, cancellationToken);
        }

        private async Task BeforeAsync(CancellationToken cancellationToken)
        {
            if (Interlocked.Increment(ref _calls) == hangCall)
            {
                _hanging = true;
                await Task.Delay(Timeout.Infinite, cancellationToken);
            }
        }
    }

    /// <summary>Hangs on every message until its send is cancelled (the host stops).</summary>
    private sealed class HangingSender : IChannelSender
    {
        public ConcurrentQueue<string> Started { get; } = new();

        public async ValueTask<SendResult> SendAsync(OutboundMessage message, CancellationToken cancellationToken)
        {
            Started.Enqueue(message.CustomerId);
            await Task.Delay(Timeout.Infinite, cancellationToken);
            return SendResult.Sent;
        }
    }
}
