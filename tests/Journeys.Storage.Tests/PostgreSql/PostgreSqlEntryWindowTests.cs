using Journeys.Building;
using Journeys.Messaging;
using Journeys.Runtime;
using Microsoft.Extensions.DependencyInjection;

namespace Journeys.Storage.Tests.PostgreSql;

/// <summary>
/// A journey activated before its entry window opens, on two hosts of one schema, both running: its audience enters
/// once when the window opens, and a host that read the pending intake before the other claimed it enrolls nobody
/// again (re-entry after exit is allowed and everyone has finished, so a second intake would enroll everyone again).
/// An intake a host left part-way is resumed by one of the live hosts once its claim expires, each customer once.
/// </summary>
[RequiresPostgreSql]
public sealed class PostgreSqlEntryWindowTests : IAsyncLifetime
{
    private const int Customers = 20;
    private readonly string _schema = PostgreSqlTestServer.NewSchema();

    public Task InitializeAsync() => Task.CompletedTask;

    public Task DisposeAsync() => PostgreSqlTestServer.DropSchemaAsync(_schema).AsTask();

    [Fact]
    public async Task Two_hosts_enroll_the_audience_once_when_the_window_opens_and_a_stale_claim_enrolls_nobody()
    {
        await using var dataA = PostgreSqlTestServer.CreateDataSource();
        await using var dataB = PostgreSqlTestServer.CreateDataSource();
        Campaign[] campaigns = [new Campaign("hello", Channel.Push, "Hello")];
        var pushA = new RecordingChannelSender();
        var pushB = new RecordingChannelSender();
        await using var a = TwoHosts.Services(dataA, _schema, "host-a", pushA, campaigns);
        await using var b = TwoHosts.Services(dataB, _schema, "host-b", pushB, campaigns);
        var managerA = a.GetRequiredService<IJourneyManager>();
        await a.GetRequiredService<ICustomerStore>().UpsertAsync([.. Enumerable.Range(0, Customers).Select(i => new Customer($"c{i}"))]);
        var hostedA = await TwoHosts.StartAsync(a);
        var hostedB = await TwoHosts.StartAsync(b);
        try
        {
            // Half a millisecond past a whole one: the intake opens at the next whole millisecond (what every store keeps).
            // Five seconds ahead on the real clock: the creation, activation and host B's reads below must come before it
            // (two seconds, as before, left little to spare on a loaded machine running other PostgreSQL tests).
            var now = DateTimeOffset.UtcNow;
            var opens = new DateTimeOffset(now.UtcTicks - (now.UtcTicks % TimeSpan.TicksPerMillisecond), TimeSpan.Zero).AddSeconds(5).AddTicks(TimeSpan.TicksPerMillisecond / 2);
            await managerA.CreateAsync(JourneyBuilder.Create("j", "J").EnterAllCustomers().ReEnterAfterExit().EntryWindow(opens, null)
                .Steps(p => p.Send(Channel.Push, "hello", id: "push"))
                .Build());
            var (_, enrolled) = await managerA.ActivateAsync("j");
            Assert.Equal(0, enrolled);

            // What host B read before the intake was claimed.
            var stale = Assert.Single(await b.GetRequiredService<IJourneyStore>().ListIntakesAsync().ToListAsync());
            var record = (await b.GetRequiredService<IJourneyManager>().GetAsync("j"))!;
            Assert.Equal(opens.AddTicks(TimeSpan.TicksPerMillisecond / 2), stale.OpensAt);

            // The intake is completed after its last chunk is enrolled, so the audience can finish before it is: wait for both.
            TwoHosts.Eventually(
                () => Count(managerA, StatisticCounter.Completed) == Customers && NoIntakes(a),
                "the audience's enrollments completed and the intake completed after the window opened");
            Assert.Equal(record.ETag, (await managerA.GetAsync("j"))!.ETag);

            Assert.Null(await b.GetRequiredService<JourneyManager>().RunIntakeAsync(stale, record, null, CancellationToken.None));

            Assert.Equal(Customers, Count(managerA, StatisticCounter.Entered));

            // An enrollment completes when its push is committed to the outbox; the dispatcher sends it just after.
            TwoHosts.Eventually(() => pushA.Messages.Count + pushB.Messages.Count >= Customers, "every push sent");
            Assert.Equal(Customers, pushA.Messages.Count + pushB.Messages.Count);
            var enrollments = await a.GetRequiredService<IEnrollmentStore>().ListByJourneyAsync("j", null).ToListAsync();
            Assert.Equal(Customers, enrollments.Count);
        }
        finally
        {
            await TwoHosts.StopAsync(hostedB);
            await TwoHosts.StopAsync(hostedA);
        }
    }

