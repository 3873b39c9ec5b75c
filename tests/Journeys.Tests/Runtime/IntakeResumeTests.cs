using Journeys.Building;
using Journeys.Messaging;
using Journeys.Runtime;
using Journeys.Storage;
using Journeys.Storage.InMemory;
using Journeys.Tests.Building;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Time.Testing;

namespace Journeys.Tests.Runtime;

/// <summary>
/// An audience intake (activation, or entry window) that stops part-way (the store fails, the host stops) is resumed
/// and enrolls every customer exactly once: the customers the first run enrolled, finished or not, are not enrolled
/// again, although re-entry after exit would let them in (a second entry would send them the journey again).
/// 2,500 customers: the intake enrolls them in chunks of 1,000, and the second chunk's store call is the one that fails.
/// </summary>
public sealed class IntakeResumeTests
{
    private const int Customers = 2_500;
    private static readonly DateTimeOffset T0 = new(2026, 5, 1, 9, 0, 0, TimeSpan.Zero);
    private static readonly DateTimeOffset Opens = T0.AddDays(1);
    private static readonly TimeSpan Lease = TimeSpan.FromSeconds(30);

    private static JourneyDefinition Everyone(DateTimeOffset? opens) => JourneyBuilder.Create("everyone", "Everyone")
        .EnterAllCustomers()
        .ReEnterAfterExit()
        .EntryWindow(opens, null)
        .Steps(p => p.Send(Channel.Push, "tips", id: "tips"))
        .Build();

    [Fact]
    public async Task An_activation_whose_store_fails_part_way_is_resumed_and_enrolls_everyone_once()
    {
        // Half a millisecond past a whole one: the intake's time is rounded up to what every store keeps.
        var time = new FakeTimeProvider(T0.AddTicks(TimeSpan.TicksPerMillisecond / 2));
        var push = new RecordingChannelSender();
        await using var host = Host(time, push, "host-a", null);
        await SeedAsync(host);
        await using var running = await EngineHost.RunHostedAsync(host);
        var manager = host.GetRequiredService<IJourneyManager>();
        await manager.CreateAsync(Everyone(null));
        host.GetRequiredService<FaultyEnrollments>().FailCall = 2;

        await Assert.ThrowsAsync<InvalidOperationException>(async () => await manager.ActivateAsync("everyone"));

        // The journey is active; the runner resumes the intake this host left claimed (from its time, a half millisecond on).
        // Every customer reached: the clock moves a second per look, so a push whose lease ran out before its result was
        // recorded may go out again (delivery is at least once, with the same key); what must hold exactly once is the entry.
        AdvanceUntil(time, () => CustomersReached(push) == Customers, "every customer's push after the resumed intake");
        AssertOneSendPerCustomer(push);
        await AssertEnrolledOnceAsync(host);

        // The intake is completed after its last chunk is enrolled: the pushes can all go out a moment before.
        var journeys = host.GetRequiredService<IJourneyStore>();
        EngineHost.Eventually(() => journeys.ListIntakesAsync().CountAsync().AsTask().GetAwaiter().GetResult() == 0, "the intake completed");
    }

    [Fact]
    public async Task A_window_intake_whose_store_fails_part_way_is_resumed_without_enrolling_the_finished_customers_again()
    {
        var time = new FakeTimeProvider(T0);
        var push = new RecordingChannelSender();
        await using var host = Host(time, push, "host-a", null);
        await SeedAsync(host);
        await using var running = await EngineHost.RunHostedAsync(host);
        var manager = host.GetRequiredService<IJourneyManager>();
        await manager.CreateAsync(Everyone(Opens));
        var (activated, _) = await manager.ActivateAsync("everyone");
        host.GetRequiredService<FaultyEnrollments>().FailCall = 2;

        time.Advance(Opens - T0);

        // The first chunk entered and finished (re-entry after exit now lets them in again); the rest waits for the retry.
        EngineHost.Eventually(() => Count(manager, StatisticCounter.Completed) == 1_000, "the first chunk's 1,000 enrollments completed");
        Assert.Equal(1_000, await EnrollmentsAsync(host));

        // The runner tries again 5 s after the failure (on this clock, from whenever it saw the failure).
        AdvanceUntil(time, () => CustomersReached(push) == Customers, "every customer's push after the resumed intake");
        AssertOneSendPerCustomer(push);
        await AssertEnrolledOnceAsync(host);

        // The intake was claimed elsewhere than in the journey's record: a client's ETag read before the window stands.
        Assert.Equal(activated.ETag, (await manager.GetAsync("everyone"))!.ETag);
    }

