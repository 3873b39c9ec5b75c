using System.Collections.Concurrent;
using Journeys.Building;
using Journeys.Messaging;
using Journeys.Runtime;
using Journeys.Storage;
using Journeys.Storage.InMemory;
using Microsoft.Extensions.DependencyInjection;

namespace Journeys.Tests.Runtime;

/// <summary>
/// On the system clock the pump sleeps until the next timer is due (<see cref="SystemClockWaiter"/>) or, with a
/// <see cref="JourneysOptions.TimerWakeLead"/>, wakes that much early and holds until it is due. These run on the real
/// clock (the waiter and the hold exist only there; a fake clock is never held on) with short delays, and assert order,
/// never timing: no timer is claimed or run before it is due, and every one resumes.
/// </summary>
public sealed class TimerWakeTests
{
    private static readonly TimeSpan Delay = TimeSpan.FromMilliseconds(30);

    // How far short of the due instant the fake clock stops: the hold's lead when one is set (within it the system clock
    // would be held on).
    private static readonly TimeSpan ShortOfDue = TimeSpan.FromMilliseconds(2);

    [Theory]
    [InlineData(2.0)]
    [InlineData(0.0)]
    public async Task On_the_system_clock_no_timer_is_claimed_or_run_before_it_is_due(double leadMilliseconds)
    {
        var claims = new ConcurrentQueue<(DateTimeOffset ClaimNow, DateTimeOffset ClockAfter, DateTimeOffset WakeAt)>();
        var push = new RecordingChannelSender();
        var services = new ServiceCollection();
        services.AddSingleton<InMemoryCustomerStore>();
        services.AddSingleton(sp => new InMemoryEngineStore(sp.GetRequiredService<InMemoryCustomerStore>()));
        services.AddSingleton<IEnrollmentStore>(sp => new ClaimRecorder(sp.GetRequiredService<InMemoryEngineStore>(), claims));
        services.AddJourneys(j => j
            .AddSender(Channel.Push, push)
            .AddCampaigns(new Campaign("hello", Channel.Push, "Hello"), new Campaign("again", Channel.Push, "Again"))
            .Configure(o =>
            {
                o.ShardCount = 2;
                o.TimerWakeLead = TimeSpan.FromMilliseconds(leadMilliseconds);
            }));
        await using var provider = services.BuildServiceProvider();
        Assert.Same(TimeProvider.System, provider.GetRequiredService<TimeProvider>());
        var groups = Enumerable.Range(0, 4).Select(g => Enumerable.Range(0, 10).Select(i => $"c{g}-{i}@example.com").ToArray()).ToArray();
        await provider.GetRequiredService<ICustomerStore>().UpsertAsync([.. groups.SelectMany(g => g).Select(id => new Customer(id))]);
        await using var running = await EngineHost.RunHostedAsync(provider);
        var manager = provider.GetRequiredService<IJourneyManager>();
        await manager.CreateAsync(JourneyBuilder.Create("j", "J").EnterFromList(groups[0])
            .Steps(p => p.Send(Channel.Push, "hello", id: "hello").Delay(Delay, id: "wait").Send(Channel.Push, "again", id: "again")).Build());
        await manager.ActivateAsync("j");

        // The other groups enter one after another, so their timers fall due at different instants while the pump waits
        // for (or holds until) earlier ones.
        var hellos = groups[0].Length;
        EngineHost.Eventually(() => push.Messages.Count >= hellos, "the first group's hello");
        foreach (var group in groups.Skip(1))
        {
            await manager.EnrollAsync("j", group);
            hellos += group.Length;
            EngineHost.Eventually(() => push.Messages.Count(m => m.CampaignId == "hello") >= hellos, "the group's hello");
        }

        var all = groups.SelectMany(g => g).ToArray();
        EngineHost.Eventually(() => push.Messages.Count == 2 * all.Length, "every customer's second message");
        var enrollments = provider.GetRequiredService<IEnrollmentStore>();
        foreach (var id in all)
        {
            var enrollment = Assert.Single(await enrollments.GetByCustomerAsync(id));
            Assert.Equal(EnrollmentStatus.Completed, enrollment.Status);
        }

        // One claim of each enrollment's timer; each at a clock reading no earlier than the timer and no later than the
        // real clock (the engine does not claim with a clock moved ahead to wake early).
        Assert.Equal(all.Length, claims.Count);
        Assert.All(claims, c =>
        {
            Assert.True(c.WakeAt <= c.ClaimNow, $"claimed at {c.ClaimNow:O}, due at {c.WakeAt:O}");
            Assert.True(c.ClaimNow <= c.ClockAfter, $"claimed with {c.ClaimNow:O}, ahead of the clock {c.ClockAfter:O}");
        });
    }

