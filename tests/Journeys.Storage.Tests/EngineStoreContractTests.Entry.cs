namespace Journeys.Storage.Tests;

public abstract partial class EngineStoreContractTests
{
    [Fact]
    public async Task Enroll_creates_an_active_enrollment_at_the_start_node()
    {
        await using var stores = await CreateAsync();
        var request = Request("j", "c1", T0, wakeEvents: "purchase");

        var outcome = Assert.Single(await stores.Enrollments.EnrollAsync([request]));

        Assert.Equal(new EnrollmentOutcome(EnrollmentOutcomeKind.Created, request.EnrollmentId), outcome);
        var enrollment = Assert.Single(await stores.Enrollments.GetByCustomerAsync("c1"));
        Assert.Equal(new Enrollment(request.EnrollmentId, "j", 1, "c1", "start", EnrollmentStatus.Active, null, null, 0, T0, T0, 1), enrollment with { WakeEvents = default, NodeEnteredAt = null, EventCursor = 0 });
        Assert.Equal(["purchase"], enrollment.WakeEvents);
        Assert.Equal(T0, enrollment.NodeEnteredAt);
        Assert.Equal(0, enrollment.NodeState);
        Assert.Null(enrollment.EndReason);
    }

    [Fact]
    public async Task Enroll_the_same_customer_twice_in_one_batch_makes_the_second_a_duplicate()
    {
        await using var stores = await CreateAsync();
        var first = Request("j", "c1", T0, EntryRules.Default with { ReEntry = ReEntryMode.AfterExit });
        var second = Request("j", "c1", T0, EntryRules.Default with { ReEntry = ReEntryMode.AfterExit });
        var other = Request("j", "c2", T0);

        var outcomes = await stores.Enrollments.EnrollAsync([first, second, other]);

        Assert.Equal(
            [
                new EnrollmentOutcome(EnrollmentOutcomeKind.Created, first.EnrollmentId),
                new EnrollmentOutcome(EnrollmentOutcomeKind.DuplicateActive, first.EnrollmentId),
                new EnrollmentOutcome(EnrollmentOutcomeKind.Created, other.EnrollmentId),
            ],
            outcomes);
        Assert.Single(await stores.Enrollments.GetByCustomerAsync("c1"));
    }

    [Fact]
    public async Task Enroll_while_active_in_any_version_is_a_duplicate()
    {
        await using var stores = await CreateAsync();
        var rules = EntryRules.Default with { ReEntry = ReEntryMode.AfterExit };
        var first = Request("j", "c1", T0, rules, version: 1);
        await EnrollOneAsync(stores, first);

        var again = await stores.Enrollments.EnrollAsync([Request("j", "c1", T0.AddDays(1), rules, version: 2)]);
        var otherJourney = await stores.Enrollments.EnrollAsync([Request("k", "c1", T0.AddDays(1), rules)]);

        Assert.Equal(new EnrollmentOutcome(EnrollmentOutcomeKind.DuplicateActive, first.EnrollmentId), Assert.Single(again));
        Assert.Equal(EnrollmentOutcomeKind.Created, Assert.Single(otherJourney).Kind);
    }

    [Fact]
    public async Task Enroll_concurrently_creates_exactly_one()
    {
        await using var stores = await CreateAsync();
        var rules = EntryRules.Default with { ReEntry = ReEntryMode.AfterExit };
        using var start = new ManualResetEventSlim();
        var tasks = Enumerable.Range(0, 8).Select(_ => Task.Run(async () =>
        {
            start.Wait();
            var outcomes = new List<EnrollmentOutcome>();
            for (var i = 0; i < 20; i++)
            {
                outcomes.AddRange(await stores.Enrollments.EnrollAsync([Request("j", "c1", T0, rules)]));
            }

            return outcomes;
        })).ToArray();
        start.Set();

        var all = (await Task.WhenAll(tasks)).SelectMany(o => o).ToList();

        var created = Assert.Single(all, o => o.Kind == EnrollmentOutcomeKind.Created);
        Assert.All(all.Where(o => o.Kind != EnrollmentOutcomeKind.Created), o => Assert.Equal(new EnrollmentOutcome(EnrollmentOutcomeKind.DuplicateActive, created.EnrollmentId), o));
        Assert.Single(await stores.Enrollments.GetByCustomerAsync("c1"));
    }

