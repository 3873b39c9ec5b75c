using System.Text.Json;
using Journeys.Model;
using Journeys.Storage;
using Npgsql;
using NpgsqlTypes;

namespace Journeys.PostgreSql;

/// <summary>
/// The engine's enrollments, customer events, outbox and statistics in PostgreSQL (see <c>docs/storage.md</c>). Several
/// hosts may share one database: claims take rows with <c>FOR UPDATE SKIP LOCKED</c> and stamp a lease (owner,
/// expiry); a commit is one conditional update per batch (<c>token = expected AND lease_owner = owner</c>), so a stale
/// owner's checkpoint is refused and a step is never applied twice. Every call is one transaction of a few
/// statements over arrays (<c>unnest</c>), never one round trip per enrollment.
/// </summary>
/// <remarks>
/// Readiness is kept in columns so claims use indexes: <c>ready_seq</c> is the enrollment's place in the ready queue
/// (active ones, and waiting ones a pending event woke), taken from a sequence when it becomes ready; due timers are
/// found through a partial index on <c>wake_at</c> of waiting rows. No index holds the lease columns (schema version 4):
/// a claim keeps the row's place in its queue until the commit, so it changes no indexed column and is a HOT update;
/// claims skip leased rows in the queues and take those whose lease expired where they stand.
/// </remarks>
internal sealed partial class PostgreSqlEngineStore(PostgreSqlDatabase database) : IEnrollmentStore, IOutboxStore, IStatisticsStore, IWithdrawalCounter
{
    private const string EnrollmentColumns =
        "enrollment_id, journey_id, version, customer_id, current_node, status, wake_at, awaited_event, visit, entered_at, updated_at, token, wake_events, event_cursor, node_entered_at, node_state, end_reason, messages_sent, clicks";

    private long _withdrawingCommits;

    /// <inheritdoc />
    /// <remarks>This instance's commits only: another host's arrive as the NOTIFY 'withdrawn' its commit sends.</remarks>
    public long WithdrawingCommits => Volatile.Read(ref _withdrawingCommits);

    private static Enrollment ReadEnrollment(NpgsqlDataReader reader, int offset = 0) =>
        new(
            reader.GetGuid(offset),
            reader.GetString(offset + 1),
            reader.GetInt32(offset + 2),
            reader.GetString(offset + 3),
            reader.IsDBNull(offset + 4) ? null : reader.GetString(offset + 4),
            (EnrollmentStatus)reader.GetInt16(offset + 5),
            reader.IsDBNull(offset + 6) ? null : reader.GetFieldValue<DateTimeOffset>(offset + 6),
            reader.IsDBNull(offset + 7) ? null : reader.GetString(offset + 7),
            reader.GetInt32(offset + 8),
            reader.GetFieldValue<DateTimeOffset>(offset + 9),
            reader.GetFieldValue<DateTimeOffset>(offset + 10),
            reader.GetInt64(offset + 11))
        {
            WakeEvents = reader.GetFieldValue<string[]>(offset + 12),
            EventCursor = reader.GetInt64(offset + 13),
            NodeEnteredAt = reader.IsDBNull(offset + 14) ? null : reader.GetFieldValue<DateTimeOffset>(offset + 14),
            NodeState = reader.GetInt32(offset + 15),
            EndReason = reader.IsDBNull(offset + 16) ? null : reader.GetString(offset + 16),
            MessagesSent = reader.GetInt32(offset + 17),
            Clicks = reader.GetInt32(offset + 18),
        };

    private static DateTimeOffset Utc(DateTimeOffset value) => value.ToUniversalTime();

    private static DateTimeOffset? Utc(DateTimeOffset? value) => value?.ToUniversalTime();

    private static NpgsqlParameter<T> Parameter<T>(T value) => new() { TypedValue = value };

    // Arrays whose elements may be null need the type spelled out.
    private static NpgsqlParameter NullableArray<T>(T[] values, NpgsqlDbType elementType) => new() { Value = values, NpgsqlDbType = NpgsqlDbType.Array | elementType };

    private static string JsonArray(EquatableArray<string> values) => JsonSerializer.Serialize(values.AsImmutableArray().ToArray(), PostgreSqlJsonContext.Default.StringArray);

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
}
