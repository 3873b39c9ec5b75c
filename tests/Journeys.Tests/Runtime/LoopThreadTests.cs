using System.Collections.Concurrent;
using Journeys.Building;
using Journeys.Messaging;
using Journeys.Runtime;
using Journeys.Storage;
using Microsoft.Extensions.DependencyInjection;

namespace Journeys.Tests.Runtime;

/// <summary>The dispatcher loops of the in-memory engine run on threads of their own (<see cref="LoopThread"/>).</summary>
public sealed class LoopThreadTests
{
    private static readonly DateTimeOffset T0 = new(2026, 5, 4, 9, 0, 0, TimeSpan.Zero);
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(20);

    [Fact]
    public async Task A_loop_starts_on_its_own_thread_and_comes_back_to_it_after_every_wait()
    {
        var threads = new ConcurrentQueue<Thread>();
        var onPool = true;
        var signal = System.Threading.Channels.Channel.CreateBounded<bool>(1);
        var completed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);

        var loop = LoopThread.Start("test loop", async () =>
        {
            threads.Enqueue(Thread.CurrentThread);
            onPool = Thread.CurrentThread.IsThreadPoolThread;

            // Completed from a pool thread, a channel written from a pool thread, a yield: each continues on the loop's thread.
            _ = Task.Run(() => completed.SetResult());
            await completed.Task.ConfigureAwait(true);
            threads.Enqueue(Thread.CurrentThread);
            _ = Task.Run(() => signal.Writer.TryWrite(true));
            await signal.Reader.WaitToReadAsync().ConfigureAwait(true);
            threads.Enqueue(Thread.CurrentThread);
            await Task.Yield();
            threads.Enqueue(Thread.CurrentThread);
        });
        await loop.WaitAsync(Bound);

