using System.Globalization;
using System.Runtime.CompilerServices;
using Journeys.Model;

namespace Journeys.Storage.InMemory;

/// <summary>
/// An <see cref="IJourneyStore"/> in process memory, for tests and benchmarks: same semantics as a durable store, no
/// durability. Every save gets a new opaque ETag (never reused by this instance). Creating needs a <see langword="null"/>
/// ETag and an id that does not exist; updating needs the latest version's ETag and a version that is the latest
/// (replaced) or the next one (added). <see cref="ListAsync"/> is ordered by id (ordinal) and reads a snapshot.
/// </summary>
internal sealed class InMemoryJourneyStore : IJourneyStore
{
    private readonly SortedDictionary<string, List<JourneyRecord>> _journeys = new(StringComparer.Ordinal);
    private readonly SortedDictionary<string, JourneyIntake> _intakes = new(StringComparer.Ordinal);
    private readonly TimeProvider _timeProvider;
    private readonly Lock _lock = new();
    private long _etagCounter;

    // The latest record of each journey as the last listing read them, until a write changes one (null then): every
    // published event, put and field-updating commit lists the journeys, and most find them as they were.
    private JourneyRecord[]? _snapshot;

    /// <summary>Creates an empty store.</summary>
    /// <param name="timeProvider">The clock that stamps <see cref="JourneyRecord.UpdatedAt"/>; <see langword="null"/> for the system clock.</param>
    public InMemoryJourneyStore(TimeProvider? timeProvider = null)
    {
        _timeProvider = timeProvider ?? TimeProvider.System;
    }

    /// <inheritdoc />
    public ValueTask<JourneyRecord> SaveAsync(JourneyDefinition journey, string? expectedETag, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(journey);
        ArgumentException.ThrowIfNullOrWhiteSpace(journey.Id, nameof(journey));
        cancellationToken.ThrowIfCancellationRequested();
        return ValueTask.FromResult(Save(journey, expectedETag, null));
    }

    /// <inheritdoc />
    /// <remarks>Under the store's lock, as one step.</remarks>
    public ValueTask<JourneyRecord> SaveWithIntakeAsync(JourneyDefinition journey, string? expectedETag, JourneyIntake intake, CancellationToken cancellationToken = default)
    {
        StoreArgumentChecks.IntakeOfJourney(journey, intake, nameof(intake));
        cancellationToken.ThrowIfCancellationRequested();
        return ValueTask.FromResult(Save(journey, expectedETag, intake));
    }

    /// <summary>Saves a journey version, and with it <paramref name="intake"/> when given (else the pending intake ends unless it is the version's, active).</summary>
    private JourneyRecord Save(JourneyDefinition journey, string? expectedETag, JourneyIntake? intake)
    {
        lock (_lock)
        {
            var exists = _journeys.TryGetValue(journey.Id, out var versions);
            if (expectedETag is null)
            {
                if (exists)
                {
                    var latest = versions![^1];
                    throw new JourneyConcurrencyException(
                        $"Journey '{journey.Id}' already exists (latest version {latest.Journey.Version}): to update it, pass the ETag read with it.");
                }

                var created = NewRecord(journey);
                _journeys.Add(journey.Id, [created]);
                _snapshot = null;

                // As every other save (and the durable stores' create): a stray intake pending under the id ends.
                SaveOrEndIntake(journey, intake);
                return created;
            }

            if (!exists)
            {
                throw new JourneyConcurrencyException($"Journey '{journey.Id}' does not exist (it was deleted or never created): save it with no ETag to create it.");
            }

            var current = versions![^1];
            if (!string.Equals(current.ETag, expectedETag, StringComparison.Ordinal))
            {
                throw new JourneyConcurrencyException(
                    $"Journey '{journey.Id}' changed since it was read: expected ETag '{expectedETag}', the latest version {current.Journey.Version} has ETag '{current.ETag}'.");
            }

            var record = NewRecord(journey);
            if (journey.Version == current.Journey.Version)
            {
                versions[^1] = record;
                _snapshot = null;
            }
            else if (journey.Version == current.Journey.Version + 1)
            {
                versions.Add(record);
                _snapshot = null;
            }
            else
            {
                throw new JourneyConcurrencyException(
                    $"Journey '{journey.Id}' version {journey.Version} can not be saved: it must be the latest version ({current.Journey.Version}) or the next ({current.Journey.Version + 1}).");
            }

            SaveOrEndIntake(journey, intake);
            return record;
        }
    }

