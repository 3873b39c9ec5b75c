namespace Journeys.Runtime;

/// <summary>
/// Runs one of the engine's loops (the in-memory engine's dispatcher loops) on a thread of its own: a
/// <see cref="TaskScheduler"/> with one dedicated background thread, on which the loop starts and to which its own awaits
/// come back (they use <c>ConfigureAwait(true)</c>; a loop started on the thread pool has no context to come back to,
/// so the same code runs there as before). On the thread pool a dispatcher loop is a continuation in one first-come
/// queue: on 2 cores, when 2,000 timers fall due within a few milliseconds, a dispatcher loop woken by a commit waits
/// for a pool thread while both run shard batches (up to a time slice plus a commit each). On a thread of its own, the
/// kernel's scheduler shares the cores between it and the shards, as it does for the pump's timer thread
/// (<see cref="SystemClockWaiter"/>).
/// </summary>
/// <remarks>
/// The thread sleeps (no CPU) while its loop waits. Work queued to the scheduler after its loop ended (a late
/// continuation of something the loop started and no longer waits for) runs on the thread pool, so nothing queued is
/// ever dropped. Inner library code keeps <c>ConfigureAwait(false)</c>: where it really waits (a database store, a
/// network sender) it finishes on the pool, and the loop's own await then brings the loop back to its thread.
/// </remarks>
internal sealed class LoopThread : TaskScheduler
{
    private readonly object _gate = new();
    private readonly Queue<Task> _queue = new();
    private readonly Thread _thread;
    private bool _ended;

    private LoopThread(string name)
    {
        _thread = new Thread(Run) { IsBackground = true, Name = name };
    }

    /// <summary>The loop thread's name.</summary>
    public string Name => _thread.Name!;

    /// <summary>
    /// Starts <paramref name="loop"/> on a new thread named <paramref name="name"/>; the task completes as the loop's does,
    /// and the thread ends with it.
    /// </summary>
    public static Task Start(string name, Func<Task> loop)
    {
        var scheduler = new LoopThread(name);
        scheduler._thread.Start();
        var running = Task.Factory.StartNew(loop, CancellationToken.None, TaskCreationOptions.DenyChildAttach, scheduler).Unwrap();

        // The thread ends once the loop has; the continuation runs wherever the loop ended (no await on it: it is a signal).
        _ = running.ContinueWith(static (_, state) => ((LoopThread)state!).End(), scheduler, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        return running;
    }

    /// <inheritdoc />
    public override int MaximumConcurrencyLevel => 1;

    /// <inheritdoc />
    protected override void QueueTask(Task task)
    {
        lock (_gate)
        {
            if (!_ended)
            {
                _queue.Enqueue(task);
                Monitor.Pulse(_gate);
                return;
            }
        }

        ThreadPool.UnsafeQueueUserWorkItem(static state => state.Scheduler.TryExecuteTask(state.Task), (Scheduler: this, Task: task), preferLocal: false);
    }

    /// <inheritdoc />
    protected override bool TryExecuteTaskInline(Task task, bool taskWasPreviouslyQueued) =>
        Thread.CurrentThread == _thread && TryExecuteTask(task);

    /// <inheritdoc />
    protected override IEnumerable<Task> GetScheduledTasks()
    {
        lock (_gate)
        {
            return [.. _queue];
        }
    }

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
        while (true)
        {
            Task? next;
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

            TryExecuteTask(next);
        }
    }
}
