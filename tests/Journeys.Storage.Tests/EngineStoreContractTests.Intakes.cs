namespace Journeys.Storage.Tests;

/// <summary>Pending audience intakes (<see cref="IJourneyStore.SaveIntakeAsync"/>, <see cref="IJourneyStore.SaveWithIntakeAsync"/> and the calls after them): one per journey, saved with the journey both or neither, claimed with an expiring lease, removed when done.</summary>
public abstract partial class EngineStoreContractTests
{
    private static JourneyIntake Intake(string journeyId, int version = 1, DateTimeOffset? opensAt = null) =>
        new(Guid.NewGuid(), journeyId, version, opensAt ?? T0);

    [Fact]
    public async Task Intake_saved_is_listed_unclaimed_and_a_new_one_replaces_it()
    {
        await using var stores = await CreateAsync();
        var first = Intake("welcome", opensAt: T0.AddDays(1));
        await stores.Journeys.SaveIntakeAsync(first);
        await stores.Journeys.SaveIntakeAsync(Intake("another"));
        Assert.NotNull(await stores.Journeys.ClaimIntakeAsync("welcome", first.Id, "host-a", T0, Lease));

        var second = Intake("welcome", version: 2, opensAt: T0.AddDays(2));
        await stores.Journeys.SaveIntakeAsync(second);

        var intakes = await ToListAsync(stores.Journeys.ListIntakesAsync());
        Assert.Equal(["another", "welcome"], intakes.Select(i => i.JourneyId));
        Assert.Equal(second, intakes[1]);
        Assert.Null(intakes[1].Owner);
        Assert.Null(await stores.Journeys.ClaimIntakeAsync("welcome", first.Id, "host-a", T0, Lease));
    }

