using Journeys.Runtime;
using Microsoft.Extensions.Time.Testing;

namespace Journeys.Tests.Runtime;

/// <summary>
/// The pump's wait for its next timer on the system clock (<see cref="SystemClockWaiter"/>): never before the instant on
/// the clock it reads, one wait at a time, cancellable. Order and counts only, never how long a wait took.
/// </summary>
public sealed class SystemClockWaiterTests
{
    private static readonly TimeSpan Generous = TimeSpan.FromSeconds(20);

    [Fact]
    public async Task A_wait_never_ends_before_its_instant_on_the_system_clock()
    {
        using var waiter = new SystemClockWaiter(TimeProvider.System);

        // Instants with sub-millisecond fractions: the thread's timeouts are whole milliseconds, rounded up.
        for (var i = 0; i < 40; i++)
        {
            var due = TimeProvider.System.GetUtcNow() + TimeSpan.FromMilliseconds(0.37 * i);
            await waiter.WaitUntilAsync(due).WaitAsync(Generous);
            var after = TimeProvider.System.GetUtcNow();
            Assert.True(after >= due, $"ended at {after:O}, before its instant {due:O}");
        }

        Assert.Equal(40, waiter.Completed);
    }

    [Fact]
    public async Task A_wait_ends_only_once_the_clock_it_reads_reaches_the_instant()
    {
        // A fake clock does not move by itself: however long the thread sleeps, it reads the clock short of the instant
        // and sleeps again, until the clock is moved.
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 11, 29, 12, 0, 0, TimeSpan.Zero));
        using var waiter = new SystemClockWaiter(time);
        var due = time.GetUtcNow() + TimeSpan.FromMilliseconds(3);
        var wait = waiter.WaitUntilAsync(due);

        // Several of the thread's 3 ms timeouts pass in real time; the instant is still ahead on the clock.
        await Task.Delay(TimeSpan.FromMilliseconds(60));
        Assert.False(wait.IsCompleted);
        time.Advance(TimeSpan.FromMilliseconds(2.5));
        await Task.Delay(TimeSpan.FromMilliseconds(30));
        Assert.False(wait.IsCompleted);

        time.Advance(TimeSpan.FromMilliseconds(0.5));
        await wait.WaitAsync(Generous);
        Assert.Equal(1, waiter.Completed);
    }

    [Fact]
    public async Task A_new_wait_replaces_the_pending_one_which_is_cancelled()
    {
        using var waiter = new SystemClockWaiter(TimeProvider.System);
        var far = waiter.WaitUntilAsync(TimeProvider.System.GetUtcNow() + TimeSpan.FromHours(1));
        var near = waiter.WaitUntilAsync(TimeProvider.System.GetUtcNow() + TimeSpan.FromMilliseconds(2));

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => far.WaitAsync(Generous));
        await near.WaitAsync(Generous);
        Assert.Equal(1, waiter.Completed);
    }

    [Fact]
    public async Task A_cancelled_wait_ends_cancelled_and_the_next_wait_is_still_served()
    {
        using var waiter = new SystemClockWaiter(TimeProvider.System);
        using var cancel = new CancellationTokenSource();
        var cancelled = waiter.WaitUntilAsync(TimeProvider.System.GetUtcNow() + TimeSpan.FromHours(1), cancel.Token);
        await cancel.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => cancelled.WaitAsync(Generous));

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => waiter.WaitUntilAsync(TimeProvider.System.GetUtcNow(), cancel.Token));

        await waiter.WaitUntilAsync(TimeProvider.System.GetUtcNow() + TimeSpan.FromMilliseconds(1), CancellationToken.None).WaitAsync(Generous);
        Assert.Equal(1, waiter.Completed);
    }

    [Fact]
    public async Task Disposing_cancels_the_pending_wait_and_refuses_new_ones()
    {
        var waiter = new SystemClockWaiter(TimeProvider.System);
        var pending = waiter.WaitUntilAsync(TimeProvider.System.GetUtcNow() + TimeSpan.FromHours(1));
        waiter.Dispose();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => pending.WaitAsync(Generous));
        Assert.Throws<ObjectDisposedException>(() => { _ = waiter.WaitUntilAsync(TimeProvider.System.GetUtcNow()); });
        waiter.Dispose();
        Assert.Equal(0, waiter.Completed);
    }

    [Theory]
    [InlineData(0.001, 1)]
    [InlineData(0.6, 1)]
    [InlineData(1, 1)]
    [InlineData(1.2, 2)]
    [InlineData(999.5, 1000)]
    [InlineData(1000, 1000)]
    [InlineData(30_000, 1000)]
    public void Timeouts_are_whole_milliseconds_rounded_up_and_at_most_a_second(double remaining, int expected) =>
        Assert.Equal(expected, SystemClockWaiter.TimeoutFor(TimeSpan.FromMilliseconds(remaining)));
}