    [Fact]
    public async Task A_host_stopped_mid_intake_hands_its_claim_back_and_the_next_host_enrolls_the_rest_at_once()
    {
        var time = new FakeTimeProvider(T0);
        var firstPush = new RecordingChannelSender();
        var logs = new ListLoggerProvider();
        await using var first = Host(time, firstPush, "host-a", null, logs);
        await SeedAsync(first);
        var running = await EngineHost.RunHostedAsync(first);
        var manager = first.GetRequiredService<IJourneyManager>();
        await manager.CreateAsync(Everyone(Opens));
        await manager.ActivateAsync("everyone");
        var faulty = first.GetRequiredService<FaultyEnrollments>();
        faulty.HangCall = 2;

        time.Advance(Opens - T0);
        EngineHost.Eventually(() => faulty.Hanging, "the intake's second chunk in the store");
        await running.DisposeAsync();
        Assert.Equal(1_000, await EnrollmentsAsync(first));
        Assert.Contains(logs.Entries, e => e.EventId.Id == 32 && e.Message.EndsWith("handed back (True) so another run resumes it at once", StringComparison.Ordinal));
        var listed = Assert.Single(await first.GetRequiredService<IJourneyStore>().ListIntakesAsync().ToListAsync());
        Assert.Equal(("host-a", Opens), (listed.Owner, listed.LeaseExpiresAt));

        var secondPush = new RecordingChannelSender();
        await using var second = Host(time, secondPush, "host-b", first);
        await using var restarted = await EngineHost.RunHostedAsync(second);

        // The clock does not move: host-a handed back its claim on the intake, so host-b enrolls the rest at once (before,
        // it waited for the 30-second claim to expire).
        EngineHost.Eventually(
            () => EnrollmentsAsync(second).GetAwaiter().GetResult() == Customers,
            () => $"every customer enrolled by the restart, the clock unmoved; enrolled {EnrollmentsAsync(second).GetAwaiter().GetResult()}");
        Assert.Equal(Opens, time.GetUtcNow());

        // A push whose send had started when host-a stopped is not handed back (its provider may have taken it): it is
        // sent again by host-b once its lease expires (delivery is at least once); what must hold exactly once is the entry.
        AdvanceUntil(
            time,
            () => CustomersReached(firstPush, secondPush) == Customers,
            "every customer's push after the restart");
        AssertOneSendPerCustomer(firstPush, secondPush);
        await AssertEnrolledOnceAsync(second);
    }

    /// <summary>Waits (bounded, as <see cref="EngineHost.Eventually"/>) for <paramref name="condition"/>, the clock a second further at each look.</summary>
    private static void AdvanceUntil(FakeTimeProvider time, Func<bool> condition, string what) => EngineHost.Eventually(
        () =>
        {
            if (condition())
            {
                return true;
            }

            time.Advance(TimeSpan.FromSeconds(1));
            return false;
        },
        what);

    /// <summary>How many distinct customers <paramref name="senders"/> sent to.</summary>
    private static int CustomersReached(params RecordingChannelSender[] senders) =>
        senders.SelectMany(s => s.Messages).Select(m => m.CustomerId).Distinct(StringComparer.Ordinal).Count();