    [Fact]
    public async Task Intake_saved_claimed_holds_against_another_owner_until_it_expires()
    {
        await using var stores = await CreateAsync();
        var intake = Intake("welcome") with { Owner = "host-a", LeaseExpiresAt = T0 + Lease };
        await stores.Journeys.SaveIntakeAsync(intake);

        var listed = Assert.Single(await ToListAsync(stores.Journeys.ListIntakesAsync()));
        var taken = await stores.Journeys.ClaimIntakeAsync("welcome", intake.Id, "host-b", T0 + Lease - TimeSpan.FromSeconds(1), Lease);
        var own = await stores.Journeys.ClaimIntakeAsync("welcome", intake.Id, "host-a", T0.AddSeconds(1), Lease);

        Assert.Equal(intake, listed);
        Assert.Null(taken);
        Assert.Equal(intake, own);
        var missingExpiry = await Assert.ThrowsAsync<ArgumentException>(() => stores.Journeys.SaveIntakeAsync(Intake("other") with { Owner = "host-a" }).AsTask());
        Assert.Contains("both an owner and a lease expiry", missingExpiry.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Intake_claim_holds_against_another_owner_until_it_expires_and_returns_the_intake_as_it_was()
    {
        await using var stores = await CreateAsync();
        var intake = Intake("welcome");
        await stores.Journeys.SaveIntakeAsync(intake);

        var fresh = await stores.Journeys.ClaimIntakeAsync("welcome", intake.Id, "host-a", T0, Lease);
        var taken = await stores.Journeys.ClaimIntakeAsync("welcome", intake.Id, "host-b", T0 + Lease - TimeSpan.FromSeconds(1), Lease);
        var renewed = await stores.Journeys.ClaimIntakeAsync("welcome", intake.Id, "host-a", T0.AddSeconds(30), Lease);
        var stillHeld = await stores.Journeys.ClaimIntakeAsync("welcome", intake.Id, "host-b", T0 + Lease, Lease);
        var takenOver = await stores.Journeys.ClaimIntakeAsync("welcome", intake.Id, "host-b", T0.AddSeconds(30) + Lease, Lease);

        Assert.Equal(intake, fresh);
        Assert.Null(taken);
        Assert.Equal(("host-a", T0 + Lease), (renewed!.Owner, renewed.LeaseExpiresAt));
        Assert.Null(stillHeld);
        Assert.Equal(("host-a", T0.AddSeconds(30) + Lease), (takenOver!.Owner, takenOver.LeaseExpiresAt));
        var listed = Assert.Single(await ToListAsync(stores.Journeys.ListIntakesAsync()));
        Assert.Equal(("host-b", T0.AddSeconds(30) + Lease + Lease), (listed.Owner, listed.LeaseExpiresAt));
    }

    [Fact]
    public async Task Intake_complete_by_its_owner_removes_it_and_by_anyone_else_changes_nothing()
    {
        await using var stores = await CreateAsync();
        var intake = Intake("welcome");
        await stores.Journeys.SaveIntakeAsync(intake);
        Assert.False(await stores.Journeys.CompleteIntakeAsync("welcome", intake.Id, "host-a"));
        await stores.Journeys.ClaimIntakeAsync("welcome", intake.Id, "host-a", T0, Lease);

        Assert.False(await stores.Journeys.CompleteIntakeAsync("welcome", intake.Id, "host-b"));
        Assert.False(await stores.Journeys.CompleteIntakeAsync("welcome", Guid.NewGuid(), "host-a"));
        Assert.Single(await ToListAsync(stores.Journeys.ListIntakesAsync()));
        Assert.True(await stores.Journeys.CompleteIntakeAsync("welcome", intake.Id, "host-a"));

        Assert.Empty(await ToListAsync(stores.Journeys.ListIntakesAsync()));
        Assert.Null(await stores.Journeys.ClaimIntakeAsync("welcome", intake.Id, "host-a", T0, Lease));
        Assert.False(await stores.Journeys.CompleteIntakeAsync("welcome", intake.Id, "host-a"));
    }

    [Fact]
    public async Task Intake_released_by_its_owner_is_claimed_by_another_at_once_and_shows_the_earlier_owner()
    {
        await using var stores = await CreateAsync();
        var intake = Intake("welcome");
        await stores.Journeys.SaveIntakeAsync(intake);
        await stores.Journeys.SaveIntakeAsync(Intake("another"));
        Assert.False(await stores.Journeys.ReleaseIntakeAsync("welcome", intake.Id, "host-a", T0), "nobody claimed it yet");
        await stores.Journeys.ClaimIntakeAsync("welcome", intake.Id, "host-a", T0, Lease);

        // Only the owner, only this intake, only a pending one.
        Assert.False(await stores.Journeys.ReleaseIntakeAsync("welcome", intake.Id, "host-b", T0.AddSeconds(10)));
        Assert.False(await stores.Journeys.ReleaseIntakeAsync("welcome", Guid.NewGuid(), "host-a", T0.AddSeconds(10)));
        Assert.False(await stores.Journeys.ReleaseIntakeAsync("nothing", intake.Id, "host-a", T0.AddSeconds(10)));
        Assert.Null(await stores.Journeys.ClaimIntakeAsync("welcome", intake.Id, "host-b", T0.AddSeconds(10), Lease));

        Assert.True(await stores.Journeys.ReleaseIntakeAsync("welcome", intake.Id, "host-a", T0.AddSeconds(10)));

        var listed = (await ToListAsync(stores.Journeys.ListIntakesAsync())).Single(i => i.JourneyId == "welcome");
        Assert.Equal(("host-a", T0.AddSeconds(10)), (listed.Owner, listed.LeaseExpiresAt));
        var taken = await stores.Journeys.ClaimIntakeAsync("welcome", intake.Id, "host-b", T0.AddSeconds(10), Lease);
        Assert.Equal(("host-a", T0.AddSeconds(10)), (taken!.Owner, taken.LeaseExpiresAt));
        Assert.False(await stores.Journeys.ReleaseIntakeAsync("welcome", intake.Id, "host-a", T0.AddSeconds(11)), "host-b holds it now");
        Assert.Null(await stores.Journeys.ClaimIntakeAsync("welcome", intake.Id, "host-a", T0.AddSeconds(11), Lease));
        Assert.Null((await ToListAsync(stores.Journeys.ListIntakesAsync())).Single(i => i.JourneyId == "another").Owner);
        await Assert.ThrowsAsync<ArgumentException>(() => stores.Journeys.ReleaseIntakeAsync("welcome", intake.Id, " ", T0).AsTask());
    }

    [Fact]
    public async Task A_journey_created_without_an_intake_ends_a_stray_pending_one_of_its_id_unless_created_active_as_its_version()
    {
        // A pending intake whose journey is not there (its journey deleted between the intake's save and a delete that
        // missed it, or saved by a host with no journey yet): a new journey of that id is not the one it was for. The
        // in-memory store kept it until 2026-12-02, so a draft created under the id had an intake pending for it.
        await using var stores = await CreateAsync();
        await stores.Journeys.SaveIntakeAsync(Intake("ghost"));
        await stores.Journeys.SaveIntakeAsync(Intake("kept"));
        await stores.Journeys.SaveIntakeAsync(Intake("other"));

        await stores.Journeys.SaveAsync(Journey("ghost"), null);
        await stores.Journeys.SaveAsync(Journey("kept") with { Status = JourneyStatus.Active }, null);

        Assert.Equal(["kept", "other"], (await ToListAsync(stores.Journeys.ListIntakesAsync())).Select(i => i.JourneyId));
    }

    [Fact]
    public async Task Intake_saved_with_its_journey_and_a_stale_etag_is_refused_with_the_journey_and_the_pending_intake_stays()
    {
        // Two activations read the same draft; the first saves the journey active with its intake (claimed by its host).
        await using var stores = await CreateAsync();
        var draft = await stores.Journeys.SaveAsync(Journey("welcome") with { Status = JourneyStatus.Validated }, null);
        var first = Intake("welcome") with { Owner = "host-a", LeaseExpiresAt = T0 + Lease };
        var active = await stores.Journeys.SaveWithIntakeAsync(draft.Journey with { Status = JourneyStatus.Active }, draft.ETag, first);

        // The second's save, from the ETag it read, changes nothing: neither the journey nor the intake.
        var second = Intake("welcome") with { Owner = "host-b", LeaseExpiresAt = T0 + Lease };
        var refused = await Assert.ThrowsAsync<JourneyConcurrencyException>(() =>
            stores.Journeys.SaveWithIntakeAsync(draft.Journey with { Status = JourneyStatus.Active }, draft.ETag, second).AsTask());
        Assert.Contains(draft.ETag, refused.Message, StringComparison.Ordinal);

        Assert.Equal(first, Assert.Single(await ToListAsync(stores.Journeys.ListIntakesAsync())));
        Assert.Equal(active.ETag, (await stores.Journeys.GetAsync("welcome"))!.ETag);
        Assert.Null(await stores.Journeys.ClaimIntakeAsync("welcome", second.Id, "host-b", T0 + Lease, Lease));
        Assert.NotNull(await stores.Journeys.ClaimIntakeAsync("welcome", first.Id, "host-a", T0.AddSeconds(1), Lease));
    }

    [Fact]
    public async Task Intake_saved_with_its_journey_and_the_latest_etag_replaces_the_pending_one_with_the_journey()
    {
        await using var stores = await CreateAsync();
        var draft = await stores.Journeys.SaveAsync(Journey("welcome") with { Status = JourneyStatus.Validated }, null);
        var first = Intake("welcome", opensAt: T0.AddDays(1));
        var active = await stores.Journeys.SaveWithIntakeAsync(draft.Journey with { Status = JourneyStatus.Active }, draft.ETag, first);
        await stores.Journeys.SaveIntakeAsync(Intake("another"));

        // The next version, activated from the ETag of its draft: its intake replaces the one pending, claimed or not.
        var next = await stores.Journeys.SaveAsync(Journey("welcome", version: 2) with { Status = JourneyStatus.Validated }, active.ETag);
        await stores.Journeys.SaveIntakeAsync(first with { Owner = "host-a", LeaseExpiresAt = T0 + Lease });
        var second = Intake("welcome", version: 2) with { Owner = "host-b", LeaseExpiresAt = T0 + Lease };
        var saved = await stores.Journeys.SaveWithIntakeAsync(next.Journey with { Status = JourneyStatus.Active }, next.ETag, second);

        Assert.NotEqual(next.ETag, saved.ETag);
        var latest = (await stores.Journeys.GetAsync("welcome"))!;
        Assert.Equal((2, JourneyStatus.Active, saved.ETag), (latest.Journey.Version, latest.Journey.Status, latest.ETag));
        var intakes = await ToListAsync(stores.Journeys.ListIntakesAsync());
        Assert.Equal(["another", "welcome"], intakes.Select(i => i.JourneyId));
        Assert.Equal(second, intakes[1]);
        Assert.Null(await stores.Journeys.ClaimIntakeAsync("welcome", first.Id, "host-a", T0.AddSeconds(1), Lease));

        // A journey created active with its intake (no ETag): both saved; created again, both refused.
        var created = await stores.Journeys.SaveWithIntakeAsync(Journey("fresh") with { Status = JourneyStatus.Active }, null, Intake("fresh"));
        await Assert.ThrowsAsync<JourneyConcurrencyException>(() =>
            stores.Journeys.SaveWithIntakeAsync(Journey("fresh") with { Status = JourneyStatus.Active }, null, Intake("fresh")).AsTask());
        Assert.Equal(created.ETag, (await stores.Journeys.GetAsync("fresh"))!.ETag);
        Assert.Equal(3, (await ToListAsync(stores.Journeys.ListIntakesAsync())).Count);
    }

    [Fact]
    public async Task Intake_saves_with_their_journey_racing_from_eight_callers_from_one_read_leave_exactly_one_and_its_intake()
    {
        await using var stores = await CreateAsync();
        var draft = await stores.Journeys.SaveAsync(Journey("welcome") with { Status = JourneyStatus.Validated }, null);
        var intakes = Enumerable.Range(0, 8).Select(i => Intake("welcome") with { Owner = $"host-{i}", LeaseExpiresAt = T0 + Lease }).ToArray();

        var saves = await Task.WhenAll(intakes.Select(intake => Task.Run(async () =>
        {
            try
            {
                return await stores.Journeys.SaveWithIntakeAsync(draft.Journey with { Status = JourneyStatus.Active }, draft.ETag, intake);
            }
            catch (JourneyConcurrencyException)
            {
                return null;
            }
        })));

        var won = Assert.Single(saves.Select((record, i) => (record, i)), s => s.record is not null);
        Assert.Equal(intakes[won.i], Assert.Single(await ToListAsync(stores.Journeys.ListIntakesAsync())));
        Assert.Equal(won.record!.ETag, (await stores.Journeys.GetAsync("welcome"))!.ETag);
    }

    [Fact]
    public async Task Intake_saved_with_a_journey_not_active_or_of_another_version_is_refused_and_nothing_is_saved()
    {
        await using var stores = await CreateAsync();
        var draft = await stores.Journeys.SaveAsync(Journey("welcome") with { Status = JourneyStatus.Validated }, null);

        var inactive = await Assert.ThrowsAsync<ArgumentException>(() => stores.Journeys.SaveWithIntakeAsync(draft.Journey, draft.ETag, Intake("welcome")).AsTask());
        var version = await Assert.ThrowsAsync<ArgumentException>(() =>
            stores.Journeys.SaveWithIntakeAsync(draft.Journey with { Status = JourneyStatus.Active }, draft.ETag, Intake("welcome", version: 2)).AsTask());
        var journey = await Assert.ThrowsAsync<ArgumentException>(() =>
            stores.Journeys.SaveWithIntakeAsync(draft.Journey with { Status = JourneyStatus.Active }, draft.ETag, Intake("another")).AsTask());
        await Assert.ThrowsAsync<ArgumentNullException>(() => stores.Journeys.SaveWithIntakeAsync(draft.Journey with { Status = JourneyStatus.Active }, draft.ETag, null!).AsTask());

        Assert.Contains("is saved validated", inactive.Message, StringComparison.Ordinal);
        Assert.Contains("journey 'welcome' version 2's", version.Message, StringComparison.Ordinal);
        Assert.Contains("journey 'another' version 1's", journey.Message, StringComparison.Ordinal);
        Assert.Equal(draft.ETag, (await stores.Journeys.GetAsync("welcome"))!.ETag);
        Assert.Empty(await ToListAsync(stores.Journeys.ListIntakesAsync()));
    }

    [Fact]
    public async Task Intake_goes_with_its_journey_when_the_journey_is_deleted()
    {
        await using var stores = await CreateAsync();
        await stores.Journeys.SaveAsync(Journey("welcome"), null);
        var intake = Intake("welcome");
        await stores.Journeys.SaveIntakeAsync(intake);

        await stores.Journeys.DeleteAsync("welcome");

        Assert.Empty(await ToListAsync(stores.Journeys.ListIntakesAsync()));
    }

    [Theory]
    [InlineData("stopped")]
    [InlineData("archived")]
    [InlineData("new version")]
    public async Task Intake_ends_when_its_journey_is_saved_other_than_active_at_its_version_even_while_claimed(string change)
    {
        await using var stores = await CreateAsync();
        var saved = await stores.Journeys.SaveAsync(Journey("welcome") with { Status = JourneyStatus.Validated }, null);
        var intake = Intake("welcome");
        await stores.Journeys.SaveIntakeAsync(intake);
        saved = await stores.Journeys.SaveAsync(saved.Journey with { Status = JourneyStatus.Active }, saved.ETag);
        await stores.Journeys.SaveIntakeAsync(Intake("another"));
        Assert.NotNull(await stores.Journeys.ClaimIntakeAsync("welcome", intake.Id, "host-a", T0, Lease));
        Assert.Equal(["another", "welcome"], (await ToListAsync(stores.Journeys.ListIntakesAsync())).Select(i => i.JourneyId));

        await stores.Journeys.SaveAsync(
            change switch
            {
                "stopped" => saved.Journey with { Status = JourneyStatus.Stopped },
                "archived" => saved.Journey with { Status = JourneyStatus.Archived },
                _ => saved.Journey with { Status = JourneyStatus.Draft, Version = 2 },
            },
            saved.ETag);

        Assert.Equal(["another"], (await ToListAsync(stores.Journeys.ListIntakesAsync())).Select(i => i.JourneyId));
        Assert.Null(await stores.Journeys.ClaimIntakeAsync("welcome", intake.Id, "host-a", T0.AddSeconds(1), Lease));
        Assert.False(await stores.Journeys.CompleteIntakeAsync("welcome", intake.Id, "host-a"));
    }

    [Fact]
    public async Task Intake_claims_racing_from_eight_callers_give_it_to_exactly_one()
    {
        await using var stores = await CreateAsync();
        var intake = Intake("welcome");
        await stores.Journeys.SaveIntakeAsync(intake);

        var claims = await Task.WhenAll(Enumerable.Range(0, 8).Select(i => Task.Run(async () =>
            await stores.Journeys.ClaimIntakeAsync("welcome", intake.Id, $"host-{i}", T0, Lease))));

        Assert.Single(claims, c => c is not null);
    }

    [Fact]
    public async Task Intake_bad_arguments_are_refused_naming_what_is_wrong()
    {
        await using var stores = await CreateAsync();

        await Assert.ThrowsAsync<ArgumentNullException>(() => stores.Journeys.SaveIntakeAsync(null!).AsTask());
        var version = await Assert.ThrowsAsync<ArgumentException>(() => stores.Journeys.SaveIntakeAsync(Intake("welcome", version: 0)).AsTask());
        Assert.Contains("version 0", version.Message, StringComparison.Ordinal);
        await Assert.ThrowsAsync<ArgumentException>(() => stores.Journeys.ClaimIntakeAsync("welcome", Guid.NewGuid(), " ", T0, Lease).AsTask());
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => stores.Journeys.ClaimIntakeAsync("welcome", Guid.NewGuid(), "host-a", T0, TimeSpan.Zero).AsTask());
        Assert.Empty(await ToListAsync(stores.Journeys.ListIntakesAsync()));
    }
}
