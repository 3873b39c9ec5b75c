using Journeys.Model;

namespace Journeys.Storage.Tests;

/// <summary>Enrollments created already leased to the enrolling engine (<see cref="IEnrollmentStore.EnrollLeasedAsync"/>).</summary>
public abstract partial class EngineStoreContractTests
{
    /// <summary>Whether the store creates enrollments leased; one that does not takes the interface's fallback (leases none).</summary>
    protected virtual bool LeasesAtEnrollment => true;

    [Fact]
    public async Task Enroll_leased_leases_the_first_max_items_created_as_a_claim_would_and_leaves_the_rest_for_a_claim()
    {
        await using var stores = await CreateAsync();
        await stores.Enrollments.AppendEventsAsync([Event("a", "seen", T0.AddMinutes(-1))]);
        var a = Request("j", "a", T0, wakeEvents: "goal");
        var b = Request("j", "b", T0);
        var c = Request("j", "c", T0);

        var result = await stores.Enrollments.EnrollLeasedAsync([a, b, c], new EnrollmentLease("engine-1", T0, Lease, 2));

        Assert.Equal([a.EnrollmentId, b.EnrollmentId, c.EnrollmentId], result.Outcomes.Select(o => o.EnrollmentId));
        Assert.All(result.Outcomes, o => Assert.Equal(EnrollmentOutcomeKind.Created, o.Kind));
        if (!LeasesAtEnrollment)
        {
            Assert.Empty(result.Leased);
            Assert.Equal(3, (await stores.Enrollments.ClaimAsync("engine-2", T0, 10, Lease)).Count);
            return;
        }

        Assert.Equal([a.EnrollmentId, b.EnrollmentId], result.Leased.Select(w => w.Enrollment.Id));
        Assert.All(result.Leased, w => Assert.Equal(T0 + Lease, w.LeaseExpiresAt));
        Assert.All(result.Leased, w => Assert.Empty(w.Events));

        // The leased state is the stored one: what a claim would have returned.
        var stored = (await stores.Enrollments.GetByCustomerAsync("a")).Single();
        var leasedA = result.Leased[0].Enrollment;
        Assert.Equal(stored, leasedA);
        Assert.Equal(EnrollmentStatus.Active, leasedA.Status);
        Assert.Equal("start", leasedA.CurrentNodeId);
        Assert.Equal(1, leasedA.ConcurrencyToken);
        Assert.Equal(1, leasedA.EventCursor);
        Assert.Equal(["goal"], leasedA.WakeEvents.ToArray());

        // Only the unleased one is claimable now, by anyone.
        var claimed = Assert.Single(await stores.Enrollments.ClaimAsync("engine-2", T0, 10, Lease));
        Assert.Equal(c.EnrollmentId, claimed.Enrollment.Id);
    }

    [Fact]
    public async Task Enrollments_created_leased_are_not_claimable_before_expiry_and_are_claimable_by_another_owner_after()
    {
        await using var stores = await CreateAsync();
        var request = Request("j", "a", T0);
        var result = await stores.Enrollments.EnrollLeasedAsync([request], new EnrollmentLease("engine-1", T0, Lease, 10));
        if (!LeasesAtEnrollment)
        {
            Assert.Empty(result.Leased);
            return;
        }

        Assert.Single(result.Leased);
        Assert.Empty(await stores.Enrollments.ClaimAsync("engine-2", T0.AddSeconds(59), 10, Lease));
        Assert.Empty(await stores.Enrollments.ClaimAsync("engine-1", T0.AddSeconds(59), 10, Lease));

        var taken = Assert.Single(await stores.Enrollments.ClaimAsync("engine-2", T0 + Lease, 10, Lease));
        Assert.Equal(request.EnrollmentId, taken.Enrollment.Id);
        Assert.Equal(1, taken.Enrollment.ConcurrencyToken);
    }

