namespace Journeys.Storage.Tests;

/// <summary>Pending audience intakes (<see cref="IJourneyStore.SaveIntakeAsync"/> and the calls after it): one per journey, claimed with an expiring lease, removed when done.</summary>
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