    /// <summary>Each customer's pushes are attempts of one send (one idempotency key): resent, never sent for a second entry.</summary>
    private static void AssertOneSendPerCustomer(params RecordingChannelSender[] senders) =>
        Assert.All(
            senders.SelectMany(s => s.Messages).GroupBy(m => m.CustomerId, StringComparer.Ordinal),
            g => Assert.Single(g.Select(m => m.IdempotencyKey).Distinct(StringComparer.Ordinal)));

    private static async Task SeedAsync(IServiceProvider host)
    {
        var customers = host.GetRequiredService<ICustomerStore>();
        await customers.SaveSchemaAsync(SampleJourneys.Schema);
        await customers.UpsertAsync([.. Enumerable.Range(0, Customers).Select(i => new Customer($"c{i:D5}"))]);
    }

    private static long Count(IJourneyManager manager, StatisticCounter counter) =>
        manager.GetStatisticsAsync("everyone").AsTask().GetAwaiter().GetResult().Get(counter);

    private static async Task<int> EnrollmentsAsync(IServiceProvider host) =>
        await host.GetRequiredService<IEnrollmentStore>().ListByJourneyAsync("everyone", null).CountAsync();

    private static async Task AssertEnrolledOnceAsync(IServiceProvider host)
    {
        var enrollments = await host.GetRequiredService<IEnrollmentStore>().ListByJourneyAsync("everyone", null).ToListAsync();
        var perCustomer = enrollments.GroupBy(e => e.CustomerId).ToList();
        Assert.Equal(Customers, perCustomer.Count);
        Assert.All(perCustomer, g => Assert.Single(g));
    }

    /// <summary>A host on <paramref name="time"/>; on the in-memory stores of <paramref name="storesOf"/> when given (a restart).</summary>
    private static ServiceProvider Host(FakeTimeProvider time, RecordingChannelSender push, string owner, ServiceProvider? storesOf, ILoggerProvider? logs = null)
    {
        var services = new ServiceCollection();
        services.AddSingleton<TimeProvider>(time);
        if (logs is not null)
        {
            services.AddLogging(b => b.AddProvider(logs).SetMinimumLevel(LogLevel.Trace));
        }

        if (storesOf is null)
        {
            services.AddSingleton<InMemoryCustomerStore>();
            services.AddSingleton(sp => new InMemoryEngineStore(sp.GetRequiredService<InMemoryCustomerStore>()));
        }
        else
        {
            services.AddSingleton(storesOf.GetRequiredService<IJourneyStore>());
            services.AddSingleton(storesOf.GetRequiredService<InMemoryCustomerStore>());
            services.AddSingleton(storesOf.GetRequiredService<InMemoryEngineStore>());
        }

        services.AddSingleton<ICustomerStore>(sp => sp.GetRequiredService<InMemoryCustomerStore>());
        services.AddSingleton(sp => new FaultyEnrollments(sp.GetRequiredService<InMemoryEngineStore>()));
        services.AddSingleton<IEnrollmentStore>(sp => sp.GetRequiredService<FaultyEnrollments>());
        services.AddJourneys(j => j
            .AddSender(Channel.Push, push)
            .AddCampaigns(new Campaign("tips", Channel.Push, "Tips for you"))
            .Configure(o =>
            {
                o.ShardCount = 2;
                o.OwnerId = owner;
                o.LeaseDuration = Lease;
                o.DefaultChannelPolicy.Timeout = TimeSpan.FromHours(24);
            }));
        return services.BuildServiceProvider();
    }

    /// <summary>Fails (or hangs until cancelled) the given enroll call into the store, once.</summary>
    private sealed class FaultyEnrollments(IEnrollmentStore inner) : DelegatingEnrollmentStore(inner)
    {
        private int _calls;
        private volatile bool _hanging;

        public int FailCall { get; set; }

        public int HangCall { get; set; }

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
            var call = Interlocked.Increment(ref _calls);
            if (call == FailCall)
            {
                throw new InvalidOperationException("The store failed in the middle of the intake.");
            }

            if (call == HangCall)
            {
                _hanging = true;
                await Task.Delay(Timeout.Infinite, cancellationToken);
            }
        }
    }
}