    [Fact]
    public async Task On_a_fake_clock_a_timer_fires_once_the_clock_reaches_it_also_after_stopping_just_short_of_it()
    {
        await using var host = await EngineHost.StartAsync(new DateTimeOffset(2026, 5, 4, 9, 0, 0, TimeSpan.Zero));
        await host.Manager.CreateAsync(JourneyBuilder.Create("j", "J").EnterFromList(["c1@example.com"])
            .Steps(p => p.Send(Channel.Push, "tips", id: "first").Delay(TimeSpan.FromMinutes(5), id: "wait").Send(Channel.Push, "tips", id: "second")).Build());
        await host.Manager.ActivateAsync("j");
        EngineHost.Eventually(() => host.Push.Messages.Count == 1, "the first send");

        // The clock stops within the lead of the due instant (where the system clock would be held on) and moves on later.
        host.Time.Advance(TimeSpan.FromMinutes(5) - (ShortOfDue / 2));
        host.Time.Advance(ShortOfDue / 2);
        EngineHost.Eventually(() => host.Push.Messages.Count == 2, "the second send once the clock reached the timer");
    }

    [Fact]
    public async Task On_the_system_clock_the_claim_of_a_due_timer_runs_on_the_thread_the_timer_woke()
    {
        // The pump continues on SystemClockWaiter's thread: the claim does not wait for a thread-pool thread (both may be
        // running shard batches). Before, it was a thread-pool continuation.
        // Only a pump that waited for a timer is woken by it. One that comes round after the timer fell due (woken by the
        // commit that set it, on a loaded machine later than the delay) claims it on the pool thread it is on, as it
        // should: that failed this test under load (".NET TP Worker"). The store here lets only claims made on the timer
        // thread take work and tells the pump of no wake closer than a little ahead of the clock, so the pump always waits
        // and each timer is taken by a claim a timer woke; were that claim a thread-pool continuation, nothing would be
        // taken and the journey would not finish.
        var push = new RecordingChannelSender();
        var services = new ServiceCollection();
        services.AddSingleton<InMemoryCustomerStore>();
        services.AddSingleton(sp => new InMemoryEngineStore(sp.GetRequiredService<InMemoryCustomerStore>()));
        services.AddSingleton(sp => new TimerThreadClaims(sp.GetRequiredService<InMemoryEngineStore>()));
        services.AddSingleton<IEnrollmentStore>(sp => sp.GetRequiredService<TimerThreadClaims>());
        services.AddJourneys(j => j
            .AddSender(Channel.Push, push)
            .AddCampaigns(new Campaign("hello", Channel.Push, "Hello"), new Campaign("again", Channel.Push, "Again"))
            .Configure(o => o.ShardCount = 2));
        await using var provider = services.BuildServiceProvider();
        var claims = provider.GetRequiredService<TimerThreadClaims>();
        await provider.GetRequiredService<ICustomerStore>().UpsertAsync([new Customer("c@example.com")]);
        await using var running = await EngineHost.RunHostedAsync(provider);
        var manager = provider.GetRequiredService<IJourneyManager>();
        await manager.CreateAsync(JourneyBuilder.Create("j", "J").EnterFromList(["c@example.com"])
            .Steps(p => p.Send(Channel.Push, "hello", id: "hello").Delay(Delay, id: "wait-1").Delay(Delay, id: "wait-2").Send(Channel.Push, "again", id: "again")).Build());
        await manager.ActivateAsync("j");
        EngineHost.Eventually(
            () => push.Messages.Count == 2,
            () => $"the message after both timers (timers claimed on the timer thread: {claims.TimersTaken}; claims made on other threads, "
                + $"which the store answered with nothing: {claims.Refused}, the last on '{claims.LastRefusedOn}')");

        Assert.Equal(2, claims.TimersTaken);
    }

    private sealed class ClaimRecorder(IEnrollmentStore inner, ConcurrentQueue<(DateTimeOffset ClaimNow, DateTimeOffset ClockAfter, DateTimeOffset WakeAt)> claims) : DelegatingEnrollmentStore(inner)
    {
        public override async ValueTask<IReadOnlyList<WorkItem>> ClaimAsync(string owner, DateTimeOffset now, int maxItems, TimeSpan lease, CancellationToken cancellationToken = default)
        {
            var claimed = await InnerStore.ClaimAsync(owner, now, maxItems, lease, cancellationToken);
            var clock = TimeProvider.System.GetUtcNow();
            foreach (var item in claimed)
            {
                if (item.Enrollment is { Status: EnrollmentStatus.Waiting, WakeAt: { } wakeAt })
                {
                    claims.Enqueue((now, clock, wakeAt));
                }
            }

            return claimed;
        }
    }

