using System.Collections.Concurrent;
using Journeys.Messaging;
using Journeys.Model;
using Journeys.Storage;
using Journeys.Validation;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace Journeys.Runtime;

/// <summary>
/// Compiled journey versions by (id, version): compiled once, on first use, against the current schema and
/// campaigns. A version's definition never changes once active, so entries stay valid until the schema changes or the
/// journey is saved as a draft or deleted (a deleted id created again starts at version 1 anew): those forget the
/// entries here (<see cref="Clear"/>, <see cref="Forget"/>), and a store shared by several hosts tells the others
/// through <see cref="IJourneyEngineSignal"/>.
/// </summary>
internal sealed partial class CompiledJourneyCache
{
    private readonly ConcurrentDictionary<(string Id, int Version), Task<CompiledJourney?>> _cache = new();
    private readonly IJourneyStore _journeys;
    private readonly ICustomerStore _customers;
    private readonly CampaignCatalog _campaigns;
    private readonly ILogger _logger;

    /// <summary>The journeys whose active version was found not to compile (logged once each, until it compiles again or the cache is cleared).</summary>
    private readonly ConcurrentDictionary<string, byte> _uncompilable = new(StringComparer.Ordinal);

    // How many journeys _uncompilable holds, read before looking there: the dictionary's IsEmpty (and Count) takes
    // every one of its locks when it is empty, which it nearly always is, and entries for all journeys at once look
    // once per stored journey (with 1,000 journeys stored, that was most of a published event's time).
    private int _uncompilableCount;
    private long _invalidations;

    public CompiledJourneyCache(IJourneyStore journeys, ICustomerStore customers, IOptions<JourneysOptions> options, IOptions<WebhookOptions> webhooks, ILogger<CompiledJourneyCache>? logger = null)
    {
        _journeys = journeys;
        _customers = customers;
        _logger = logger ?? (ILogger)NullLogger.Instance;
        _campaigns = CampaignCatalog.Create(options.Value.Campaigns);
        ValidationOptions = webhooks.Value.ToValidationOptions();
    }

    public CampaignCatalog Campaigns => _campaigns;

    /// <summary>The host settings validation honours (the http webhook hosts of <see cref="WebhookOptions"/>).</summary>
    public JourneyValidationOptions ValidationOptions { get; }

    /// <summary>The compiled version, or <see langword="null"/> when the store does not have it.</summary>
    public ValueTask<CompiledJourney?> GetAsync(string journeyId, int version, CancellationToken cancellationToken)
    {
        // The hit (every enrollment of a batch) looks up without allocating the loader's closure.
        if (!_cache.TryGetValue((journeyId, version), out var task))
        {
            // The load is shared by every caller of the version (engine, manager, HTTP requests): it runs under no
            // caller's token, so one caller giving up (an aborted request) does not fail the others' wait; each caller
            // stops waiting on its own token.
            // The load starts only once its task is in the cache (a factory given to GetOrAdd may run for two racing
            // callers, and each run would read the store): the caller whose task was stored starts it.
            var shared = new TaskCompletionSource<CompiledJourney?>(TaskCreationOptions.RunContinuationsAsynchronously);
            task = _cache.GetOrAdd((journeyId, version), shared.Task);
            if (ReferenceEquals(task, shared.Task))
            {
                _ = CompleteAsync(shared, LoadAsync(journeyId, version));
            }
        }

        if (task.IsCompletedSuccessfully)
        {
            return new(task.Result ?? Missing(task, journeyId, version));
        }

        return AwaitAsync(task, journeyId, version, cancellationToken);
    }

    // A version the store does not have is not remembered as missing: it may be created (a deleted journey's id taken
    // again, a draft saved by another host) and must then be read.
    private CompiledJourney? Missing(Task<CompiledJourney?> task, string journeyId, int version)
    {
        _cache.TryRemove(new KeyValuePair<(string, int), Task<CompiledJourney?>>((journeyId, version), task));
        return null;
    }

