namespace Journeys.Storage.Tests;

/// <summary>The frequency cap's record of sends (<see cref="IFrequencyCapStore"/>), which every store of this library keeps.</summary>
public abstract partial class EngineStoreContractTests
{
    private static readonly TimeSpan Day = TimeSpan.FromDays(1);

    private static IFrequencyCapStore Sends(StoreSet stores) =>
        Assert.IsAssignableFrom<IFrequencyCapStore>(stores.Outbox);

    private static SendReservation Send(string customerId, string key) => new(customerId, key);

    [Fact]
    public async Task Sends_are_granted_in_order_up_to_each_customers_cap_and_the_rest_refused()
    {
        await using var stores = await CreateAsync();

        var granted = await Sends(stores).TryReserveSendsAsync([Send("a", "k1"), Send("a", "k2"), Send("b", "k1"), Send("a", "k3"), Send("b", "k2")], 2, Day, T0);
        var later = await Sends(stores).TryReserveSendsAsync([Send("a", "k4"), Send("b", "k3"), Send("c", "k1")], 2, Day, T0.AddHours(1));

        Assert.Equal([true, true, true, false, true], granted);
        Assert.Equal([false, false, true], later);
    }

    [Fact]
    public async Task A_window_reaching_back_past_the_calendar_counts_every_send_instead_of_throwing()
    {
        // Any positive window is valid (IFrequencyCapStore): now minus TimeSpan.MaxValue runs before DateTimeOffset.MinValue,
        // which threw ArgumentOutOfRangeException from every store instead of counting every send since the start.
        await using var stores = await CreateAsync();

        var granted = await Sends(stores).TryReserveSendsAsync([Send("a", "k1"), Send("a", "k2")], 1, TimeSpan.MaxValue, T0);
        var later = await Sends(stores).TryReserveSendsAsync([Send("a", "k3"), Send("a", "k1")], 1, TimeSpan.MaxValue, T0.AddYears(100));

        Assert.Equal([true, false], granted);
        Assert.Equal([false, true], later);
    }

    [Fact]
    public async Task A_key_reserved_again_is_granted_and_counted_once()
    {
        // A message sent again after a crash (reserved, its result never recorded) is the same send.
        await using var stores = await CreateAsync();

        Assert.Equal([true, true], await Sends(stores).TryReserveSendsAsync([Send("a", "k1"), Send("a", "k1")], 2, Day, T0));
        Assert.Equal([true], await Sends(stores).TryReserveSendsAsync([Send("a", "k1")], 2, Day, T0.AddHours(1)));
        Assert.Equal([true, false, true], await Sends(stores).TryReserveSendsAsync([Send("a", "k2"), Send("a", "k3"), Send("a", "k2")], 2, Day, T0.AddHours(2)));
    }

    [Fact]
    public async Task A_send_counts_until_exactly_one_window_after_it_was_reserved()
    {
        await using var stores = await CreateAsync();

        Assert.Equal([true], await Sends(stores).TryReserveSendsAsync([Send("a", "k1")], 1, Day, T0));
        Assert.Equal([false], await Sends(stores).TryReserveSendsAsync([Send("a", "k2")], 1, Day, T0 + Day - TimeSpan.FromTicks(10)));
        Assert.Equal([true], await Sends(stores).TryReserveSendsAsync([Send("a", "k2")], 1, Day, T0 + Day));
        Assert.Equal([false], await Sends(stores).TryReserveSendsAsync([Send("a", "k3")], 1, Day, T0 + Day + TimeSpan.FromHours(1)));
    }