    /// <summary>
    /// Lets only claims made on the pump's timer thread reach the store (a claim elsewhere finds nothing), and tells the
    /// pump of no wake closer than <see cref="Ahead"/>: the pump always waits for a timer, and only a claim a timer woke
    /// takes work. A store may answer a claim with less than is due and name a later wake (the pump looks again then).
    /// </summary>
    private sealed class TimerThreadClaims(IEnrollmentStore inner) : DelegatingEnrollmentStore(inner)
    {
        private const string TimerThread = "Journeys timer wake";
        private static readonly TimeSpan Ahead = TimeSpan.FromMilliseconds(20);
        private int _timersTaken;
        private int _refused;
        private string? _lastRefusedOn;

        /// <summary>Waiting enrollments whose timer a claim took.</summary>
        public int TimersTaken => Volatile.Read(ref _timersTaken);

        /// <summary>Claims made on another thread than the timer's.</summary>
        public int Refused => Volatile.Read(ref _refused);

        public string? LastRefusedOn => Volatile.Read(ref _lastRefusedOn);

        public override async ValueTask<IReadOnlyList<WorkItem>> ClaimAsync(string owner, DateTimeOffset now, int maxItems, TimeSpan lease, CancellationToken cancellationToken = default)
        {
            var thread = Thread.CurrentThread.Name;
            if (thread != TimerThread)
            {
                Volatile.Write(ref _lastRefusedOn, thread);
                Interlocked.Increment(ref _refused);
                return [];
            }

            var claimed = await InnerStore.ClaimAsync(owner, now, maxItems, lease, cancellationToken);
            Interlocked.Add(ref _timersTaken, claimed.Count(item => item.Enrollment is { Status: EnrollmentStatus.Waiting, WakeAt: not null }));
            return claimed;
        }

        public override async ValueTask<DateTimeOffset?> GetNextWakeAsync(CancellationToken cancellationToken = default)
        {
            var next = await InnerStore.GetNextWakeAsync(cancellationToken);
            var soonest = TimeProvider.System.GetUtcNow() + Ahead;
            return next is { } due && due < soonest ? soonest : next;
        }
    }
}

/// <summary>Runs alone (it counts the whole process's thread-pool work items).</summary>
[CollectionDefinition(nameof(ThreadPoolCounting), DisableParallelization = true)]
public sealed class ThreadPoolCounting;

/// <summary>What the pump's wait for a timer costs on the system clock, counted in thread-pool work items.</summary>
[Collection(nameof(ThreadPoolCounting))]
public sealed class TimerWakeCostTests
{
    [Fact]
    public async Task On_the_system_clock_the_pump_waits_for_a_timer_without_turning_on_the_thread_pool()
    {
        // Sixteen timers in a row, one at a time (a delay chain of one customer; delays 0.5 ms apart, so the instants fall at
        // every phase of a coarse system timer's tick). The pump sleeps until each is due: the thread pool runs a few work
        // items per wake-up (the pump's continuation, the shard's batch, the pump again), not one per turn of a hold. With
        // the earlier default (the .NET timer set 2 ms before each timer, then yielding until the instant) the same test
        // counted 7,343, 11,433 and 92 work items in three runs on the old engine (a hold only when the coarse timer fired
        // before the instant); this engine, 20–50.
        var push = new RecordingChannelSender();
        var services = new ServiceCollection();
        services.AddJourneys(j => j
            .AddSender(Channel.Push, push)
            .AddCampaigns(new Campaign("hello", Channel.Push, "Hello"), new Campaign("again", Channel.Push, "Again"))
            .Configure(o => o.ShardCount = 2));
        await using var provider = services.BuildServiceProvider();
        Assert.Same(TimeProvider.System, provider.GetRequiredService<TimeProvider>());
        await provider.GetRequiredService<ICustomerStore>().UpsertAsync([new Customer("c@example.com")]);
        await using var running = await EngineHost.RunHostedAsync(provider);
        var manager = provider.GetRequiredService<IJourneyManager>();
        const int Timers = 16;
        await manager.CreateAsync(JourneyBuilder.Create("j", "J").EnterFromList(["c@example.com"])
            .Steps(p =>
            {
                p.Send(Channel.Push, "hello", id: "hello");
                for (var i = 0; i < Timers; i++)
                {
                    p.Delay(TimeSpan.FromMilliseconds(20 + (0.5 * i)), id: $"wait-{i}");
                }

                p.Send(Channel.Push, "again", id: "again");
            }).Build());

        await manager.ActivateAsync("j");
        EngineHost.Eventually(() => push.Messages.Count >= 1, "the first message");
        var before = ThreadPool.CompletedWorkItemCount;
        EngineHost.Eventually(() => push.Messages.Count == 2, "the message after the last timer");
        var workItems = ThreadPool.CompletedWorkItemCount - before;

        Assert.True(workItems < 50 * Timers, $"{workItems} thread-pool work items for {Timers} timer wake-ups");
    }
}