    /// <summary>
    /// The definition of a version, or <see langword="null"/> when the store does not have it: the compiled version's,
    /// else, when the version no longer compiles (a field it reads was removed since: a stopped journey's, an older
    /// version's), the stored one. For what needs only the definition (the dispatcher's quiet-hours zone and webhook
    /// node), which must not fail, with every message of its batch, for a version that cannot run any more.
    /// </summary>
    public async ValueTask<JourneyDefinition?> GetDefinitionAsync(string journeyId, int version, CancellationToken cancellationToken)
    {
        try
        {
            return (await GetAsync(journeyId, version, cancellationToken).ConfigureAwait(false))?.Definition;
        }
        catch (JourneyValidationException)
        {
            return (await _journeys.GetVersionAsync(journeyId, version, cancellationToken).ConfigureAwait(false))?.Journey;
        }
    }

    /// <summary>
    /// The newest active version of a journey, compiled, or <see langword="null"/> when none is active: the latest
    /// record may be a draft of the next version, so the versions below it are looked at newest first, down to a
    /// stopped or archived one (after which no older version can be active).
    /// </summary>
    public async ValueTask<CompiledJourney?> FindActiveAsync(JourneyRecord latest, CancellationToken cancellationToken)
    {
        for (var version = latest.Journey.Version; version >= 1; version--)
        {
            var record = version == latest.Journey.Version ? latest : await _journeys.GetVersionAsync(latest.Journey.Id, version, cancellationToken).ConfigureAwait(false);
            if (record?.Journey.Status == JourneyStatus.Active)
            {
                return await GetAsync(record.Journey.Id, version, cancellationToken).ConfigureAwait(false);
            }

            if (record?.Journey.Status is JourneyStatus.Stopped or JourneyStatus.Archived)
            {
                return null;
            }
        }

        return null;
    }

    /// <summary>
    /// <see cref="FindActiveAsync"/> for entries made on behalf of every journey at once (published events, puts, filter
    /// re-checks, an audience scan): an active version that does not compile on this host (a campaign it sends, or a
    /// webhook host it calls, was taken out of the configuration before a restart) is skipped, with an error logged
    /// once, rather than failing the call for every other journey. Calls about that journey alone (its enrollment,
    /// validation) still throw its <see cref="JourneyValidationException"/>, and its enrollments fail when they run.
    /// </summary>
    public ValueTask<CompiledJourney?> FindActiveForEntriesAsync(JourneyRecord latest, CancellationToken cancellationToken)
    {
        if (!CannotHaveActiveVersion(latest.Journey))
        {
            return FindActiveForEntriesCoreAsync(latest, cancellationToken);
        }

        // As when FindActiveAsync finds none: a journey once logged as not compiling is logged again if it runs again.
        Compiles(latest.Journey.Id);
        return default;
    }

    /// <summary>
    /// Whether the latest record alone shows that no version is active (as <see cref="FindActiveAsync"/> would find): a
    /// stopped or archived latest version, or a first version not activated. Every entry made for all journeys at once
    /// looks at every stored journey (drafts, stopped ones, finished sendings' are most of them): these need no await.
    /// </summary>
    private static bool CannotHaveActiveVersion(JourneyDefinition latest) =>
        latest.Status is JourneyStatus.Stopped or JourneyStatus.Archived
        || (latest.Version <= 1 && latest.Status != JourneyStatus.Active);

    private async ValueTask<CompiledJourney?> FindActiveForEntriesCoreAsync(JourneyRecord latest, CancellationToken cancellationToken)
    {
        try
        {
            var journey = await FindActiveAsync(latest, cancellationToken).ConfigureAwait(false);
            Compiles(latest.Journey.Id);
            return journey;
        }
        catch (JourneyValidationException ex)
        {
            // Counted before it is added (and uncounted if it was there): the count is never below the entries, so
            // Compiles never skips one.
            Interlocked.Increment(ref _uncompilableCount);
            if (_uncompilable.TryAdd(latest.Journey.Id, 0))
            {
                LogUncompilable(_logger, latest.Journey.Id, ex.Message);
            }
            else
            {
                Interlocked.Decrement(ref _uncompilableCount);
            }

            return null;
        }
    }

    /// <summary>Takes a journey off the list of those found not to compile (its next failure is logged again).</summary>
    private void Compiles(string journeyId)
    {
        if (Volatile.Read(ref _uncompilableCount) > 0 && _uncompilable.TryRemove(journeyId, out _))
        {
            Interlocked.Decrement(ref _uncompilableCount);
        }
    }

