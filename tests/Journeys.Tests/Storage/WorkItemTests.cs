using System.Collections.Immutable;
using Journeys.Model;
using Journeys.Storage;
using Journeys.Storage.InMemory;

namespace Journeys.Tests.Storage;

public sealed class WorkItemTests
{
    [Theory]
    [InlineData("0f8fad5bd9cb469fa16570867728950e/push/1", true)]
    [InlineData("0f8fad5bd9cb469fa16570867728950e/push/3-reminder-1", true)]
    [InlineData("0f8fad5bd9cb469fa16570867728950e/", false)]
    [InlineData("0f8fad5bd9cb469fa16570867728950f/push/1", false)]
    [InlineData("0f8fad5b-d9cb-469f-a165-70867728950e/push/1", false)]
    [InlineData("push/1", false)]
    [InlineData("", false)]
    [InlineData(null, false)]
    public void A_message_id_is_an_enrollments_own_when_it_starts_with_the_enrollment_id_and_a_slash(string? messageId, bool own) =>
        Assert.Equal(own, WorkItem.IsOwnMessage(messageId, Guid.Parse("0f8fad5b-d9cb-469f-a165-70867728950e")));

    [Fact]
    public void A_message_id_made_by_the_executor_is_its_enrollments_own()
    {
        var id = Guid.NewGuid();
        Assert.True(WorkItem.IsOwnMessage(Journeys.Runtime.StepExecutor.MessageId(id, "push", 7), id));
        Assert.False(WorkItem.IsOwnMessage(Journeys.Runtime.StepExecutor.MessageId(Guid.NewGuid(), "push", 7), id));
    }

    private static readonly DateTimeOffset At = new(2026, 3, 1, 9, 0, 0, TimeSpan.Zero);

    private static readonly Enrollment WithOffsets = new(
        Guid.Parse("00000000-0000-0000-0000-0000000000c1"),
        "j",
        3,
        "customer-1",
        "wait",
        EnrollmentStatus.Waiting,
        new DateTimeOffset(2026, 3, 2, 8, 15, 0, TimeSpan.FromMinutes(330)),
        "click",
        4,
        new DateTimeOffset(2026, 2, 28, 9, 0, 0, TimeSpan.FromHours(2)),
        new DateTimeOffset(2026, 3, 1, 4, 0, 0, TimeSpan.FromHours(-3)),
        7)
    {
        WakeEvents = new EquatableArray<string>(ImmutableArray.Create("purchase", "click")),
        EventCursor = 11,
        NodeEnteredAt = null,
        NodeState = 1,
        EndReason = "reason",
        MessagesSent = 2,
        Clicks = 5,
    };

    [Fact]
    public void The_claimed_state_of_a_record_builds_an_equal_record_with_every_offset_kept()
    {
        var claim = ClaimedState.Of(WithOffsets);
        var built = claim.ToRecord();

        Assert.Equal(WithOffsets, built);
        Assert.Equal(WithOffsets.ToString(), built.ToString());
        Assert.Equal(TimeSpan.FromMinutes(330), built.WakeAt!.Value.Offset);
        Assert.Equal(TimeSpan.FromHours(2), built.EnteredAt.Offset);
        Assert.Equal(TimeSpan.FromHours(-3), built.UpdatedAt.Offset);
        Assert.Null(built.NodeEnteredAt);
        Assert.Equal((5, "reason", 11L), (built.Clicks, built.EndReason, built.EventCursor));
        Assert.Same(WithOffsets, claim.Identity);
    }

