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
    /// Watches a loop of the engine that runs until <paramref name="runToken"/> is cancelled: if it ends before that,
    /// whether with an exception, cancelled by a token of its own or at all, it is <see cref="Faulted(string, Exception)"/>.
    /// </summary>
    /// <returns>
    /// Once the loop ended and its end is recorded (never faulted): <see langword="null"/> when it ended with the run,
    /// else what ended it (its exception, or a <see langword="null"/> exception when it returned while the run went on;
    /// an exception other than a cancellation also when the run was ending, which is no fault but is logged).
    /// </returns>
    public async Task<LoopFault?> Watch(Task loop, string name, CancellationToken runToken)
    {
        try
        {
            await loop.ConfigureAwait(false);
        }
        catch (Exception ex) when (!runToken.IsCancellationRequested)
        {
            if (ex is OperationCanceledException)
            {
                Faulted(name, "cancelled while the engine runs");
            }
            else
            {
                Faulted(name, ex);
            }

            return new LoopFault(name, ex);
        }
        catch (OperationCanceledException) when (runToken.IsCancellationRequested)
        {
            // Ended by the run's end (the stop, or another loop's fault): the run's own end says what happened.
            return null;
        }
        catch (Exception ex)
        {
            // Failed once the run was ending: no fault of the running engine, but a failure to log.
            return new LoopFault(name, ex);
        }

        if (runToken.IsCancellationRequested)
        {
            return null;
        }

        Faulted(name, "ended while the engine runs");
        return new LoopFault(name, null);
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

/// <summary>A loop of the engine that ended while the engine ran: its name and the exception it ended with, if any.</summary>
internal sealed record LoopFault(string Loop, Exception? Exception);