    [Fact]
    public async Task Enroll_concurrently_never_exceeds_the_entry_cap_of_the_journey_across_versions()
    {
        // Concurrent intakes (on a shared store: other hosts) of distinct customers into both versions of one journey: the
        // cap is exact (distinct customers take no common lock but the journey's count).
        await using var stores = await CreateAsync();
        var rules = EntryRules.Default with { ReEntry = ReEntryMode.AfterExit, EntryCap = 5 };
        using var start = new ManualResetEventSlim();
        var tasks = Enumerable.Range(0, 8).Select(t => Task.Run(async () =>
        {
            start.Wait();
            var outcomes = new List<(string Customer, EnrollmentOutcome Outcome)>();
            for (var i = 0; i < 4; i++)
            {
                EnrollmentRequest[] batch = [Request("j", $"t{t}-a{i}", T0, rules, version: 1), Request("j", $"t{t}-b{i}", T0, rules, version: 2)];
                var result = await stores.Enrollments.EnrollAsync(batch);
                outcomes.AddRange(batch.Select((r, k) => (r.CustomerId, result[k])));
            }

            return outcomes;
        })).ToArray();
        start.Set();

        var all = (await Task.WhenAll(tasks)).SelectMany(o => o).ToList();

        Assert.Equal(5, all.Count(o => o.Outcome.Kind == EnrollmentOutcomeKind.Created));
        Assert.All(all.Where(o => o.Outcome.Kind != EnrollmentOutcomeKind.Created), o => Assert.Equal(EnrollmentOutcomeKind.CapReached, o.Outcome.Kind));
        Assert.Equal(5, await stores.Enrollments.ListByJourneyAsync("j", null).CountAsync());
        var late = Assert.Single(await stores.Enrollments.EnrollAsync([Request("j", "late", T0, rules)]));
        Assert.Equal(EnrollmentOutcomeKind.CapReached, late.Kind);
    }

    [Fact]
    public async Task Enroll_never_again_after_an_ended_enrollment_when_re_entry_is_never()
    {
        await using var stores = await CreateAsync();
        await EnrollAndEndAsync(stores, Request("j", "c1", T0), T0.AddHours(1));

        var outcome = Assert.Single(await stores.Enrollments.EnrollAsync([Request("j", "c1", T0.AddDays(30))]));

        Assert.Equal(EnrollmentOutcomeKind.ReEntryRefused, outcome.Kind);
        Assert.Null(outcome.EnrollmentId);
    }

    [Fact]
    public async Task Enroll_again_after_exit_once_the_previous_one_ended()
    {
        await using var stores = await CreateAsync();
        var rules = EntryRules.Default with { ReEntry = ReEntryMode.AfterExit };
        await EnrollAndEndAsync(stores, Request("j", "c1", T0, rules), T0.AddHours(1));

        var again = Request("j", "c1", T0.AddHours(1), rules);
        var outcome = Assert.Single(await stores.Enrollments.EnrollAsync([again]));

        Assert.Equal(new EnrollmentOutcome(EnrollmentOutcomeKind.Created, again.EnrollmentId), outcome);
        var enrollments = await stores.Enrollments.GetByCustomerAsync("c1");
        Assert.Equal(2, enrollments.Count);
        Assert.Equal(again.EnrollmentId, enrollments[0].Id); // newest first
    }

    [Fact]
    public async Task Enroll_after_cooldown_is_refused_before_it_passed_and_created_after()
    {
        await using var stores = await CreateAsync();
        var rules = EntryRules.Default with { ReEntry = ReEntryMode.AfterCooldown, Cooldown = TimeSpan.FromDays(7) };
        var endedAt = T0.AddHours(1);
        await EnrollAndEndAsync(stores, Request("j", "c1", T0, rules), endedAt);

        var early = await stores.Enrollments.EnrollAsync([Request("j", "c1", endedAt.AddDays(7).AddTicks(-1), rules)]);
        var onTime = Request("j", "c1", endedAt.AddDays(7), rules);
        var later = await stores.Enrollments.EnrollAsync([onTime]);

        Assert.Equal(EnrollmentOutcomeKind.ReEntryRefused, Assert.Single(early).Kind);
        Assert.Equal(new EnrollmentOutcome(EnrollmentOutcomeKind.Created, onTime.EnrollmentId), Assert.Single(later));
    }

