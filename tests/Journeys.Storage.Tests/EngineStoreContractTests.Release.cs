using Journeys.Messaging;

namespace Journeys.Storage.Tests;

/// <summary>
/// <see cref="IEnrollmentStore.ReleaseLeasesAsync"/> and <see cref="IOutboxStore.ReleaseLeasesAsync"/>: an engine
/// stopping gracefully gives back the leases of work it will not do, so any owner claims it at once, as if the leases
/// had expired; nothing else is released.
/// </summary>
public abstract partial class EngineStoreContractTests
{
    [Fact]
    public async Task Released_enrollment_leases_are_claimed_by_another_owner_at_once_and_its_commit_applies()
    {
        await using var stores = await CreateAsync();
        var ready = await EnrollAndClaimAsync(stores, Request("j", "a", T0), "engine-1");

        // A timer that fell due and was claimed: given back, it is due again where it stood.
        var waiting = await EnrollAndClaimAsync(stores, Request("j", "b", T0), "engine-1");
        Assert.Equal([true], await stores.Enrollments.CommitAsync("engine-1", [Checkpoint(WaitUntil(waiting.Enrollment, T0.AddSeconds(5)), waiting.Enrollment.ConcurrencyToken)]));
        var timer = Assert.Single(await stores.Enrollments.ClaimAsync("engine-1", T0.AddSeconds(5), 10, Lease));
        Assert.Empty(await stores.Enrollments.ClaimAsync("engine-2", T0.AddSeconds(6), 10, Lease));

        Assert.Equal([true, true], await stores.Enrollments.ReleaseLeasesAsync("engine-1", [ready.Enrollment.Id, timer.Enrollment.Id]));

        Assert.Equal(T0.AddSeconds(5), await stores.Enrollments.GetNextWakeAsync());
        var taken = await stores.Enrollments.ClaimAsync("engine-2", T0.AddSeconds(6), 10, Lease);
        Assert.Equal([timer.Enrollment.Id, ready.Enrollment.Id], taken.Select(w => w.Enrollment.Id));
        Assert.Equal([false, false], await stores.Enrollments.RenewLeasesAsync("engine-1", [ready.Enrollment.Id, timer.Enrollment.Id], T0.AddSeconds(7), Lease));
        Assert.Equal([false, false], await stores.Enrollments.CommitAsync("engine-1", [
            Checkpoint(Complete(ready.Enrollment, T0.AddSeconds(7)), ready.Enrollment.ConcurrencyToken),
            Checkpoint(Complete(timer.Enrollment, T0.AddSeconds(7)), timer.Enrollment.ConcurrencyToken),
        ]));
        Assert.Equal([true, true], await stores.Enrollments.CommitAsync("engine-2", [
            Checkpoint(Complete(taken[0].Enrollment, T0.AddSeconds(7)), taken[0].Enrollment.ConcurrencyToken),
            Checkpoint(Complete(taken[1].Enrollment, T0.AddSeconds(7)), taken[1].Enrollment.ConcurrencyToken),
        ]));
        Assert.Empty(await stores.Enrollments.ClaimAsync("engine-2", T0.AddDays(1), 10, Lease));
    }

    [Fact]
    public async Task Only_the_owners_uncommitted_enrollment_leases_are_released()
    {
        await using var stores = await CreateAsync();
        var held = await EnrollAndClaimAsync(stores, Request("j", "a", T0), "engine-1");
        var committed = await EnrollAndClaimAsync(stores, Request("j", "b", T0), "engine-1");
        var another = await EnrollAndClaimAsync(stores, Request("j", "c", T0), "engine-1");
        var unclaimed = Request("j", "d", T0.AddHours(1));
        await EnrollOneAsync(stores, unclaimed);
        Assert.Equal([true], await stores.Enrollments.CommitAsync("engine-1", [Checkpoint(WaitFor(committed.Enrollment, "never"), committed.Enrollment.ConcurrencyToken)]));

        // Another owner's release, an unknown id, an enrollment nobody claimed, a committed one: nothing released.
        Assert.Equal([false, false, false], await stores.Enrollments.ReleaseLeasesAsync("engine-2", [held.Enrollment.Id, another.Enrollment.Id, Guid.NewGuid()]));
        Assert.Equal([false, false, false], await stores.Enrollments.ReleaseLeasesAsync("engine-1", [Guid.NewGuid(), unclaimed.EnrollmentId, committed.Enrollment.Id]));
        Assert.Equal([unclaimed.EnrollmentId], (await stores.Enrollments.ClaimAsync("engine-2", T0.AddSeconds(30), 10, Lease)).Select(w => w.Enrollment.Id));

        // Expired and taken over by another owner: no longer the first owner's to give back.
        var taken = await stores.Enrollments.ClaimAsync("engine-2", T0 + Lease, 10, Lease);
        Assert.Equal(new[] { held.Enrollment.Id, another.Enrollment.Id }.Order(), taken.Select(w => w.Enrollment.Id).Order());
        Assert.Equal([false, false], await stores.Enrollments.ReleaseLeasesAsync("engine-1", [held.Enrollment.Id, another.Enrollment.Id]));
        Assert.Equal([true, true], await stores.Enrollments.RenewLeasesAsync("engine-2", [held.Enrollment.Id, another.Enrollment.Id], T0 + Lease, Lease));
        Assert.Equal([], await stores.Enrollments.ReleaseLeasesAsync("engine-1", []));
    }

