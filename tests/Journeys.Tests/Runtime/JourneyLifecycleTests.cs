using Journeys.Building;
using Journeys.Runtime;
using Journeys.Storage;
using Microsoft.Extensions.DependencyInjection;

namespace Journeys.Tests.Runtime;

/// <summary>The journey lifecycle through <see cref="IJourneyManager"/>: what each operation refuses, and what it leaves stored.</summary>
public sealed class JourneyLifecycleTests : IAsyncLifetime
{
    private static readonly DateTimeOffset T0 = new(2026, 5, 4, 9, 0, 0, TimeSpan.Zero);
    private EngineHost _host = null!;

    private IJourneyManager Manager => _host.Manager;

    public async Task InitializeAsync() => _host = await EngineHost.StartAsync(T0);

    public async Task DisposeAsync() => await _host.DisposeAsync();

    private static JourneyDefinition ListJourney(string id = "list") => JourneyBuilder.Create(id, "List")
        .EnterFromList(["c1@example.com", "c2@example.com", "c3@example.com"])
        .ReEnterAfterExit()
        .Steps(p => p.Send(Channel.Push, "tips", id: "push").Exit("done", id: "done"))
        .Build();

    private async Task<int> EnrollmentsOfAsync(string customerId) =>
        (await _host.Services.GetRequiredService<IEnrollmentStore>().GetByCustomerAsync(customerId)).Count;

    [Theory]
    [InlineData("has space")]
    [InlineData("a/b")]
    [InlineData("")]
    [InlineData(" ")]
    public async Task Create_refuses_an_id_that_is_not_a_journey_id_and_stores_nothing(string id)
    {
        var ex = await Assert.ThrowsAsync<ArgumentException>(async () => await Manager.CreateAsync(ListJourney() with { Id = id }));

        Assert.Equal("journey", ex.ParamName);
        Assert.StartsWith($"Journey id '{id}' is invalid: use 1 to 128 letters, digits", ex.Message, StringComparison.Ordinal);
        Assert.Empty(await Manager.ListAsync().ToListAsync());
    }

    [Fact]
    public async Task Create_refuses_an_id_longer_than_128_characters()
    {
        await Manager.CreateAsync(ListJourney(new string('x', 128)));

        var ex = await Assert.ThrowsAsync<ArgumentException>(async () => await Manager.CreateAsync(ListJourney() with { Id = new string('y', 129) }));
        Assert.Contains("is invalid", ex.Message, StringComparison.Ordinal);
        Assert.Single(await Manager.ListAsync().ToListAsync());
    }

    [Fact]
    public async Task A_list_naming_customers_twice_in_one_chunk_and_across_chunks_enrolls_each_once()
    {
        // 1,500 customers, enrolled in chunks of 1,000: "r3" again in its own chunk, "r7" and "r999" again in the second.
        // Re-entry after exit: a repeat enrolled again after the first entry finished would be a second enrollment.
        var ids = Enumerable.Range(0, 1_500).Select(i => $"r{i}").ToList();
        ids.Insert(10, "r3");
        ids.Insert(1_200, "r7");
        ids.Add("r999");
        await Manager.CreateAsync(ListJourney("repeats") with { Entry = new CustomerListEntry(new EquatableArray<string>([.. ids])) });

        var (_, enrolled) = await Manager.ActivateAsync("repeats");

        Assert.Equal(1_500, enrolled);
        EngineHost.Eventually(() => _host.Count("repeats", "done", StatisticCounter.Exited) == 1_500, "every customer to exit");
        Assert.Equal((1, 1, 1), (await EnrollmentsOfAsync("r3"), await EnrollmentsOfAsync("r7"), await EnrollmentsOfAsync("r999")));
        EngineHost.Eventually(() => _host.Push.Messages.Count == 1_500, "every customer's push");
    }

    [Fact]
    public async Task Activating_an_active_journey_again_enrolls_nobody_again_and_changes_nothing()
    {
        await Manager.CreateAsync(ListJourney());
        var (active, first) = await Manager.ActivateAsync("list");
        Assert.Equal(3, first);
        EngineHost.Eventually(() => _host.Count("list", "done", StatisticCounter.Exited) == 3, "the three customers exit");

        // Re-entry after exit lets a customer who finished enter again: a retried activation must not be such an entry.
        var (again, second) = await Manager.ActivateAsync("list");

        Assert.Equal(0, second);
        Assert.Equal((JourneyStatus.Active, 1, active.ETag), (again.Journey.Status, again.Journey.Version, again.ETag));
        Assert.Equal(1, await EnrollmentsOfAsync("c1@example.com"));
        Assert.Equal(3, (await Manager.GetStatisticsAsync("list")).Get(StatisticCounter.Entered));
    }

    [Fact]
    public async Task Activating_after_a_stop_enrolls_the_audience_again()
    {
        await Manager.CreateAsync(ListJourney());
        await Manager.ActivateAsync("list");
        EngineHost.Eventually(() => _host.Count("list", "done", StatisticCounter.Exited) == 3, "the three customers exit");
        await Manager.StopAsync("list");

        var (_, enrolled) = await Manager.ActivateAsync("list");

        Assert.Equal(3, enrolled);
        Assert.Equal(2, await EnrollmentsOfAsync("c1@example.com"));
    }

