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

        Assert.True(tracker.TryReserve("c", "k1", T0, day, 2));
        Assert.True(tracker.TryReserve("c", "k2", T0.AddHours(1), day, 2));
        Assert.False(tracker.TryReserve("c", "k3", T0.AddDays(1).AddTicks(-1), day, 2));
        Assert.True(tracker.TryReserve("other", "k4", T0, day, 2));
        Assert.True(tracker.TryReserve("c", "k5", T0.AddDays(1), day, 2));
        Assert.False(tracker.TryReserve("c", "k6", T0.AddDays(1), day, 2));
    }

    [Fact]
    public void A_released_reservation_frees_its_place_and_keeps_the_older_ones()
    {
        var tracker = new FrequencyTracker();
        var day = TimeSpan.FromDays(1);
        tracker.Release("nobody", "k");
        Assert.True(tracker.TryReserve("c", "k7", T0, day, 2));
        Assert.True(tracker.TryReserve("c", "k8", T0.AddHours(1), day, 2));

        tracker.Release("c", "k8"); // the 11:00 one

        // The 10:00 send still counts (until 10:00 the next day), the 11:00 one no longer does: at 10:30 the next day
        // only the 12:00 send is in the window.
        Assert.True(tracker.TryReserve("c", "k9", T0.AddHours(2), day, 2));
        Assert.False(tracker.TryReserve("c", "k10", T0.AddHours(3), day, 2));
        Assert.True(tracker.TryReserve("c", "k11", T0.AddDays(1).AddMinutes(30), day, 2));
        Assert.False(tracker.TryReserve("c", "k12", T0.AddDays(1).AddMinutes(30), day, 2));
    }

    [Fact]
    public void Customers_whose_sends_have_all_left_the_window_are_forgotten()
    {
        // One record per customer ever sent to would grow without bound on a long-running host: a customer with no send
        // left in the window is dropped (swept as the number of customers grows), and what is still in the window stays.
        var tracker = new FrequencyTracker();
        var hour = TimeSpan.FromHours(1);
        for (var i = 0; i < 10_000; i++)
        {
            Assert.True(tracker.TryReserve($"old{i}", "k13", T0, hour, 1));
        }

        Assert.True(tracker.TryReserve("recent", "k14", T0.AddMinutes(30), hour, 1));
        for (var i = 0; i < 10_000; i++)
        {
            Assert.True(tracker.TryReserve($"new{i}", "k15", T0.AddHours(1), hour, 1));
        }

        Assert.InRange(tracker.CustomerCount, 10_001, 12_000); // the new ones and "recent"; the old ones are gone
        Assert.False(tracker.TryReserve("recent", "k16", T0.AddHours(1), hour, 1)); // still capped: its send is in the window
        Assert.True(tracker.TryReserve("old0", "k17", T0.AddHours(1), hour, 1)); // forgotten, free again
        Assert.False(tracker.TryReserve("new0", "k18", T0.AddHours(1), hour, 1));
    }

    [Fact]
    public void Concurrent_reservations_of_one_customer_never_pass_the_cap_while_sweeps_drop_records()
    {
        // Each round is one window later: the last round's records have expired, and the fresh customers of each round
        // make the table grow so that sweeps run (and remove records) while the shared customers reserve twice at once.
        var tracker = new FrequencyTracker();
        var window = TimeSpan.FromMinutes(10);
        for (var round = 0; round < 8; round++)
        {
            var now = T0 + (window * round);
            var customers = Enumerable.Range(0, 500).Select(i => $"shared{i}")
                .Concat(Enumerable.Range(0, 3000).Select(i => $"r{round}-{i}"))
                .ToArray();
            var granted = new int[customers.Length];
            Parallel.For(0, customers.Length * 2, new ParallelOptions { MaxDegreeOfParallelism = 4 }, j =>
            {
                if (tracker.TryReserve(customers[j / 2], $"k{j}", now, window, 1))
                {
                    Interlocked.Increment(ref granted[j / 2]);
                }
            });

            Assert.All(granted, g => Assert.Equal(1, g));
        }

        Assert.InRange(tracker.CustomerCount, 3500, 7100); // about the last two rounds' customers at most
    }
}
