namespace Journeys.Runtime;

/// <summary>
/// Runs one of the engine's loops (the in-memory engine's dispatcher loops) on a thread of its own: a
/// <see cref="SynchronizationContext"/> with one dedicated background thread, on which the loop starts and to which its
/// own awaits come back (they use <c>ConfigureAwait(true)</c>; a loop started on the thread pool has no context to come
/// back to, so the same code runs there as before). On the thread pool a dispatcher loop is a continuation in one
/// first-come queue: on 2 cores, when 2,000 timers fall due within a few milliseconds, a dispatcher loop woken by a
/// commit waits for a pool thread while both run shard batches (up to a time slice plus a commit each). On a thread of
/// its own, the kernel's scheduler shares the cores between it and the shards, as it does for the pump's timer thread
/// (<see cref="SystemClockWaiter"/>).
/// </summary>
/// <remarks>
/// <para>
/// The thread sleeps (no CPU) while its loop waits. Work posted after its loop ended (a late continuation of something
/// the loop started and no longer waits for) runs on the thread pool, so nothing posted is ever dropped.
/// </para>
/// <para>
/// The host application's code (channel senders, their resilience pipelines) must never run under this context: a
/// sender that blocked on a task whose continuation had captured it would wait for the very thread it blocks. So the
/// code that calls into it clears the context first (<see cref="Leave"/>). It is a synchronization context and not a
/// <see cref="TaskScheduler"/> for that reason: a scheduler would be <see cref="TaskScheduler.Current"/> for everything
/// the loop calls, and cannot be hidden from a call.
/// </para>
/// </remarks>
internal sealed class LoopThread : SynchronizationContext
{
    private readonly object _gate = new();
    private readonly Queue<(SendOrPostCallback Callback, object? State)> _queue = new();
    private readonly Thread _thread;
    private bool _ended;

    private LoopThread(string name)
    {
        _thread = new Thread(Run) { IsBackground = true, Name = name };
    }

    /// <summary>The loop thread's name.</summary>
    public string Name => _thread.Name!;

    /// <summary>
    /// Starts <paramref name="loop"/> on a new thread named <paramref name="name"/>; the task completes as the loop's does
    /// (faulted if it throws), and the thread ends with it.
    /// </summary>
    public static Task Start(string name, Func<Task> loop)
    {
        var context = new LoopThread(name);
        var started = new TaskCompletionSource<Task>(TaskCreationOptions.RunContinuationsAsynchronously);
        context.Post(
            static state =>
            {
                var (loop, started) = ((Func<Task>, TaskCompletionSource<Task>))state!;
                try
                {
                    started.SetResult(loop());
                }
                catch (Exception ex)
                {
                    // A loop that throws before its first await: its task faults, as an async method's would.
                    started.SetException(ex);
                }
            },
            (loop, started));
        context._thread.Start();
        var running = started.Task.Unwrap();

        // The thread ends once the loop has; the continuation runs wherever the loop ended (no await on it: it is a signal).
        _ = running.ContinueWith(static (_, state) => ((LoopThread)state!).End(), context, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        return running;
    }

    /// <summary>
    /// Clears the current thread's context when it is a loop thread's, so the code called next (the host application's)
    /// neither sees nor captures it. Called at the top of an async method: the method's builder puts the caller's context
    /// back when the method returns or first yields, so the loop's own awaits still come back to its thread.
    /// </summary>
    public static void Leave()
    {
        if (Current is LoopThread)
        {
            SetSynchronizationContext(null);
        }
    }

    /// <inheritdoc />
    public override void Post(SendOrPostCallback d, object? state)
    {
        ArgumentNullException.ThrowIfNull(d);
        lock (_gate)
        {
            if (!_ended)
            {
                _queue.Enqueue((d, state));
                Monitor.Pulse(_gate);
                return;
            }
        }

        ThreadPool.UnsafeQueueUserWorkItem(static item => item.Callback(item.State), (Callback: d, State: state), preferLocal: false);
    }

    /// <summary>Runs <paramref name="d"/> on the loop's thread and waits for it (at once when called on that thread).</summary>
    /// <exception cref="InvalidOperationException">The loop has ended: there is no thread to run it on.</exception>
    public override void Send(SendOrPostCallback d, object? state)
    {
        ArgumentNullException.ThrowIfNull(d);
        if (Thread.CurrentThread == _thread)
        {
            d(state);
            return;
        }

        lock (_gate)
        {
            if (_ended)
            {
                throw new InvalidOperationException($"The loop of thread '{Name}' has ended.");
            }
        }

        using var done = new ManualResetEventSlim();
        Exception? failure = null;
        Post(
            _ =>
            {
                try
                {
                    d(state);
                }
                catch (Exception ex)
                {
                    // Handed to the waiting caller below, who rethrows it.
                    failure = ex;
                }
                finally
                {
                    done.Set();
                }
            },
            null);
        done.Wait();
        if (failure is not null)
        {
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(failure);
        }
    }

    /// <inheritdoc />
    public override SynchronizationContext CreateCopy() => this;

    private void End()
    {
        lock (_gate)
        {
            _ended = true;
            Monitor.Pulse(_gate);
        }
    }

    private void Run()
    {
        SetSynchronizationContext(this);
        while (true)
        {
            (SendOrPostCallback Callback, object? State) next;
            lock (_gate)
            {
                while (_queue.Count == 0 && !_ended)
                {
                    Monitor.Wait(_gate);
                }

                if (!_queue.TryDequeue(out next))
                {
                    return;
                }
            }

            next.Callback(next.State);
        }
    }
}