    [Fact]
    public async Task An_edit_that_returns_an_active_journey_is_refused_and_the_journey_stays_a_draft_that_cannot_enroll()
    {
        var created = await Manager.CreateAsync(ListJourney());

        var ex = await Assert.ThrowsAsync<JourneyEditException>(async () => await Manager.EditAsync("list", j => j with { Status = JourneyStatus.Active }));

        Assert.Equal("list", ex.JourneyId);
        Assert.Contains("returned journey 'list' version 1, active", ex.Message, StringComparison.Ordinal);
        var stored = await Manager.GetAsync("list");
        Assert.Equal((JourneyStatus.Draft, created.ETag), (stored!.Journey.Status, stored.ETag));
        var refused = await Assert.ThrowsAsync<JourneyLifecycleException>(async () => await Manager.EnrollAsync("list", ["c9@example.com"]));
        Assert.Equal(JourneyLifecycleRefusal.NotActive, refused.Reason);
        Assert.Equal(0, await EnrollmentsOfAsync("c9@example.com"));
    }

    [Fact]
    public async Task An_edit_that_returns_another_id_or_version_is_refused_and_changes_neither_journey()
    {
        var list = await Manager.CreateAsync(ListJourney());
        var other = await Manager.CreateAsync(ListJourney("other"));

        var moved = await Assert.ThrowsAsync<JourneyEditException>(async () => await Manager.EditAsync("list", j => j with { Id = "other", Name = "Moved" }));
        Assert.Contains("returned journey 'other' version 1", moved.Message, StringComparison.Ordinal);
        var versioned = await Assert.ThrowsAsync<JourneyEditException>(async () => await Manager.EditAsync("list", j => j.CreateNextVersion()));
        Assert.Contains("returned journey 'list' version 2", versioned.Message, StringComparison.Ordinal);

        Assert.Equal(list, await Manager.GetAsync("list"));
        Assert.Equal(other, await Manager.GetAsync("other"));
    }

    [Fact]
    public async Task An_edit_of_an_active_journey_is_refused_even_when_the_edit_itself_returns_a_draft_of_the_same_version()
    {
        // Not through JourneyDrafts (which refuses an active journey itself): a hand-made edit that returns a draft.
        await Manager.CreateAsync(ListJourney());
        var (active, _) = await Manager.ActivateAsync("list");

        var ex = await Assert.ThrowsAsync<JourneyEditException>(async () => await Manager.EditAsync(
            "list",
            j => j with { Status = JourneyStatus.Draft, Nodes = [new ExitNode("push", "replaced")], StartNodeId = "push" }));

        Assert.Equal("list", ex.JourneyId);
        Assert.Equal(active, await Manager.GetAsync("list"));
        Assert.Single(await Manager.EnrollAsync("list", ["c9@example.com"]));
    }

    [Fact]
    public async Task Stopping_an_archived_journey_leaves_it_archived_so_that_starting_it_is_still_refused()
    {
        // The host archives through its journey store (the manager has no archive operation).
        var created = await Manager.CreateAsync(ListJourney());
        var archived = await _host.Services.GetRequiredService<IJourneyStore>().SaveAsync(created.Journey with { Status = JourneyStatus.Archived }, created.ETag);

        var (stopped, cancelled) = await Manager.StopAsync("list");

        Assert.Equal((archived, 0), (stopped, cancelled));
        var refused = await Assert.ThrowsAsync<JourneyLifecycleException>(async () => await Manager.ActivateAsync("list"));
        Assert.Equal(JourneyLifecycleRefusal.Archived, refused.Reason);
        Assert.Equal(0, await EnrollmentsOfAsync("c1@example.com"));
    }

    [Fact]
    public async Task A_draft_edit_of_a_validated_or_draft_journey_is_stored_as_a_draft_of_the_same_version()
    {
        await Manager.CreateAsync(ListJourney());

        var edited = await Manager.EditAsync("list", j => j.ReplaceNode(new ExitNode("done", "finished")));

        Assert.Equal((1, JourneyStatus.Draft), (edited.Journey.Version, edited.Journey.Status));
        Assert.Equal("finished", ((ExitNode)edited.Journey.FindNode("done")!).Reason);
    }

    [Fact]
    public async Task An_edit_with_a_stale_etag_is_a_concurrency_conflict_before_the_edit_runs_on_content_the_caller_never_saw()
    {
        var created = await Manager.CreateAsync(ListJourney());
        await Manager.ActivateAsync("list");
        var ran = false;

        // The caller read the draft; the journey was activated since. Its ETag answers first, as an HTTP If-Match does:
        // the edit is not run on the active journey, and the caller is told to read again rather than that it is active.
        await Assert.ThrowsAsync<Journeys.Storage.JourneyConcurrencyException>(async () => await Manager.EditAsync(
            "list", j => { ran = true; return j.ReplaceNode(new ExitNode("done", "finished")); }, created.ETag));

        Assert.False(ran);
    }
}
