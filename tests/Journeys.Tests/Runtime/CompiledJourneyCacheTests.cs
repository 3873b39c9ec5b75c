using Journeys.Building;
using Journeys.Messaging;
using Journeys.Model;
using Journeys.Runtime;
using Journeys.Storage;
using Journeys.Storage.InMemory;
using Journeys.Tests.Shared;

namespace Journeys.Tests.Runtime;

public sealed class CompiledJourneyCacheTests
{
    [Fact]
    public async Task A_caller_that_gives_up_does_not_cancel_the_shared_load_of_the_others()
    {
        // The first caller's load is shared by every caller of the same version (the engine, the manager, HTTP
        // requests): it used to run under the first caller's token, so an aborted request failed the engine's wait too.
        var store = new GatedJourneyStore();
        await store.Inner.SaveAsync(Journey() with { Status = JourneyStatus.Active }, null);
        var cache = new CompiledJourneyCache(store, new InMemoryCustomerStore(), Microsoft.Extensions.Options.Options.Create(EngineOptions()), Microsoft.Extensions.Options.Options.Create(new WebhookOptions()));

        using var aborted = new CancellationTokenSource();
        var first = cache.GetAsync("cache-j", 1, aborted.Token).AsTask();
        var second = cache.GetAsync("cache-j", 1, CancellationToken.None).AsTask();
        await store.Entered.Task.WaitAsync(TimeSpan.FromSeconds(10));
        await aborted.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => first);
        store.Gate.SetResult();
        var compiled = await second.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.NotNull(compiled);
        Assert.Equal(("cache-j", 1), (compiled.Id, compiled.Version));
        Assert.Equal(1, store.Loads);