    [Fact]
    public void An_item_in_the_claim_form_equals_prints_and_deconstructs_as_the_item_given_the_record()
    {
        var events = new[] { new SequencedEvent(12, new CustomerEvent("customer-1", "click", ImmutableDictionary<string, FieldValue>.Empty, At, null)) };
        var claimed = new WorkItem(ClaimedState.Of(WithOffsets), events, At.AddMinutes(5));
        var given = new WorkItem(WithOffsets, events, At.AddMinutes(5));

        Assert.False(claimed.HasEnrollmentRecord);
        Assert.Equal(given, claimed);
        Assert.Equal(claimed, given);
        Assert.Equal(given.GetHashCode(), claimed.GetHashCode());
        Assert.Equal(given.ToString(), claimed.ToString());
        Assert.StartsWith("WorkItem { Enrollment = Enrollment { Id = ", claimed.ToString(), StringComparison.Ordinal);
        Assert.Contains(", LeaseExpiresAt = ", claimed.ToString(), StringComparison.Ordinal);
        Assert.NotEqual(given with { LeaseExpiresAt = At.AddMinutes(6) }, claimed);
        Assert.NotEqual(new WorkItem(WithOffsets with { Visit = 5 }, events, At.AddMinutes(5)), claimed);

        // Built once, on the first read, then kept.
        var record = claimed.Enrollment;
        Assert.True(claimed.HasEnrollmentRecord);
        Assert.Same(record, claimed.Enrollment);
        var (enrollment, itemEvents, lease) = claimed;
        Assert.Same(record, enrollment);
        Assert.Same(events, itemEvents);
        Assert.Equal(At.AddMinutes(5), lease);

        // A record set with `with` replaces the claimed state too; a copy keeping it keeps the claimed state.
        var other = WithOffsets with { CurrentNodeId = "elsewhere", ConcurrencyToken = 9 };
        var replaced = claimed with { Enrollment = other };
        Assert.Same(other, replaced.Enrollment);
        Assert.Equal(("elsewhere", 9L), (replaced.Claim.CurrentNodeId, replaced.Claim.ConcurrencyToken));
        var moved = new WorkItem(ClaimedState.Of(WithOffsets), events, At) with { EarlierFeedback = events };
        Assert.Equal(("wait", 7L), (moved.Claim.CurrentNodeId, moved.Claim.ConcurrencyToken));
        Assert.Equal(WithOffsets, moved.Enrollment);
    }

    [Fact]
    public async Task An_in_memory_claim_keeps_the_claim_time_state_after_the_store_changes_the_enrollment()
    {
        var store = new InMemoryEngineStore(new InMemoryCustomerStore());
        var id = Guid.NewGuid();
        await store.EnrollAsync([new EnrollmentRequest(id, "j", 1, "a", "start", At, EntryRules.Default, EquatableArray<string>.Empty)]);
        var item = Assert.Single(await store.ClaimAsync("owner", At, 10, TimeSpan.FromMinutes(1)));
        var atClaim = Assert.Single(await store.GetByCustomerAsync("a"));

        // A click, a cancellation and a new enrollment of the customer after the claim: none reaches the claimed item.
        await store.AddClicksAsync([new EnrollmentClick("a", id)]);
        await store.CancelAsync(null, null, "a", "customer deleted", At.AddSeconds(1));
        await store.EnrollAsync([new EnrollmentRequest(Guid.NewGuid(), "j", 1, "a", "start", At.AddSeconds(2), EntryRules.Default, EquatableArray<string>.Empty)]);
        var now = (await store.GetByCustomerAsync("a")).Single(e => e.Id == id);
        Assert.Equal((EnrollmentStatus.Cancelled, 1, 2L), (now.Status, now.Clicks, now.ConcurrencyToken));

        Assert.False(item.HasEnrollmentRecord);
        Assert.Equal((EnrollmentStatus.Active, "start", 1L, 0), (item.Claim.Status, item.Claim.CurrentNodeId, item.Claim.ConcurrencyToken, item.Claim.Clicks));
        Assert.Equal(atClaim, item.Enrollment);
        Assert.Equal(atClaim.ToString(), item.Enrollment.ToString());
        Assert.Equal((EnrollmentStatus.Active, 0, 1L, (string?)null), (item.Enrollment.Status, item.Enrollment.Clicks, item.Enrollment.ConcurrencyToken, item.Enrollment.EndReason));
    }
}