    [Fact]
    public async Task A_released_enrollment_lease_still_takes_its_owners_late_commit_until_someone_else_claims()
    {
        await using var stores = await CreateAsync();
        var work = await EnrollAndClaimAsync(stores, Request("j", "a", T0), "engine-1");

        Assert.Equal([true], await stores.Enrollments.ReleaseLeasesAsync("engine-1", [work.Enrollment.Id]));

        // As after an expiry: the token still guards against a second commit.
        Assert.Equal([true], await stores.Enrollments.CommitAsync("engine-1", [Checkpoint(Complete(work.Enrollment, T0.AddSeconds(1)), work.Enrollment.ConcurrencyToken)]));
        Assert.Empty(await stores.Enrollments.ClaimAsync("engine-2", T0.AddSeconds(2), 10, Lease));
    }

    [Fact]
    public async Task Released_outbox_leases_are_claimed_by_another_dispatcher_at_once_and_only_the_owners_are_released()
    {
        await using var stores = await CreateAsync();
        await AddMessagesAsync(stores, Message("m1", T0), Message("m2", T0), Message("done", T0), Message("later", T0.AddHours(1)));
        Assert.Equal(3, (await stores.Outbox.ClaimAsync("d1", T0, 10, Lease)).Count);
        await stores.Outbox.CompleteAsync("d1", [new OutboxResult("done", SendResult.Sent, null, [])]);

        Assert.Equal([false, false], await stores.Outbox.ReleaseLeasesAsync("d2", ["m1", "m2"]));
        Assert.Equal([true, false, false, false], await stores.Outbox.ReleaseLeasesAsync("d1", ["m1", "done", "later", "unknown"]));

        Assert.Equal(T0, await stores.Outbox.GetNextDueAsync());
        var taken = await stores.Outbox.ClaimAsync("d2", T0.AddSeconds(1), 10, Lease);
        var message = Assert.Single(taken);
        Assert.Equal("m1", message.Message.MessageId);
        Assert.Equal("key:m1", message.Message.IdempotencyKey);
        Assert.Equal([false, true], await stores.Outbox.ReleaseLeasesAsync("d1", ["m1", "m2"]));
        Assert.Equal([true], await stores.Outbox.RenewLeasesAsync("d2", ["m1"], T0.AddSeconds(2), Lease));
        Assert.Equal(["m2"], (await stores.Outbox.ClaimAsync("d3", T0.AddSeconds(2), 10, Lease)).Select(m => m.Message.MessageId));
        Assert.Equal([], await stores.Outbox.ReleaseLeasesAsync("d1", []));
    }

    [Fact]
    public async Task A_released_handed_over_message_is_claimed_by_another_dispatcher_at_once()
    {
        await using var stores = await CreateAsync();
        await CommitWithHandoffAsync(stores, new OutboxHandoff(T0, Lease), Message("m1", T0));
        Assert.Empty(await stores.Outbox.ClaimAsync("d2", T0.AddSeconds(1), 10, Lease));

        Assert.Equal([true], await stores.Outbox.ReleaseLeasesAsync("engine", ["m1"]));

        Assert.Equal(["m1"], (await stores.Outbox.ClaimAsync("d2", T0.AddSeconds(1), 10, Lease)).Select(m => m.Message.MessageId));
        await stores.Outbox.CompleteAsync("d2", [new OutboxResult("m1", SendResult.Sent, null, [new StatisticDelta("j", 1, "send", StatisticCounter.Sent)])]);
        Assert.Equal(1, (await stores.Statistics.GetAsync("j", 1)).Get("send", StatisticCounter.Sent));
        Assert.Null(await stores.Outbox.GetNextDueAsync());
    }

    [Fact]
    public async Task Releasing_checks_its_arguments()
    {
        await using var stores = await CreateAsync();

        await Assert.ThrowsAsync<ArgumentException>(async () => await stores.Enrollments.ReleaseLeasesAsync("", []));
        await Assert.ThrowsAsync<ArgumentNullException>(async () => await stores.Enrollments.ReleaseLeasesAsync("engine", null!));
        await Assert.ThrowsAsync<ArgumentException>(async () => await stores.Outbox.ReleaseLeasesAsync("", []));
        await Assert.ThrowsAsync<ArgumentNullException>(async () => await stores.Outbox.ReleaseLeasesAsync("engine", null!));
    }
}