    /// <summary>With the journey's save, under the lock: <paramref name="intake"/> replaces the pending one, or (none given) the pending one ends unless it is the saved version's, active.</summary>
    private void SaveOrEndIntake(JourneyDefinition journey, JourneyIntake? intake)
    {
        if (intake is not null)
        {
            _intakes[journey.Id] = intake;
        }
        else if (_intakes.TryGetValue(journey.Id, out var pending) && (journey.Status != JourneyStatus.Active || journey.Version != pending.Version))
        {
            // The pending intake is its activated version's: a stop, an archive or a new version (a draft) ends it.
            _intakes.Remove(journey.Id);
        }
    }

    /// <inheritdoc />
    public ValueTask<JourneyRecord?> GetAsync(string journeyId, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(journeyId);
        cancellationToken.ThrowIfCancellationRequested();
        lock (_lock)
        {
            return ValueTask.FromResult(_journeys.TryGetValue(journeyId, out var versions) ? versions[^1] : null);
        }
    }

    /// <inheritdoc />
    public ValueTask<JourneyRecord?> GetVersionAsync(string journeyId, int version, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(journeyId);
        cancellationToken.ThrowIfCancellationRequested();
        lock (_lock)
        {
            if (_journeys.TryGetValue(journeyId, out var versions))
            {
                foreach (var record in versions)
                {
                    if (record.Journey.Version == version)
                    {
                        return ValueTask.FromResult<JourneyRecord?>(record);
                    }
                }
            }

            return ValueTask.FromResult<JourneyRecord?>(null);
        }
    }

    /// <inheritdoc />
    public IAsyncEnumerable<JourneyRecord> ListAsync(CancellationToken cancellationToken = default) => Stream(cancellationToken);

    /// <inheritdoc />
    public ValueTask<bool> DeleteAsync(string journeyId, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(journeyId);
        cancellationToken.ThrowIfCancellationRequested();
        lock (_lock)
        {
            _intakes.Remove(journeyId);
            _snapshot = null;
            return ValueTask.FromResult(_journeys.Remove(journeyId));
        }
    }

    /// <inheritdoc />
    /// <remarks>Under the store's lock, as one step.</remarks>
    public ValueTask<IReadOnlyList<string>> EraseCustomerAsync(string customerId, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(customerId);
        cancellationToken.ThrowIfCancellationRequested();
        lock (_lock)
        {
            var changed = new List<string>();
            foreach (var (journeyId, versions) in _journeys)
            {
                for (var i = 0; i < versions.Count; i++)
                {
                    var without = versions[i].Journey.WithoutListedCustomer(customerId);
                    if (!ReferenceEquals(without, versions[i].Journey))
                    {
                        versions[i] = NewRecord(without);
                        _snapshot = null;
                        if (changed.Count == 0 || !string.Equals(changed[^1], journeyId, StringComparison.Ordinal))
                        {
                            changed.Add(journeyId);
                        }
                    }
                }
            }

            return ValueTask.FromResult<IReadOnlyList<string>>(changed);
        }
    }

    /// <inheritdoc />
    public ValueTask SaveIntakeAsync(JourneyIntake intake, CancellationToken cancellationToken = default)
    {
        StoreArgumentChecks.Intake(intake, nameof(intake));
        cancellationToken.ThrowIfCancellationRequested();
        lock (_lock)
        {
            _intakes[intake.JourneyId] = intake;
        }

        return ValueTask.CompletedTask;
    }