    [Fact]
    public async Task An_enrollment_created_leased_commits_for_its_owner_only_and_a_stale_owner_is_refused_after_a_takeover()
    {
        await using var stores = await CreateAsync();
        var first = Request("j", "a", T0);
        var second = Request("j", "b", T0);
        var result = await stores.Enrollments.EnrollLeasedAsync([first, second], new EnrollmentLease("engine-1", T0, Lease, 10));
        if (!LeasesAtEnrollment)
        {
            Assert.Empty(result.Leased);
            return;
        }

        var (a, b) = (result.Leased[0].Enrollment, result.Leased[1].Enrollment);

        // Another owner cannot commit it; the owner can, and can renew it first.
        Assert.Equal([false], await stores.Enrollments.CommitAsync("engine-2", [Checkpoint(Complete(a, T0.AddSeconds(1)), 1)]));
        Assert.Equal([true], await stores.Enrollments.RenewLeasesAsync("engine-1", [a.Id], T0.AddSeconds(30), Lease));
        Assert.Equal([true], await stores.Enrollments.CommitAsync("engine-1", [Checkpoint(Complete(a, T0.AddSeconds(31)), 1)]));
        Assert.Equal(EnrollmentStatus.Completed, (await stores.Enrollments.GetByCustomerAsync("a")).Single().Status);

        // The other one's lease runs out, engine-2 takes it over: engine-1's late commit is refused, engine-2's applies.
        var taken = Assert.Single(await stores.Enrollments.ClaimAsync("engine-2", T0 + Lease, 10, Lease));
        Assert.Equal(b.Id, taken.Enrollment.Id);
        Assert.Equal([false], await stores.Enrollments.RenewLeasesAsync("engine-1", [b.Id], T0 + Lease, Lease));
        Assert.Equal([false], await stores.Enrollments.CommitAsync("engine-1", [Checkpoint(Complete(b, T0 + Lease), 1)]));
        Assert.Equal([true], await stores.Enrollments.CommitAsync("engine-2", [Checkpoint(Complete(taken.Enrollment, T0 + Lease), 1)]));
        var stored = (await stores.Enrollments.GetByCustomerAsync("b")).Single();
        Assert.Equal(EnrollmentStatus.Completed, stored.Status);
        Assert.Equal(2, stored.ConcurrencyToken);
    }

    [Fact]
    public async Task Enroll_leased_applies_the_entry_rules_unchanged_and_leases_only_created_enrollments()
    {
        await using var stores = await CreateAsync();
        var capped = EntryRules.Default with { EntryCap = 3 };
        var live = await EnrollOneAsync(stores, Request("j", "a", T0, capped));
        var duplicate = Request("j", "a", T0, capped);
        var created = Request("j", "b", T0, capped);
        var sameCustomerInBatch = Request("j", "b", T0, capped);
        var last = Request("j", "c", T0, capped);
        var overCap = Request("j", "d", T0, capped);

        var result = await stores.Enrollments.EnrollLeasedAsync(
            [duplicate, created, sameCustomerInBatch, last, overCap], new EnrollmentLease("engine-1", T0, Lease, 10));

        Assert.Equal(
            [EnrollmentOutcomeKind.DuplicateActive, EnrollmentOutcomeKind.Created, EnrollmentOutcomeKind.DuplicateActive, EnrollmentOutcomeKind.Created, EnrollmentOutcomeKind.CapReached],
            result.Outcomes.Select(o => o.Kind));
        Assert.Equal(live.Id, result.Outcomes[0].EnrollmentId);
        Assert.Equal(created.EnrollmentId, result.Outcomes[2].EnrollmentId);
        Assert.Equal(LeasesAtEnrollment ? [created.EnrollmentId, last.EnrollmentId] : [], result.Leased.Select(w => w.Enrollment.Id));
        Assert.Empty(await stores.Enrollments.GetByCustomerAsync("d"));
    }

    [Fact]
    public async Task Enroll_leased_with_a_used_id_writes_nothing()
    {
        await using var stores = await CreateAsync();
        var existing = await EnrollOneAsync(stores, Request("j", "a", T0));
        var fresh = Request("j", "b", T0);
        var reused = Request("k", "c", T0) with { EnrollmentId = existing.Id };

        await Assert.ThrowsAsync<ArgumentException>(() => stores.Enrollments.EnrollLeasedAsync([fresh, reused], new EnrollmentLease("engine-1", T0, Lease, 10)).AsTask());
        await Assert.ThrowsAsync<ArgumentException>(() => stores.Enrollments.EnrollLeasedAsync([fresh, fresh with { CustomerId = "c" }], new EnrollmentLease("engine-1", T0, Lease, 10)).AsTask());
        await Assert.ThrowsAsync<ArgumentNullException>(() => stores.Enrollments.EnrollLeasedAsync([fresh], null!).AsTask());

        Assert.Empty(await stores.Enrollments.GetByCustomerAsync("b"));
        Assert.Empty(await stores.Enrollments.GetByCustomerAsync("c"));
        var claimed = Assert.Single(await stores.Enrollments.ClaimAsync("engine-2", T0, 10, Lease));
        Assert.Equal(existing.Id, claimed.Enrollment.Id);
    }

    [Fact]
    public async Task Enroll_leased_with_no_lease_room_creates_everything_unleased()
    {
        await using var stores = await CreateAsync();
        var result = await stores.Enrollments.EnrollLeasedAsync([Request("j", "a", T0), Request("j", "b", T0)], new EnrollmentLease("engine-1", T0, Lease, 0));

        Assert.All(result.Outcomes, o => Assert.Equal(EnrollmentOutcomeKind.Created, o.Kind));
        Assert.Empty(result.Leased);
        Assert.Equal(2, (await stores.Enrollments.ClaimAsync("engine-2", T0, 10, Lease)).Count);
    }
}
