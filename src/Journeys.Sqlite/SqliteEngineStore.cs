using Journeys.Model;
using Journeys.Storage;
using Microsoft.Data.Sqlite;

namespace Journeys.Sqlite;

/// <summary>
/// The engine's enrollments, customer event inboxes, outbox and statistics in SQLite, with the semantics of the
/// in-memory store (docs/storage.md). Every write is one transaction on the single writer connection; a commit of a
/// batch writes each applied enrollment once (one row), its outbox messages, the customer field updates and the summed
/// statistic deltas, all or nothing.
/// </summary>
/// <remarks>
/// Work queues live in two columns of the enrollment row, <c>sched_kind</c> and <c>sched_at</c>, under one partial
/// index: ready (arrival order), timer (wake time) or leased (lease expiry). Claims read the head of a queue through
/// that index; nothing scans all enrollments. A customer's enrollments and events are found through primary keys that
/// start with the customer id.
/// </remarks>
internal sealed partial class SqliteEngineStore : IEnrollmentStore, IOutboxStore, IStatisticsStore, IWithdrawalCounter
{
    // Ordinals 0..18 of every enrollment read.
    private const string EnrollmentColumns =
        "customer_id, id, journey_id, version, status, node_id, wake_at, awaited_event, visit, entered_at, updated_at, token, event_cursor, wake_events, node_entered_at, node_state, end_reason, messages_sent, clicks";

    private const int ReadyKind = 0;
    private const int TimerKind = 1;
    private const int LeasedKind = 2;

    private readonly SqliteDatabase _database;
    private long _withdrawingCommits;

    public SqliteEngineStore(SqliteDatabase database)
    {
        _database = database;
    }

    /// <inheritdoc />
    public long WithdrawingCommits => Volatile.Read(ref _withdrawingCommits);

    private static Enrollment ReadEnrollment(SqliteDataReader reader) => new(
        SqliteValues.Id(reader, 1),
        reader.GetString(2),
        reader.GetInt32(3),
        reader.GetString(0),
        SqliteValues.NullableText(reader, 5),
        (EnrollmentStatus)reader.GetInt32(4),
        SqliteValues.NullableTime(reader, 6),
        SqliteValues.NullableText(reader, 7),
        reader.GetInt32(8),
        SqliteValues.Time(reader.GetInt64(9)),
        SqliteValues.Time(reader.GetInt64(10)),
        reader.GetInt64(11))
    {
        EventCursor = reader.GetInt64(12),
        WakeEvents = SqliteValues.Names(reader, 13),
        NodeEnteredAt = SqliteValues.NullableTime(reader, 14),
        NodeState = reader.GetInt32(15),
        EndReason = SqliteValues.NullableText(reader, 16),
        MessagesSent = reader.GetInt32(17),
        Clicks = reader.GetInt32(18),
    };

    private static bool Contains(EquatableArray<string> names, string name)
    {
        foreach (var candidate in names)
        {
            if (string.Equals(candidate, name, StringComparison.Ordinal))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>True when the customer has a retained event after the cursor that the enrollment wakes on.</summary>
    private static bool HasPendingWakeEvent(SqliteSession session, string customerId, long cursor, EquatableArray<string> wakeEvents)
    {
        if (wakeEvents.IsEmpty)
        {
            return false;
        }

        var command = session.Command("SELECT name FROM events WHERE customer_id = $customer AND seq > $cursor");
        command.Parameters.AddWithValue("$customer", customerId);
        command.Parameters.AddWithValue("$cursor", cursor);
        using var reader = command.ExecuteReader();
        while (reader.Read())
        {
            if (Contains(wakeEvents, reader.GetString(0)))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>
    /// Where an unleased enrollment goes: the ready queue (active, or waiting with a pending wake event), the timers
    /// (waiting with a wake time), or nowhere (waiting only for events, or ended).
    /// </summary>
    private (long? Kind, long? At) Place(SqliteSession session, string customerId, EnrollmentStatus status, DateTimeOffset? wakeAt, long cursor, EquatableArray<string> wakeEvents)
    {
        if (status == EnrollmentStatus.Active
            || (status == EnrollmentStatus.Waiting && HasPendingWakeEvent(session, customerId, cursor, wakeEvents)))
        {
            return (ReadyKind, ++_database.ReadySequence);
        }

        return status == EnrollmentStatus.Waiting && wakeAt is { } at ? (TimerKind, at.UtcTicks) : (null, null);
    }

    /// <summary>
    /// The retained events after the lowest cursor of <paramref name="states"/>, and the retained events with a message id
    /// (for <see cref="WorkItem.EarlierFeedback"/>), by customer, oldest first: one statement for a claimed batch. Null
    /// when there are none.
    /// </summary>
    private static Dictionary<string, List<SequencedEvent>>? EventsAfter(SqliteSession session, List<Enrollment> states)
    {
        if (states.Count == 0)
        {
            return null;
        }

        var lowest = long.MaxValue;
        foreach (var state in states)
        {
            lowest = Math.Min(lowest, state.EventCursor);
        }

        var command = session.Command("SELECT customer_id, seq, name, time, message_id, properties, event_id FROM events WHERE customer_id IN (SELECT value FROM json_each($customers)) AND (seq > $cursor OR message_id IS NOT NULL) ORDER BY customer_id, seq");
        command.Parameters.AddWithValue("$customers", SqliteValues.JsonArray(states, static s => s.CustomerId));
        command.Parameters.AddWithValue("$cursor", lowest);
        using var reader = command.ExecuteReader();
        Dictionary<string, List<SequencedEvent>>? events = null;
        while (reader.Read())
        {
            var customerId = reader.GetString(0);
            var properties = reader.IsDBNull(5)
                ? System.Collections.Immutable.ImmutableDictionary<string, FieldValue>.Empty
                : SqliteValues.Fields(SqliteValues.Blob(reader, 5), StringComparer.OrdinalIgnoreCase);
            events ??= new Dictionary<string, List<SequencedEvent>>(StringComparer.Ordinal);
            if (!events.TryGetValue(customerId, out var inbox))
            {
                inbox = [];
                events.Add(customerId, inbox);
            }

            inbox.Add(new SequencedEvent(
                reader.GetInt64(1),
                new CustomerEvent(customerId, reader.GetString(2), properties, SqliteValues.Time(reader.GetInt64(3)), SqliteValues.NullableText(reader, 4))
                {
                    Id = SqliteValues.NullableText(reader, 6),
                }));
        }

        return events;
    }

    /// <summary>
    /// The events of <paramref name="inbox"/> (oldest first) at or before <paramref name="state"/>'s cursor that refer to
    /// one of its own messages (<see cref="WorkItem.EarlierFeedback"/>), or null when there are none.
    /// </summary>
    private static List<SequencedEvent>? EarlierFeedback(List<SequencedEvent> inbox, Enrollment state)
    {
        List<SequencedEvent>? earlier = null;
        for (var i = 0; i < inbox.Count && inbox[i].Sequence <= state.EventCursor; i++)
        {
            if (WorkItem.IsOwnMessage(inbox[i].Event.MessageId, state.Id))
            {
                (earlier ??= []).Add(inbox[i]);
            }
        }

        return earlier;
    }

    /// <summary>The events of <paramref name="inbox"/> (oldest first) with a sequence above <paramref name="cursor"/>.</summary>
    private static SequencedEvent[] After(List<SequencedEvent> inbox, long cursor)
    {
        var first = 0;
        while (first < inbox.Count && inbox[first].Sequence <= cursor)
        {
            first++;
        }

        return first == inbox.Count ? [] : [.. inbox.GetRange(first, inbox.Count - first)];
    }
}
