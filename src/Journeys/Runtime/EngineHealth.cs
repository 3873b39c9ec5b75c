namespace Journeys.Runtime;

/// <summary>
/// What <see cref="IJourneyEngineMonitor"/> reports of an engine besides its counters: its state, the loop that failed,
/// and the store calls failing at every attempt, each since its first failed attempt and cleared by its next success
/// (so a claim that works does not hide a commit that keeps failing). Success costs one volatile read while nothing fails.
/// </summary>
internal sealed class EngineHealth(TimeProvider time)
{
    private readonly Lock _lock = new();
    private readonly Dictionary<string, (DateTimeOffset Since, string Error)> _failing = new(StringComparer.Ordinal);
    private volatile int _failingCount;
    private volatile int _state = (int)JourneyEngineState.NotStarted;
    private string? _fault;

    public JourneyEngineState State => (JourneyEngineState)_state;

    public string? Fault => Volatile.Read(ref _fault);

    public void Started()
    {
        lock (_lock)
        {
            if (_state != (int)JourneyEngineState.Faulted)
            {
                _state = (int)JourneyEngineState.Running;
            }
        }
    }

    public void Stopped()
    {
        lock (_lock)
        {
            _state = (int)JourneyEngineState.Stopped;
        }
    }

    /// <summary>Records that <paramref name="loop"/> ended with <paramref name="exception"/> while the engine runs (the first such loop is kept).</summary>
    public void Faulted(string loop, Exception exception) => Faulted(loop, TypeOf(exception));

    /// <summary>
    /// Watches a loop of the engine that runs until <paramref name="stoppingToken"/> is cancelled: if it ends before that,
    /// whether with an exception, cancelled by a token of its own or at all, it is <see cref="Faulted(string, Exception)"/>
    /// (a shard worker that ended leaves the work routed to it undone until the host restarts: a health check must see it).
    /// </summary>
    /// <returns><paramref name="loop"/>.</returns>
    public Task Watch(Task loop, string name, CancellationToken stoppingToken)
    {
        _ = loop.ContinueWith(
            (ended, _) =>
            {
                if (stoppingToken.IsCancellationRequested)
                {
                    return;
                }

                if (ended.Exception is { } exception)
                {
                    Faulted(name, exception.InnerException ?? exception);
                }
                else
                {
                    Faulted(name, ended.IsCanceled ? "cancelled while the engine runs" : "ended while the engine runs");
                }
            },
            null,
            CancellationToken.None,
            TaskContinuationOptions.ExecuteSynchronously,
            TaskScheduler.Default);
        return loop;
    }

    private void Faulted(string loop, string what)
    {
        lock (_lock)
        {
            if (_state == (int)JourneyEngineState.Stopped)
            {
                return;
            }

            _fault ??= $"{loop}: {what}";
            _state = (int)JourneyEngineState.Faulted;
        }
    }

    /// <summary>Records a failed attempt of the store call <paramref name="operation"/>.</summary>
    public void StoreFailed(string operation, Exception exception)
    {
        var now = time.GetUtcNow();
        lock (_lock)
        {
            var since = _failing.TryGetValue(operation, out var known) ? known.Since : now;
            _failing[operation] = (since, TypeOf(exception));
            _failingCount = _failing.Count;
        }
    }

    /// <summary>Records a successful attempt of the store call <paramref name="operation"/>.</summary>
    public void StoreSucceeded(string operation)
    {
        if (_failingCount == 0)
        {
            return;
        }

        lock (_lock)
        {
            if (_failing.Remove(operation))
            {
                _failingCount = _failing.Count;
            }
        }
    }

    /// <summary>The store call failing longest, if any: since when, and which with what.</summary>
    public (DateTimeOffset Since, string Failure)? OldestStoreFailure()
    {
        if (_failingCount == 0)
        {
            return null;
        }

        lock (_lock)
        {
            (DateTimeOffset Since, string Failure)? oldest = null;
            foreach (var (operation, failure) in _failing)
            {
                if (oldest is null || failure.Since < oldest.Value.Since)
                {
                    oldest = (failure.Since, $"{operation}: {failure.Error}");
                }
            }

            return oldest;
        }
    }

    // The type only: an exception's message may carry customer data (as in the logs above Debug level).
    private static string TypeOf(Exception exception) =>
        (exception is RedactedException redacted ? redacted.OriginalType : exception.GetType()).Name;
}
