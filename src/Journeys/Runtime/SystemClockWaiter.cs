namespace Journeys.Runtime;

/// <summary>
/// Waits for an instant of the system clock with the operating system's timer precision, for the pump's next due
/// timer. <see cref="Task.Delay(TimeSpan, TimeProvider, CancellationToken)"/> on the system clock goes through the .NET timer
/// queue, which counts time in ticks of a coarse clock: on Linux with a 250 Hz kernel (Debian's default) a 1 ms delay
/// ended after 4.3 ms at p50 and a 3 ms delay after 3.1 or 6.2 ms (measured 2026-11-29 on the build machine), so a
/// timer woke 0–4 ms late. A thread blocked in <see cref="Monitor.Wait(object, int)"/>
/// with a timeout is woken by the kernel's high-resolution timer instead: 1 ms waits ended after 1.06–1.09 ms there.
/// (On Windows both follow the system timer's resolution, 15.6 ms unless an application raises it.)
/// </summary>
/// <remarks>
/// One dedicated background thread per engine, blocked (no CPU) while it waits; the timeout is whole milliseconds, so a
/// wait ends at most about a millisecond after its instant (never before it: the thread reads the clock again after
/// every wake-up and waits again while the instant is ahead). One wait at a time: a new wait replaces the previous one,
/// which is cancelled (the pump is the only caller). A wait that reaches its instant is completed on this thread,
/// outside its lock, and the waiting code continues here until it next waits: the pump's claim and its hand-over to the
/// shards run at once on a thread the kernel has just woken, instead of queuing on the thread pool behind the shards'
/// batches (on 2 cores both pool threads are often running a batch when a timer falls due). The longest single timeout
/// is <see cref="MaxTimeout"/>, so a step of the wall clock is noticed within it.
/// </remarks>
internal sealed class SystemClockWaiter : IDisposable
{
    /// <summary>The longest the thread sleeps before it reads the wall clock again.</summary>
    internal static readonly TimeSpan MaxTimeout = TimeSpan.FromSeconds(1);

    private readonly object _gate = new();
    private readonly TimeProvider _time;
    private readonly Thread _thread;
    private Waiter? _waiter;
    private bool _disposed;
    private long _completed;

    /// <param name="time">The clock the instants are read on (the system clock in the engine).</param>
    public SystemClockWaiter(TimeProvider time)
    {
        _time = time;
        _thread = new Thread(Run) { IsBackground = true, Name = "Journeys timer wake" };
        _thread.Start();
    }

    /// <summary>Waits completed by reaching their instant (for tests).</summary>
    internal long Completed => Interlocked.Read(ref _completed);

    /// <summary>
    /// A task that completes once the clock has reached <paramref name="due"/> (at once if it has), or is cancelled by
    /// <paramref name="cancellationToken"/>, by a later call (it replaces this wait) or by <see cref="Dispose"/>.
    /// </summary>
    public Task WaitUntilAsync(DateTimeOffset due, CancellationToken cancellationToken = default)
    {
        if (cancellationToken.IsCancellationRequested)
        {
            return Task.FromCanceled(cancellationToken);
        }

        var waiter = new Waiter(this, due);
        if (cancellationToken.CanBeCanceled)
        {
            // Registered before the wait is published (the lock orders the two for the thread); a cancellation that comes
            // first leaves a cancelled task, which is then not put in place.
            waiter.Registration = cancellationToken.UnsafeRegister(static (state, token) => ((Waiter)state!).Cancel(token), waiter);
        }

        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (!waiter.Task.IsCompleted)
            {
                _waiter?.TrySetCanceled(CancellationToken.None);
                _waiter = waiter;
                Monitor.Pulse(_gate);
            }
        }

        return waiter.Task;
    }

    /// <summary>Cancels the pending wait and ends the thread.</summary>
    public void Dispose()
    {
        lock (_gate)
        {
            if (_disposed)
            {
                return;
            }

            _disposed = true;
            Monitor.Pulse(_gate);
        }

        if (Thread.CurrentThread != _thread)
        {
            _thread.Join();
        }
    }

    private void Cancel(Waiter waiter, CancellationToken token)
    {
        lock (_gate)
        {
            if (ReferenceEquals(_waiter, waiter))
            {
                _waiter = null;
                Monitor.Pulse(_gate);
            }
        }

        waiter.TrySetCanceled(token);
    }

    private void Run()
    {
        while (true)
        {
            Waiter? reached = null;
            lock (_gate)
            {
                while (!_disposed && reached is null)
                {
                    if (_waiter is not { } waiter)
                    {
                        Monitor.Wait(_gate);
                        continue;
                    }

                    var remaining = waiter.Due - _time.GetUtcNow();
                    if (remaining <= TimeSpan.Zero)
                    {
                        _waiter = null;
                        reached = waiter;
                        continue;
                    }

                    Monitor.Wait(_gate, TimeoutFor(remaining));
                }

                if (reached is null)
                {
                    _waiter?.TrySetCanceled(CancellationToken.None);
                    _waiter = null;
                    return;
                }
            }

            Interlocked.Increment(ref _completed);
            reached.Registration.Unregister();

            // Outside the lock: the waiting code (the pump) continues on this thread until it next waits.
            reached.TrySetResult();
        }
    }

    /// <summary>
    /// The timeout for <paramref name="remaining"/>: whole milliseconds, rounded up (the wait's unit: rounded down, a wait
    /// of 0.6 ms would end at once and the thread would turn until the instant), at most <see cref="MaxTimeout"/>.
    /// </summary>
    internal static int TimeoutFor(TimeSpan remaining) =>
        remaining >= MaxTimeout ? (int)MaxTimeout.TotalMilliseconds : (int)JourneyEngine.WholeMilliseconds(remaining).TotalMilliseconds;

    private sealed class Waiter(SystemClockWaiter owner, DateTimeOffset due) : TaskCompletionSource(TaskCreationOptions.None)
    {
        public DateTimeOffset Due { get; } = due;

        public CancellationTokenRegistration Registration { get; set; }

        public void Cancel(CancellationToken token) => owner.Cancel(this, token);
    }
}