    [Fact]
    public async Task A_released_send_frees_its_place_and_a_key_not_reserved_is_ignored()
    {
        await using var stores = await CreateAsync();
        Assert.Equal([true, true], await Sends(stores).TryReserveSendsAsync([Send("a", "k1"), Send("a", "k2")], 2, Day, T0));

        await Sends(stores).ReleaseSendsAsync([Send("a", "k2"), Send("a", "never"), Send("nobody", "k1")]);

        Assert.Equal([true, false], await Sends(stores).TryReserveSendsAsync([Send("a", "k3"), Send("a", "k4")], 2, Day, T0.AddMinutes(1)));
        Assert.Equal([true], await Sends(stores).TryReserveSendsAsync([Send("a", "k1")], 2, Day, T0.AddMinutes(2))); // k1 still held
    }

    [Fact]
    public async Task A_purge_removes_the_sends_reserved_at_or_before_its_cut_off_only()
    {
        await using var stores = await CreateAsync();
        var month = TimeSpan.FromDays(30);
        await Sends(stores).TryReserveSendsAsync([Send("a", "k1")], 1, month, T0);
        await Sends(stores).TryReserveSendsAsync([Send("b", "k1")], 1, month, T0.AddHours(1));
        await Sends(stores).TryReserveSendsAsync([Send("c", "k1")], 1, month, T0.AddHours(2));

        Assert.Equal(2, await Sends(stores).PurgeSendsAsync(T0.AddHours(1)));
        Assert.Equal(0, await Sends(stores).PurgeSendsAsync(T0.AddHours(1)));

        // With a window that still holds all three, only c's send is left to count.
        Assert.Equal([true, true, false], await Sends(stores).TryReserveSendsAsync([Send("a", "k2"), Send("b", "k2"), Send("c", "k2")], 1, month, T0.AddHours(3)));
    }

    [Fact]
    public async Task Bad_sends_or_limits_are_refused_naming_what_and_nothing_is_recorded()
    {
        await using var stores = await CreateAsync();
        var sends = Sends(stores);

        var noCustomer = await Assert.ThrowsAsync<ArgumentException>(async () => await sends.TryReserveSendsAsync([Send("a", "k1"), Send("", "k2")], 1, Day, T0));
        var noKey = await Assert.ThrowsAsync<ArgumentException>(async () => await sends.TryReserveSendsAsync([Send("a", "k1"), Send("a", null!)], 1, Day, T0));
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(async () => await sends.TryReserveSendsAsync([Send("a", "k1")], 0, Day, T0));
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(async () => await sends.TryReserveSendsAsync([Send("a", "k1")], 1, TimeSpan.Zero, T0));
        await Assert.ThrowsAsync<ArgumentNullException>(async () => await sends.TryReserveSendsAsync(null!, 1, Day, T0));
        await Assert.ThrowsAsync<ArgumentException>(async () => await sends.ReleaseSendsAsync([Send("", "k1")]));

        Assert.Contains("index 1", noCustomer.Message, StringComparison.Ordinal);
        Assert.Contains("index 1", noKey.Message, StringComparison.Ordinal);
        Assert.Equal([true], await sends.TryReserveSendsAsync([Send("a", "k9")], 1, Day, T0)); // a's k1 was never recorded
        Assert.Empty(await sends.TryReserveSendsAsync([], 1, Day, T0));
    }

    [Fact]
    public async Task Concurrent_reservations_for_one_customer_never_grant_more_than_the_cap()
    {
        // 24 callers at once, each with its own key for the shared customer and a customer of its own: the shared
        // customer gets exactly 3 places in all, every caller's own customer its one.
        await using var stores = await CreateAsync();
        var sends = Sends(stores);

        var results = await Task.WhenAll(Enumerable.Range(0, 24).Select(i => Task.Run(async () =>
            await sends.TryReserveSendsAsync([Send("shared", $"k{i}"), Send($"own{i}", "k")], 3, Day, T0.AddMilliseconds(i)))));

        Assert.Equal(3, results.Count(r => r[0]));
        Assert.All(results, r => Assert.True(r[1]));
        Assert.Equal([false], await sends.TryReserveSendsAsync([Send("shared", "late")], 3, Day, T0.AddHours(1)));
    }
}