        Assert.Equal(4, threads.Count);
        var first = threads.First();
        Assert.All(threads, t => Assert.Same(first, t));
        Assert.Equal("test loop", first.Name);
        Assert.False(onPool);
        Assert.NotSame(Thread.CurrentThread, first);
    }

    [Fact]
    public async Task The_thread_ends_when_its_loop_ends_and_work_posted_to_it_afterwards_still_runs()
    {
        Thread? thread = null;
        SynchronizationContext? context = null;
        await LoopThread.Start("ending loop", async () =>
        {
            thread = Thread.CurrentThread;
            context = SynchronizationContext.Current;
            await Task.Yield();
        }).WaitAsync(Bound);

        Assert.NotNull(thread);
        Assert.IsType<LoopThread>(context);
        Assert.True(thread.Join(Bound), "the loop's thread must end once its loop has");

        // A late continuation posted to the ended loop's context is not dropped: it runs on the thread pool.
        var ran = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
        context!.Post(_ => ran.SetResult(Thread.CurrentThread.IsThreadPoolThread), null);
        Assert.True(await ran.Task.WaitAsync(Bound));
    }

    [Fact]
    public async Task Send_from_another_thread_runs_on_the_loop_thread_and_rethrows_what_the_callback_throws()
    {
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        LoopThread? context = null;
        Thread? loopThread = null;
        var loop = LoopThread.Start("send loop", async () =>
        {
            context = (LoopThread)SynchronizationContext.Current!;
            loopThread = Thread.CurrentThread;
            await release.Task.ConfigureAwait(true);
        });
        EngineHost.Eventually(() => context is not null, "the loop to start");

        Thread? ranOn = null;
        await Task.Run(() => context!.Send(_ => ranOn = Thread.CurrentThread, null)).WaitAsync(Bound);
        Assert.Same(loopThread, ranOn);
        var failure = await Assert.ThrowsAsync<InvalidOperationException>(() => Task.Run(() => context!.Send(_ => throw new InvalidOperationException("callback failed"), null)).WaitAsync(Bound));
        Assert.Equal("callback failed", failure.Message);

        release.SetResult();
        await loop.WaitAsync(Bound);
        Assert.Throws<InvalidOperationException>(() => context!.Send(_ => { }, null));
    }

    [Fact]
    public async Task A_sender_runs_outside_the_dispatcher_thread_context_so_blocking_on_its_own_async_work_cannot_deadlock()
    {
        var sender = new BlockingSender();
        var host = await StartOneSendJourneyAsync(sender, "blocking");
        try
        {
            var customers = Enumerable.Range(0, 10).Select(i => $"b{i}@example.com").ToArray();
            await host.Manager.PublishAsync([.. customers.Select(c => new CustomerEvent(c, "go", [], T0))]);

            // Under the dispatcher thread's context, the sender's helper would post its continuation to the very thread
            // the sender blocks: no message would ever be recorded as sent.
            EngineHost.Eventually(() => host.Count("blocking", "sms", StatisticCounter.Sent) == customers.Length, "every blocking send to complete");
            Assert.All(sender.Contexts, c => Assert.Null(c));
            Assert.All(sender.Schedulers, s => Assert.Same(TaskScheduler.Default, s));
            Assert.Contains(sender.Threads, t => t.Name is { } name && name.StartsWith("Journeys dispatcher", StringComparison.Ordinal));
        }
        finally
        {
            // Bounded: a dispatcher thread stuck in a blocked send would keep the engine from stopping.
            await host.DisposeAsync().AsTask().WaitAsync(Bound);
        }
    }

    [Fact]
    public async Task A_loop_that_throws_faults_its_task_and_its_thread_ends()
    {
        Thread? thread = null;
        var loop = LoopThread.Start("failing loop", async () =>
        {
            thread = Thread.CurrentThread;
            await Task.Yield();
            throw new InvalidOperationException("loop failed");
        });

        var failure = await Assert.ThrowsAsync<InvalidOperationException>(() => loop.WaitAsync(Bound));
        Assert.Equal("loop failed", failure.Message);
        Assert.True(thread!.Join(Bound), "the failed loop's thread must end");
    }

    [Fact]
    public async Task The_in_memory_engine_sends_on_its_dispatcher_threads_and_ends_them_when_it_stops()
    {
        var sender = new ThreadRecordingSender();
        var host = await StartOneSendJourneyAsync(sender, "hello");
        Thread[] threads;
        try
        {
            var customers = Enumerable.Range(0, 40).Select(i => $"c{i}@example.com").ToArray();
            await host.Manager.PublishAsync([.. customers.Select(c => new CustomerEvent(c, "go", [], T0))]);
            EngineHost.Eventually(() => host.Count("hello", "sms", StatisticCounter.Sent) == customers.Length, "every customer's send to be recorded");

            // EngineHost runs two shards: each shard's hand-offs are sent by its own dispatcher loop, on its own thread.
            threads = [.. sender.Threads.Distinct()];
            Assert.Equal(["Journeys dispatcher 0", "Journeys dispatcher 1"], threads.Select(t => t.Name!).Order(StringComparer.Ordinal).ToArray());
            Assert.All(threads, t => Assert.False(t.IsThreadPoolThread));
        }
        finally
        {
            await host.DisposeAsync();
        }

        Assert.All(threads, t => Assert.True(t.Join(Bound), $"{t.Name} must end when the engine stops"));
    }

    [Fact]
    public async Task A_send_under_way_when_the_engine_stops_is_not_lost_it_stays_in_the_outbox()
    {
        var sender = new HeldSender();
        var host = await StartOneSendJourneyAsync(sender, "held");
        IOutboxStore outbox;
        try
        {
            await host.Manager.PublishAsync([new CustomerEvent("c1@example.com", "go", [], T0)]);
            EngineHost.Eventually(() => sender.Started, "the send to start");
            outbox = host.Services.GetRequiredService<IOutboxStore>();
        }
        finally
        {
            // Stopping cancels the held send: its result is not recorded, so the message must still be pending.
            await host.DisposeAsync();
        }

        Assert.True(sender.Cancelled);
        var due = await outbox.ClaimAsync("another-host", T0 + TimeSpan.FromDays(1), 10, TimeSpan.FromMinutes(5));
        var message = Assert.Single(due);
        Assert.Equal("c1@example.com", message.Message.CustomerId);
    }

    private sealed class ThreadRecordingSender : IChannelSender
    {
        public ConcurrentQueue<Thread> Threads { get; } = new();

        public ValueTask<SendResult> SendAsync(OutboundMessage message, CancellationToken cancellationToken)
        {
            Threads.Enqueue(Thread.CurrentThread);
            return ValueTask.FromResult(SendResult.Sent);
        }
    }

    // An engine host with one active journey: the event "go" enters it, its one node "sms" sends through sender.
    private static async Task<EngineHost> StartOneSendJourneyAsync(IChannelSender sender, string journeyId)
    {
        var host = await EngineHost.StartAsync(T0, extend: j => j
            .AddSender(Channel.Sms, sender)
            .AddCampaigns(new Campaign($"{journeyId}-sms", Channel.Sms, "Hello")));
        try
        {
            await host.Manager.CreateAsync(JourneyBuilder.Create(journeyId, journeyId).EnterOnEvent("go")
                .Steps(p => p.Send(Channel.Sms, $"{journeyId}-sms", id: "sms"))
                .Build());
            await host.Manager.ActivateAsync(journeyId);
            return host;
        }
        catch
        {
            await host.DisposeAsync();
            throw;
        }
    }

    // Sync over async, as some provider SDKs force: blocks on an async helper whose await captures the current context.
    private sealed class BlockingSender : IChannelSender
    {
        public ConcurrentQueue<SynchronizationContext?> Contexts { get; } = new();

        public ConcurrentQueue<TaskScheduler> Schedulers { get; } = new();

        public ConcurrentQueue<Thread> Threads { get; } = new();

        public ValueTask<SendResult> SendAsync(OutboundMessage message, CancellationToken cancellationToken)
        {
            Contexts.Enqueue(SynchronizationContext.Current);
            Schedulers.Enqueue(TaskScheduler.Current);
            Threads.Enqueue(Thread.CurrentThread);
#pragma warning disable VSTHRD002, xUnit1031 // The blocking wait is the point of this sender.
            return ValueTask.FromResult(HelperAsync().GetAwaiter().GetResult());
#pragma warning restore VSTHRD002, xUnit1031
        }

        private static async Task<SendResult> HelperAsync()
        {
            await Task.Yield();
            return SendResult.Sent;
        }
    }

    private sealed class HeldSender : IChannelSender
    {
        private volatile bool _started;
        private volatile bool _cancelled;

        public bool Started => _started;

        public bool Cancelled => _cancelled;

        public async ValueTask<SendResult> SendAsync(OutboundMessage message, CancellationToken cancellationToken)
        {
            _started = true;
            try
            {
                await Task.Delay(Timeout.Infinite, cancellationToken);
            }
            catch (OperationCanceledException)
            {
                _cancelled = true;
                throw;
            }

            return SendResult.Sent;
        }
    }
}