    [Fact]
    public async Task Enroll_after_a_cooldown_longer_than_the_calendar_is_refused_not_thrown()
    {
        // TimeSpan.MaxValue is a valid cooldown (any positive one is): added to the end time it runs past
        // DateTimeOffset.MaxValue, which threw ArgumentOutOfRangeException from every such entry.
        await using var stores = await CreateAsync();
        var rules = EntryRules.Default with { ReEntry = ReEntryMode.AfterCooldown, Cooldown = TimeSpan.MaxValue };
        await EnrollAndEndAsync(stores, Request("j", "c1", T0, rules), T0.AddHours(1));

        var outcome = Assert.Single(await stores.Enrollments.EnrollAsync([Request("j", "c1", T0.AddYears(50), rules)]));

        Assert.Equal(EnrollmentOutcomeKind.ReEntryRefused, outcome.Kind);
    }

    [Fact]
    public async Task Enroll_at_the_end_of_the_calendar_is_refused_while_a_cooldown_running_past_it_has_not_ended()
    {
        // The rule (docs/storage.md, "Entering"): refused while the last end plus the cooldown is after At. An end plus a
        // cooldown past DateTimeOffset.MaxValue is after every At, the last instant included; saturated to
        // DateTimeOffset.MaxValue it was not after At = DateTimeOffset.MaxValue, so that entry was created.
        await using var stores = await CreateAsync();
        var rules = EntryRules.Default with { ReEntry = ReEntryMode.AfterCooldown, Cooldown = TimeSpan.MaxValue };
        await EnrollAndEndAsync(stores, Request("j", "c1", T0, rules), T0.AddHours(1));

        var outcome = Assert.Single(await stores.Enrollments.EnrollAsync([Request("j", "c1", DateTimeOffset.MaxValue, rules)]));

        Assert.Equal(EnrollmentOutcomeKind.ReEntryRefused, outcome.Kind);
    }

    [Fact]
    public async Task Enroll_counts_every_version_against_the_entry_cap()
    {
        await using var stores = await CreateAsync();
        var rules = EntryRules.Default with { EntryCap = 2 };

        var outcomes = await stores.Enrollments.EnrollAsync(
            [Request("j", "c1", T0, rules, 1), Request("j", "c2", T0, rules, 2), Request("j", "c3", T0, rules, 2), Request("k", "c3", T0, rules)]);

        Assert.Equal(
            [EnrollmentOutcomeKind.Created, EnrollmentOutcomeKind.Created, EnrollmentOutcomeKind.CapReached, EnrollmentOutcomeKind.Created],
            outcomes.Select(o => o.Kind));
        Assert.DoesNotContain(await stores.Enrollments.GetByCustomerAsync("c3"), e => e.JourneyId == "j");
    }

    [Fact]
    public async Task Enroll_cap_counts_ended_enrollments_too()
    {
        await using var stores = await CreateAsync();
        var rules = EntryRules.Default with { ReEntry = ReEntryMode.AfterExit, EntryCap = 1 };
        await EnrollAndEndAsync(stores, Request("j", "c1", T0, rules), T0.AddHours(1));

        Assert.Equal(EnrollmentOutcomeKind.CapReached, Assert.Single(await stores.Enrollments.EnrollAsync([Request("j", "c2", T0.AddHours(2), rules)])).Kind);
    }

    [Fact]
    public async Task Enroll_outside_the_window_is_refused_with_start_inclusive_and_end_exclusive()
    {
        await using var stores = await CreateAsync();
        var rules = EntryRules.Default with { WindowStart = T0, WindowEnd = T0.AddDays(1) };

        var outcomes = await stores.Enrollments.EnrollAsync(
            [Request("j", "a", T0.AddTicks(-1), rules), Request("j", "b", T0, rules), Request("j", "c", T0.AddDays(1).AddTicks(-1), rules), Request("j", "d", T0.AddDays(1), rules)]);

        Assert.Equal(
            [EnrollmentOutcomeKind.OutsideWindow, EnrollmentOutcomeKind.Created, EnrollmentOutcomeKind.Created, EnrollmentOutcomeKind.OutsideWindow],
            outcomes.Select(o => o.Kind));
    }
}
