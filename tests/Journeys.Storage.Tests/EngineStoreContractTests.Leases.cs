using Journeys.Messaging;

namespace Journeys.Storage.Tests;

public abstract partial class EngineStoreContractTests
{
    [Fact]
    public async Task Renewing_an_enrollment_lease_keeps_another_owner_from_claiming_it_and_the_commit_applies()
    {
        await using var stores = await CreateAsync();
        var work = await EnrollAndClaimAsync(stores, Request("j", "a", T0), "engine-1");

        var renewed = await stores.Enrollments.RenewLeasesAsync("engine-1", [work.Enrollment.Id], T0.AddSeconds(40), Lease);

        Assert.Equal([true], renewed);
        // The first lease would have run out at T0 + 60 s; the renewed one runs until T0 + 100 s.
        Assert.Empty(await stores.Enrollments.ClaimAsync("engine-2", T0 + Lease, 10, Lease));
        Assert.Empty(await stores.Enrollments.ClaimAsync("engine-2", T0.AddSeconds(99), 10, Lease));
        Assert.Equal([true], await stores.Enrollments.CommitAsync("engine-1", [Checkpoint(Complete(work.Enrollment, T0.AddSeconds(99)), work.Enrollment.ConcurrencyToken)]));
    }

    [Fact]
    public async Task A_renewed_enrollment_lease_still_expires_when_not_renewed_again()
    {
        await using var stores = await CreateAsync();
        var work = await EnrollAndClaimAsync(stores, Request("j", "a", T0), "engine-1");
        Assert.Equal([true], await stores.Enrollments.RenewLeasesAsync("engine-1", [work.Enrollment.Id], T0.AddSeconds(40), Lease));

        var taken = Assert.Single(await stores.Enrollments.ClaimAsync("engine-2", T0.AddSeconds(100), 10, Lease));

        Assert.Equal(work.Enrollment.Id, taken.Enrollment.Id);
    }

    [Fact]
    public async Task Renewal_never_shortens_an_enrollment_lease()
    {
        await using var stores = await CreateAsync();
        var work = await EnrollAndClaimAsync(stores, Request("j", "a", T0), "engine-1");

        Assert.Equal([true], await stores.Enrollments.RenewLeasesAsync("engine-1", [work.Enrollment.Id], T0.AddSeconds(10), TimeSpan.FromSeconds(5)));

        Assert.Empty(await stores.Enrollments.ClaimAsync("engine-2", T0.AddSeconds(59), 10, Lease));
        Assert.Single(await stores.Enrollments.ClaimAsync("engine-2", T0 + Lease, 10, Lease));
    }

    [Fact]
    public async Task Enrollment_lease_renewal_is_refused_to_another_owner_after_expiry_after_takeover_and_after_commit()
    {
        await using var stores = await CreateAsync();
        var first = await EnrollAndClaimAsync(stores, Request("j", "a", T0), "engine-1");
        var second = await EnrollAndClaimAsync(stores, Request("j", "b", T0), "engine-1");
        var unclaimed = Request("j", "c", T0.AddHours(1));
        await EnrollOneAsync(stores, unclaimed);

        // Another owner, an unknown id and an enrollment nobody claimed: refused, and the owner's lease is untouched.
        Assert.Equal([false, false, false], await stores.Enrollments.RenewLeasesAsync("engine-2", [first.Enrollment.Id, Guid.NewGuid(), unclaimed.EnrollmentId], T0.AddSeconds(30), Lease));
        Assert.Equal([false], await stores.Enrollments.RenewLeasesAsync("engine-1", [unclaimed.EnrollmentId], T0.AddSeconds(30), Lease));

        // Committed: the lease is released, nothing left to renew.
        Assert.Equal([true], await stores.Enrollments.CommitAsync("engine-1", [Checkpoint(WaitFor(second.Enrollment, "never"), second.Enrollment.ConcurrencyToken)]));
        Assert.Equal([true, false], await stores.Enrollments.RenewLeasesAsync("engine-1", [first.Enrollment.Id, second.Enrollment.Id], T0.AddSeconds(30), Lease));

        // Expired (renewed until T0 + 90 s): too late, even before anyone else claimed it.
        Assert.Equal([false], await stores.Enrollments.RenewLeasesAsync("engine-1", [first.Enrollment.Id], T0.AddSeconds(90), Lease));

        // Taken over by another owner: the old owner's renewal is refused and does not disturb the new lease.
        var taken = Assert.Single(await stores.Enrollments.ClaimAsync("engine-2", T0.AddSeconds(90), 10, Lease), w => w.Enrollment.Id == first.Enrollment.Id);
        Assert.Equal([false], await stores.Enrollments.RenewLeasesAsync("engine-1", [first.Enrollment.Id], T0.AddSeconds(100), Lease));
        Assert.Equal([true], await stores.Enrollments.RenewLeasesAsync("engine-2", [first.Enrollment.Id], T0.AddSeconds(100), Lease));
        Assert.Equal([false], await stores.Enrollments.CommitAsync("engine-1", [Checkpoint(Complete(first.Enrollment, T0.AddSeconds(100)), first.Enrollment.ConcurrencyToken)]));
        Assert.Equal([true], await stores.Enrollments.CommitAsync("engine-2", [Checkpoint(Complete(taken.Enrollment, T0.AddSeconds(100)), taken.Enrollment.ConcurrencyToken)]));
    }