        // The load completed: later callers get the cached version, whatever their token.
        Assert.Same(compiled, await cache.GetAsync("cache-j", 1, aborted.Token));
    }

    [Fact]
    public async Task A_caller_that_blocks_after_the_shared_load_does_not_hold_up_the_other_waiters()
    {
        // The manager's entry and the engine's shard can wait for the same load (a journey forgotten by a change
        // notification in between), and the host's code after the manager's call runs as the manager's continuation.
        // The load's completion ran its waiters' continuations one after another on one thread: a host continuation that
        // waited synchronously (the PostgreSQL click-export scenario's spin) held the shard's until it returned.
        var store = new GatedJourneyStore();
        await store.Inner.SaveAsync(Journey() with { Status = JourneyStatus.Active }, null);
        var cache = NewCache(store);
        using var release = new ManualResetEventSlim();
        // On the thread pool, with no synchronization context (xunit's would stop the inlining): the load completes there.
        var host = Task.Run(HostAsync);
        await store.Entered.Task.WaitAsync(TimeSpan.FromSeconds(20));
        using var stopping = new CancellationTokenSource();
        var shard = cache.GetAsync("cache-j", 1, stopping.Token).AsTask(); // the engine's stopping token, as a shard passes it
        try
        {
            store.Gate.SetResult();
            var compiled = await shard.WaitAsync(TimeSpan.FromSeconds(20));
            Assert.Equal(("cache-j", 1), (compiled!.Id, compiled.Version));
            Assert.False(host.IsCompleted);
        }
        finally
        {
            release.Set();
        }

        await host.WaitAsync(TimeSpan.FromSeconds(20));
        Assert.Equal(1, store.Loads);

        async Task HostAsync()
        {
            // As a host without a synchronization context (ASP.NET Core) resumes: inline, on the thread that completed the load.
            Assert.NotNull(await cache.GetAsync("cache-j", 1, CancellationToken.None).ConfigureAwait(false));
            release.Wait(TimeSpan.FromSeconds(60));
        }
    }

    [Fact]
    public async Task A_failed_load_is_not_cached()
    {
        var store = new GatedJourneyStore { FailNext = true };
        store.Gate.SetResult();
        await store.Inner.SaveAsync(Journey() with { Status = JourneyStatus.Active }, null);
        var cache = new CompiledJourneyCache(store, new InMemoryCustomerStore(), Microsoft.Extensions.Options.Options.Create(EngineOptions()), Microsoft.Extensions.Options.Options.Create(new WebhookOptions()));

        await Assert.ThrowsAsync<InvalidOperationException>(() => cache.GetAsync("cache-j", 1, CancellationToken.None).AsTask());
        Assert.NotNull(await cache.GetAsync("cache-j", 1, CancellationToken.None));
        Assert.Equal(2, store.Loads);
    }

    [Fact]
    public async Task A_version_the_store_does_not_have_is_read_again_once_it_is_saved()
    {
        // Another host may save it (a draft read here first, a deleted journey's id created again): a remembered
        // "missing" would hide it from this host for good.
        var store = new GatedJourneyStore();
        store.Gate.SetResult();
        var cache = NewCache(store);

        Assert.Null(await cache.GetAsync("cache-j", 1, CancellationToken.None));
        await store.Inner.SaveAsync(Journey() with { Status = JourneyStatus.Active }, null);

        var compiled = await cache.GetAsync("cache-j", 1, CancellationToken.None);
        Assert.NotNull(compiled);
        Assert.Equal(("cache-j", 1), (compiled.Id, compiled.Version));
    }

    [Fact]
    public async Task Forget_drops_every_version_of_that_journey_and_no_other()
    {
        var store = new GatedJourneyStore();
        store.Gate.SetResult();
        var v1 = await store.Inner.SaveAsync(Journey() with { Status = JourneyStatus.Active }, null);
        await store.Inner.SaveAsync(Journey() with { Version = 2, Status = JourneyStatus.Active }, v1.ETag);
        await store.Inner.SaveAsync(Journey() with { Id = "cache-other", Status = JourneyStatus.Active }, null);
        var cache = NewCache(store);
        var first = await cache.GetAsync("cache-j", 1, CancellationToken.None);
        var second = await cache.GetAsync("cache-j", 2, CancellationToken.None);
        var other = await cache.GetAsync("cache-other", 1, CancellationToken.None);
        var before = cache.Invalidations;

        cache.Forget("cache-j");

        Assert.Equal(before + 1, cache.Invalidations);
        Assert.Same(other, await cache.GetAsync("cache-other", 1, CancellationToken.None));
        var firstAgain = await cache.GetAsync("cache-j", 1, CancellationToken.None);
        var secondAgain = await cache.GetAsync("cache-j", 2, CancellationToken.None);
        Assert.NotNull(firstAgain);
        Assert.NotNull(secondAgain);
        Assert.NotSame(first, firstAgain);
        Assert.NotSame(second, secondAgain);
        Assert.Equal(5, store.Loads); // three loads, then the two forgotten versions again
    }

    private static CompiledJourneyCache NewCache(IJourneyStore store) =>
        new(store, new InMemoryCustomerStore(), Microsoft.Extensions.Options.Options.Create(EngineOptions()), Microsoft.Extensions.Options.Options.Create(new WebhookOptions()));

    private static JourneysOptions EngineOptions()
    {
        var options = new JourneysOptions();
        options.Campaigns.Add(new Campaign("cache-c", Channel.Push, "Hello"));
        return options;
    }

    private static JourneyDefinition Journey() => JourneyBuilder.Create("cache-j", "Cache").EnterOnEvent("go")
        .Steps(p => p.Send(Channel.Push, "cache-c", id: "push"))
        .Build();

    /// <summary>An in-memory journey store whose version reads wait for <see cref="Gate"/>, honouring their token.</summary>
    private sealed class GatedJourneyStore(InMemoryJourneyStore inner) : DelegatingJourneyStore(inner)
    {
        private int _loads;

        public GatedJourneyStore()
            : this(new InMemoryJourneyStore())
        {
        }

        public InMemoryJourneyStore Inner { get; } = inner;

        public TaskCompletionSource Gate { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public TaskCompletionSource Entered { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public bool FailNext { get; set; }

        public int Loads => Volatile.Read(ref _loads);

        public override async ValueTask<JourneyRecord?> GetVersionAsync(string journeyId, int version, CancellationToken cancellationToken = default)
        {
            Interlocked.Increment(ref _loads);
            Entered.TrySetResult();
            await Gate.Task.WaitAsync(cancellationToken);
            if (FailNext)
            {
                FailNext = false;
                throw new InvalidOperationException("The store failed to read the journey version.");
            }

            return await Inner.GetVersionAsync(journeyId, version, cancellationToken);
        }
    }
}