    [Fact]
    public async Task An_intake_left_part_way_by_a_dead_host_is_resumed_once_by_one_of_two_live_hosts_after_its_claim_expires()
    {
        const int audience = 2_500;
        await using var dataA = PostgreSqlTestServer.CreateDataSource();
        await using var dataB = PostgreSqlTestServer.CreateDataSource();
        await using var dataC = PostgreSqlTestServer.CreateDataSource();
        Campaign[] campaigns = [new Campaign("hello", Channel.Push, "Hello")];
        var pushB = new RecordingChannelSender();
        var pushC = new RecordingChannelSender();
        await using var a = Host(dataA, "host-a", new RecordingChannelSender(), campaigns, failSecondEnroll: true);
        await using var b = Host(dataB, "host-b", pushB, campaigns, failSecondEnroll: false);
        await using var c = Host(dataC, "host-c", pushC, campaigns, failSecondEnroll: false);
        var managerA = a.GetRequiredService<IJourneyManager>();
        await a.GetRequiredService<ICustomerStore>().UpsertAsync([.. Enumerable.Range(0, audience).Select(i => new Customer($"c{i:D5}"))]);
        await managerA.CreateAsync(JourneyBuilder.Create("j", "J").EnterAllCustomers().ReEnterAfterExit()
            .Steps(p => p.Send(Channel.Push, "hello", id: "push"))
            .Build());

        // Host A (its engine never runs) enrolls the first 1,000 and fails on the next chunk: it is as good as dead.
        await Assert.ThrowsAsync<InvalidOperationException>(async () => await managerA.ActivateAsync("j"));
        Assert.Equal(1_000, await a.GetRequiredService<IEnrollmentStore>().ListByJourneyAsync("j", null).CountAsync());
        Assert.Equal("host-a", Assert.Single(await a.GetRequiredService<IJourneyStore>().ListIntakesAsync().ToListAsync()).Owner);

        var hostedB = await TwoHosts.StartAsync(b);
        var hostedC = await TwoHosts.StartAsync(c);
        try
        {
            // The claim on an intake lasts at least 30 s: a bounded wait past that.
            Assert.True(
                SpinWait.SpinUntil(() => pushB.Messages.Count + pushC.Messages.Count == audience, TimeSpan.FromSeconds(60)),
                "Timed out waiting for every customer's push once host A's claim expired");
            var enrollments = await a.GetRequiredService<IEnrollmentStore>().ListByJourneyAsync("j", null).ToListAsync();
            Assert.Equal(audience, enrollments.Count);
            Assert.Equal(audience, enrollments.Select(e => e.CustomerId).Distinct(StringComparer.Ordinal).Count());
            // Completed after its last chunk is handed to the engine, so possibly after the last push.
            TwoHosts.Eventually(() => NoIntakes(a), "the resumed intake completed");
        }
        finally
        {
            await TwoHosts.StopAsync(hostedC);
            await TwoHosts.StopAsync(hostedB);
        }
    }

    /// <summary>A host of the schema whose leases last 2 s (its claims on intakes 30 s); its enroll calls fail from the second on when <paramref name="failSecondEnroll"/>.</summary>
    private ServiceProvider Host(Npgsql.NpgsqlDataSource dataSource, string owner, RecordingChannelSender push, Campaign[] campaigns, bool failSecondEnroll) =>
        TwoHosts.Services(dataSource, _schema, owner, push, campaigns, leaseDuration: TimeSpan.FromSeconds(2), extend: services =>
        {
            if (failSecondEnroll)
            {
                services.AddSingleton<IEnrollmentStore>(static sp => new FailingEnrollments(sp.GetRequiredService<Journeys.PostgreSql.PostgreSqlEngineStore>()));
            }
        });

    private sealed class FailingEnrollments(IEnrollmentStore inner) : DelegatingEnrollmentStore(inner)
    {
        private int _calls;

        public override ValueTask<IReadOnlyList<EnrollmentOutcome>> EnrollAsync(IReadOnlyList<EnrollmentRequest> requests, CancellationToken cancellationToken = default) =>
            Interlocked.Increment(ref _calls) >= 2
                ? throw new InvalidOperationException("The store failed in the middle of the intake.")
                : InnerStore.EnrollAsync(requests, cancellationToken);

        public override ValueTask<LeasedEnrollments> EnrollLeasedAsync(IReadOnlyList<EnrollmentRequest> requests, EnrollmentLease lease, CancellationToken cancellationToken = default) =>
            throw new InvalidOperationException("Host A's engine does not run: it never enrolls leased.");
    }

    /// <summary>Whether the schema has no pending or claimed intake left (read through <paramref name="host"/>).</summary>
    private static bool NoIntakes(IServiceProvider host) =>
        host.GetRequiredService<IJourneyStore>().ListIntakesAsync().ToListAsync().AsTask().GetAwaiter().GetResult().Count == 0;

    private static long Count(IJourneyManager manager, StatisticCounter counter) =>
        manager.GetStatisticsAsync("j").AsTask().GetAwaiter().GetResult().Get(counter);
}
