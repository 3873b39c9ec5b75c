namespace Journeys.Tests.Model;

/// <summary>
/// The record keeps its four instants as UTC ticks and offset minutes; these pin what that must not change: each
/// instant comes back as given (offset included), equality and the hash compare instants as <see cref="DateTimeOffset"/>
/// does (not offsets), a null instant differs from any value, and the printed form lists the members in their usual order.
/// </summary>
public sealed class EnrollmentTests
{
    private static readonly DateTimeOffset Kolkata = new(2026, 11, 30, 4, 0, 0, TimeSpan.FromHours(5.5));
    private static readonly DateTimeOffset Caracas = new(2026, 11, 29, 18, 30, 0, TimeSpan.FromHours(-4));

    private static Enrollment Sample() =>
        new(new Guid("0a0b0c0d-0000-0000-0000-000000000001"), "j", 2, "c-1", "wait", EnrollmentStatus.Waiting, Kolkata, "click", 3, Caracas, Kolkata.AddMinutes(1), 7)
        {
            NodeEnteredAt = Caracas.AddSeconds(5),
            WakeEvents = new EquatableArray<string>(["click"]),
            EventCursor = 11,
            NodeState = 1,
            MessagesSent = 2,
            Clicks = 1,
        };

    [Fact]
    public void Each_instant_comes_back_as_given_offset_included_also_through_with_and_deconstruction()
    {
        var enrollment = Sample();
        AssertExact(Kolkata, enrollment.WakeAt);
        AssertExact(Caracas, enrollment.EnteredAt);
        AssertExact(Kolkata.AddMinutes(1), enrollment.UpdatedAt);
        AssertExact(Caracas.AddSeconds(5), enrollment.NodeEnteredAt);

        var moved = enrollment with { WakeAt = DateTimeOffset.MaxValue, NodeEnteredAt = null, UpdatedAt = DateTimeOffset.MinValue };
        AssertExact(DateTimeOffset.MaxValue, moved.WakeAt);
        Assert.Null(moved.NodeEnteredAt);
        AssertExact(DateTimeOffset.MinValue, moved.UpdatedAt);
        AssertExact(Caracas, moved.EnteredAt);

        var (_, _, _, _, _, _, wakeAt, _, _, enteredAt, updatedAt, _) = enrollment;
        AssertExact(Kolkata, wakeAt);
        AssertExact(Caracas, enteredAt);
        AssertExact(Kolkata.AddMinutes(1), updatedAt);
        Assert.Null((enrollment with { WakeAt = null }).WakeAt);
    }

    [Fact]
    public void Equality_and_hash_compare_instants_not_offsets_and_a_missing_instant_differs_from_any()
    {
        var enrollment = Sample();
        var sameInstants = enrollment with
        {
            WakeAt = Kolkata.ToUniversalTime(),
            EnteredAt = Caracas.ToOffset(TimeSpan.FromHours(9)),
            UpdatedAt = Kolkata.AddMinutes(1).ToOffset(TimeSpan.FromHours(-11)),
            NodeEnteredAt = Caracas.AddSeconds(5).ToUniversalTime(),
        };
        Assert.Equal(enrollment, sameInstants);
        Assert.Equal(enrollment.GetHashCode(), sameInstants.GetHashCode());

        Assert.NotEqual(enrollment, enrollment with { WakeAt = Kolkata.AddTicks(1) });
        Assert.NotEqual(enrollment, enrollment with { EnteredAt = Caracas.AddTicks(-1) });
        Assert.NotEqual(enrollment, enrollment with { UpdatedAt = Kolkata });
        Assert.NotEqual(enrollment, enrollment with { NodeEnteredAt = Caracas });
        Assert.NotEqual(enrollment, enrollment with { WakeAt = null });
        Assert.NotEqual(enrollment, enrollment with { NodeEnteredAt = null });

        // The earliest instant is a value, not "none".
        Assert.NotEqual(enrollment with { WakeAt = null }, enrollment with { WakeAt = DateTimeOffset.MinValue });
        Assert.Equal(enrollment with { WakeAt = null, NodeEnteredAt = null }, enrollment with { WakeAt = null, NodeEnteredAt = null });
    }

    [Fact]
    public void The_printed_form_lists_the_positional_members_first_in_their_order()
    {
        var enrollment = Sample();
        Assert.Equal(
            "Enrollment { Id = 0a0b0c0d-0000-0000-0000-000000000001, JourneyId = j, Version = 2, CustomerId = c-1, CurrentNodeId = wait, "
            + $"Status = Waiting, WakeAt = {Kolkata}, AwaitedEvent = click, Visit = 3, EnteredAt = {Caracas}, UpdatedAt = {Kolkata.AddMinutes(1)}, "
            + $"ConcurrencyToken = 7, WakeEvents = {enrollment.WakeEvents}, EventCursor = 11, NodeEnteredAt = {Caracas.AddSeconds(5)}, NodeState = 1, "
            + "EndReason = , MessagesSent = 2, Clicks = 1, IsEnded = False }",
            enrollment.ToString());
    }

    private static void AssertExact(DateTimeOffset expected, DateTimeOffset? actual)
    {
        Assert.NotNull(actual);
        Assert.Equal(expected.UtcTicks, actual.Value.UtcTicks);
        Assert.Equal(expected.Offset, actual.Value.Offset);
    }
}