    [Fact]
    public async Task Renewing_an_outbox_lease_keeps_another_dispatcher_from_sending_it_again()
    {
        await using var stores = await CreateAsync();
        await AddMessagesAsync(stores, Message("m1", T0), Message("m2", T0));
        Assert.Equal(2, (await stores.Outbox.ClaimAsync("d1", T0, 10, Lease)).Count);

        Assert.Equal([true, true], await stores.Outbox.RenewLeasesAsync("d1", ["m1", "m2"], T0.AddSeconds(40), Lease));
        await stores.Outbox.CompleteAsync("d1", [new OutboxResult("m2", SendResult.Sent, null, [])]);

        Assert.Empty(await stores.Outbox.ClaimAsync("d2", T0 + Lease, 10, Lease));
        Assert.Null(await stores.Outbox.GetNextDueAsync());
        Assert.Equal([true, false], await stores.Outbox.RenewLeasesAsync("d1", ["m1", "m2"], T0.AddSeconds(90), Lease));
        await stores.Outbox.CompleteAsync("d1", [new OutboxResult("m1", SendResult.Sent, null, [new StatisticDelta("j", 1, "send", StatisticCounter.Sent)])]);
        Assert.Equal(1, (await stores.Statistics.GetAsync("j", 1)).Get("send", StatisticCounter.Sent));
        Assert.Empty(await stores.Outbox.ClaimAsync("d2", T0.AddDays(1), 10, Lease));
    }

    [Fact]
    public async Task Outbox_lease_renewal_is_refused_to_another_owner_after_expiry_and_after_takeover()
    {
        await using var stores = await CreateAsync();
        await AddMessagesAsync(stores, Message("m1", T0), Message("later", T0.AddHours(1)));
        Assert.Single(await stores.Outbox.ClaimAsync("d1", T0, 10, Lease));

        Assert.Equal([false, false, false], await stores.Outbox.RenewLeasesAsync("d2", ["m1", "later", "unknown"], T0.AddSeconds(30), Lease));
        Assert.Equal([false], await stores.Outbox.RenewLeasesAsync("d1", ["m1"], T0 + Lease, Lease));

        Assert.Single(await stores.Outbox.ClaimAsync("d2", T0 + Lease, 10, Lease));
        Assert.Equal([false], await stores.Outbox.RenewLeasesAsync("d1", ["m1"], T0.AddSeconds(70), Lease));
        Assert.Equal([true], await stores.Outbox.RenewLeasesAsync("d2", ["m1"], T0.AddSeconds(70), Lease));
        Assert.Empty(await stores.Outbox.ClaimAsync("d1", T0.AddSeconds(125), 10, Lease));
    }
}
