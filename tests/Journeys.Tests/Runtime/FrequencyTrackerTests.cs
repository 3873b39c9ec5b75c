using Journeys.Runtime;

namespace Journeys.Tests.Runtime;

public sealed class FrequencyTrackerTests
{
    private static readonly DateTimeOffset T0 = new(2026, 5, 4, 10, 0, 0, TimeSpan.Zero);

    [Fact]
    public void The_cap_counts_sends_in_the_window_and_a_send_exactly_one_window_old_no_longer_counts()
    {
        var tracker = new FrequencyTracker();
        var day = TimeSpan.FromDays(1);

        Assert.True(tracker.TryReserve("c", T0, day, 2));
        Assert.True(tracker.TryReserve("c", T0.AddHours(1), day, 2));
        Assert.False(tracker.TryReserve("c", T0.AddDays(1).AddTicks(-1), day, 2));
        Assert.True(tracker.TryReserve("other", T0, day, 2));
        Assert.True(tracker.TryReserve("c", T0.AddDays(1), day, 2));
        Assert.False(tracker.TryReserve("c", T0.AddDays(1), day, 2));
    }

    [Fact]
    public void A_released_reservation_frees_its_place_and_keeps_the_older_ones()
    {
        var tracker = new FrequencyTracker();
        var day = TimeSpan.FromDays(1);
        tracker.Release("nobody");
        Assert.True(tracker.TryReserve("c", T0, day, 2));
        Assert.True(tracker.TryReserve("c", T0.AddHours(1), day, 2));

        tracker.Release("c");

        // The 10:00 send still counts (until 10:00 the next day), the 11:00 one no longer does: at 10:30 the next day
        // only the 12:00 send is in the window.
        Assert.True(tracker.TryReserve("c", T0.AddHours(2), day, 2));
        Assert.False(tracker.TryReserve("c", T0.AddHours(3), day, 2));
        Assert.True(tracker.TryReserve("c", T0.AddDays(1).AddMinutes(30), day, 2));
        Assert.False(tracker.TryReserve("c", T0.AddDays(1).AddMinutes(30), day, 2));
    }
}