    /// <summary>Compiles a definition now (activation), caching it.</summary>
    public async ValueTask<CompiledJourney> CompileAsync(JourneyDefinition journey, CancellationToken cancellationToken)
    {
        var schema = await _customers.GetSchemaAsync(cancellationToken).ConfigureAwait(false);
        var compiled = JourneyCompiler.Compile(journey, schema, _campaigns, ValidationOptions);
        _cache[(journey.Id, journey.Version)] = Task.FromResult<CompiledJourney?>(compiled);
        return compiled;
    }

    /// <summary>Forgets every compiled version (the schema changed).</summary>
    public void Clear()
    {
        _cache.Clear();
        foreach (var journeyId in _uncompilable.Keys)
        {
            Compiles(journeyId);
        }

        Interlocked.Increment(ref _invalidations);
    }

    /// <summary>
    /// Forgets every compiled version of one journey (a draft of it was saved, or it was deleted: a version number may
    /// then stand for another definition). The active versions are compiled again from the store on their next use.
    /// </summary>
    public void Forget(string journeyId)
    {
        Compiles(journeyId);
        foreach (var key in _cache.Keys)
        {
            if (string.Equals(key.Id, journeyId, StringComparison.Ordinal))
            {
                _cache.TryRemove(key, out _);
            }
        }

        Interlocked.Increment(ref _invalidations);
    }

    /// <summary>How many times entries were forgotten (<see cref="Clear"/> or <see cref="Forget"/>; tests wait on it).</summary>
    public long Invalidations => Interlocked.Read(ref _invalidations);

    private async ValueTask<CompiledJourney?> AwaitAsync(Task<CompiledJourney?> task, string journeyId, int version, CancellationToken cancellationToken)
    {
        try
        {
            return await task.WaitAsync(cancellationToken).ConfigureAwait(false) ?? Missing(task, journeyId, version);
        }
        catch when (task.IsFaulted || task.IsCanceled)
        {
            // A failed load is not cached: the next call tries again.
            _cache.TryRemove(new KeyValuePair<(string, int), Task<CompiledJourney?>>((journeyId, version), task));
            throw;
        }
    }

    /// <summary>
    /// Completes the shared load of a version. Its waiters resume on the thread pool, each on its own
    /// (<see cref="TaskCreationOptions.RunContinuationsAsynchronously"/>). Completed as <see cref="LoadAsync"/>'s own task,
    /// the load ran its waiters' continuations in turn on the thread that completed it (those waiting with a cancellable
    /// token, as the engine's shards do, always inline): a caller ahead of a shard whose continuation did not return at
    /// once (a host's code after <see cref="IJourneyManager.PublishAsync"/> that waits synchronously; an entry that read
    /// the journey just after a change notification made it load again) held that shard, and every enrollment of its
    /// batch, until it did.
    /// </summary>
    private static async Task CompleteAsync(TaskCompletionSource<CompiledJourney?> shared, Task<CompiledJourney?> load)
    {
        try
        {
            shared.SetResult(await load.ConfigureAwait(false));
        }
        catch (Exception ex)
        {
            // Handed to every waiter (AwaitAsync then forgets the failed load).
            shared.SetException(ex);
        }
    }

    private async Task<CompiledJourney?> LoadAsync(string journeyId, int version)
    {
        var record = await _journeys.GetVersionAsync(journeyId, version, CancellationToken.None).ConfigureAwait(false);
        if (record is null)
        {
            return null;
        }

        var schema = await _customers.GetSchemaAsync(CancellationToken.None).ConfigureAwait(false);
        return JourneyCompiler.Compile(record.Journey, schema, _campaigns, ValidationOptions);
    }

    [LoggerMessage(31, LogLevel.Error, "Journey {JourneyId}: its active version does not compile on this host, so customers do not enter it here (its enrollments fail when they run): {Reason} Restore what it uses (a campaign, a webhook host) in this host's configuration, or stop the journey.")]
    private static partial void LogUncompilable(ILogger logger, string journeyId, string reason);
}
