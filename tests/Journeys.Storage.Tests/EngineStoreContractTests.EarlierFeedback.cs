using System.Collections.Immutable;

namespace Journeys.Storage.Tests;

public abstract partial class EngineStoreContractTests
{
    [Fact]
    public async Task Claim_returns_the_enrollments_own_feedback_that_its_cursor_has_passed_and_no_other_event()
    {
        await using var stores = await CreateAsync();
        var a = Request("j", "a", T0);
        var b = Request("k", "a", T0);
        await stores.Enrollments.EnrollAsync([a, b]);
        var claimed = await stores.Enrollments.ClaimAsync("engine", T0, 10, Lease);
        Assert.Equal(2, claimed.Count);
        Assert.All(claimed, w => Assert.Empty(w.EarlierFeedback));
        await stores.Enrollments.CommitAsync("engine", [.. claimed.Select(w => Checkpoint(WaitUntil(w.Enrollment, T0.AddHours(1), "delay", "goal"), w.Enrollment.ConcurrencyToken))]);

        var ownA = Click("a", a.EnrollmentId, T0.AddMinutes(1));
        var ownB = Click("a", b.EnrollmentId, T0.AddMinutes(2));
        await stores.Enrollments.AppendEventsAsync(
        [
            ownA,
            ownB,
            Click("a", Guid.NewGuid(), T0.AddMinutes(3)), // another enrollment's message
            new CustomerEvent("a", "clicked", ImmutableDictionary<string, FieldValue>.Empty, T0.AddMinutes(4), "campaign-7"), // not an enrollment's message
            Click("b", a.EnrollmentId, T0.AddMinutes(5)), // another customer's event
            Event("a", "goal", T0.AddMinutes(6)),
        ]);

        // Woken by the goal event: the feedback is among the new events, not yet earlier feedback.
        var woken = await stores.Enrollments.ClaimAsync("engine", T0.AddMinutes(10), 10, Lease);
        Assert.Equal(2, woken.Count);
        Assert.All(woken, w => Assert.Equal(5, w.Events.Count));
        Assert.All(woken, w => Assert.Empty(w.EarlierFeedback));

        // The run handled every event (the cursor passed them all) and went on waiting for its timer.
        await stores.Enrollments.CommitAsync("engine", [.. woken.Select(w => Checkpoint(
            WaitUntil(w.Enrollment, T0.AddHours(1), "delay", "goal") with { EventCursor = w.Events[^1].Sequence, Visit = w.Enrollment.Visit },
            w.Enrollment.ConcurrencyToken))]);
        Assert.Empty(await stores.Enrollments.ClaimAsync("engine", T0.AddMinutes(20), 10, Lease));

        var due = await stores.Enrollments.ClaimAsync("engine", T0.AddHours(1), 10, Lease);
        Assert.Equal(2, due.Count);
        Assert.All(due, w => Assert.Empty(w.Events));
        var dueA = Assert.Single(due, w => w.Enrollment.Id == a.EnrollmentId);
        var dueB = Assert.Single(due, w => w.Enrollment.Id == b.EnrollmentId);
        Assert.Equal([(ownA.Name, ownA.MessageId, ownA.Time)], dueA.EarlierFeedback.Select(e => (e.Event.Name, e.Event.MessageId, e.Event.Time)));
        Assert.Equal([(ownB.Name, ownB.MessageId, ownB.Time)], dueB.EarlierFeedback.Select(e => (e.Event.Name, e.Event.MessageId, e.Event.Time)));
        Assert.All(due, w => Assert.All(w.EarlierFeedback, e => Assert.True(e.Sequence <= w.Enrollment.EventCursor)));
    }

    private static CustomerEvent Click(string customerId, Guid enrollmentId, DateTimeOffset time) =>
        new(customerId, "clicked", ImmutableDictionary<string, FieldValue>.Empty, time, $"{enrollmentId:N}/push/1");
}