    /// <inheritdoc />
    public async IAsyncEnumerable<JourneyIntake> ListIntakesAsync([EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        JourneyIntake[] snapshot;
        lock (_lock)
        {
            snapshot = [.. _intakes.Values];
        }

        foreach (var intake in snapshot)
        {
            cancellationToken.ThrowIfCancellationRequested();
            yield return intake;
        }

        await Task.CompletedTask.ConfigureAwait(false);
    }

    /// <inheritdoc />
    public ValueTask<JourneyIntake?> ClaimIntakeAsync(string journeyId, Guid intakeId, string owner, DateTimeOffset now, TimeSpan lease, CancellationToken cancellationToken = default)
    {
        StoreArgumentChecks.IntakeClaim(journeyId, owner, lease);
        cancellationToken.ThrowIfCancellationRequested();
        lock (_lock)
        {
            if (!_intakes.TryGetValue(journeyId, out var intake)
                || intake.Id != intakeId
                || (intake.Owner is { } holder && !string.Equals(holder, owner, StringComparison.Ordinal) && intake.LeaseExpiresAt > now))
            {
                return ValueTask.FromResult<JourneyIntake?>(null);
            }

            _intakes[journeyId] = intake with { Owner = owner, LeaseExpiresAt = now + lease };
            return ValueTask.FromResult<JourneyIntake?>(intake);
        }
    }

    /// <inheritdoc />
    public ValueTask<bool> CompleteIntakeAsync(string journeyId, Guid intakeId, string owner, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(journeyId);
        ArgumentException.ThrowIfNullOrWhiteSpace(owner);
        cancellationToken.ThrowIfCancellationRequested();
        lock (_lock)
        {
            var held = _intakes.TryGetValue(journeyId, out var intake) && intake.Id == intakeId && string.Equals(intake.Owner, owner, StringComparison.Ordinal);
            return ValueTask.FromResult(held && _intakes.Remove(journeyId));
        }
    }

    /// <inheritdoc />
    public ValueTask<bool> ReleaseIntakeAsync(string journeyId, Guid intakeId, string owner, DateTimeOffset now, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(journeyId);
        ArgumentException.ThrowIfNullOrWhiteSpace(owner);
        cancellationToken.ThrowIfCancellationRequested();
        lock (_lock)
        {
            if (!_intakes.TryGetValue(journeyId, out var intake) || intake.Id != intakeId || !string.Equals(intake.Owner, owner, StringComparison.Ordinal))
            {
                return ValueTask.FromResult(false);
            }

            _intakes[journeyId] = intake with { LeaseExpiresAt = now };
            return ValueTask.FromResult(true);
        }
    }

    // The snapshot is taken when enumeration starts, so each enumeration sees the store as it was then.
    private async IAsyncEnumerable<JourneyRecord> Stream([EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var snapshot = Snapshot();
        foreach (var record in snapshot)
        {
            cancellationToken.ThrowIfCancellationRequested();
            yield return record;
        }

        await Task.CompletedTask.ConfigureAwait(false);
    }

    private JourneyRecord[] Snapshot()
    {
        lock (_lock)
        {
            if (_snapshot is { } listed)
            {
                return listed;
            }

            var snapshot = new JourneyRecord[_journeys.Count];
            var i = 0;
            foreach (var versions in _journeys.Values)
            {
                snapshot[i++] = versions[^1];
            }

            _snapshot = snapshot;
            return snapshot;
        }
    }

    private JourneyRecord NewRecord(JourneyDefinition journey)
    {
        var etag = (++_etagCounter).ToString("x", CultureInfo.InvariantCulture);
        return new JourneyRecord(journey, etag, _timeProvider.GetUtcNow());
    }
}
