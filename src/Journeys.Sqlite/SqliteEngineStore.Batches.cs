using System.Buffers;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using Journeys.Storage;
using Microsoft.Data.Sqlite;

namespace Journeys.Sqlite;

/// <content>
/// Batch-wide statements: the rows of a whole batch go to SQLite as one JSON array parameter, read back with
/// <c>json_each</c>, so a batch of 256 checkpoints is a handful of statement executions instead of a thousand (each
/// execution binds its parameters by name and crosses into SQLite; that, not the B-tree work, was most of the cost).
/// </content>
internal sealed partial class SqliteEngineStore
{
    /// <summary>
    /// Applies every checkpoint whose stored row has the expected token, the owner's lease and the same journey and
    /// version, with one <c>UPDATE ... FROM json_each</c> (every column of the state but <c>clicks</c>, which belongs to
    /// <see cref="AddClicksAsync"/>), then their outbox messages with one insert. Returns false,
    /// having written nothing, when the batch names an enrollment twice (the later checkpoints' fate depends on the
    /// earlier ones: the caller applies them one by one).
    /// </summary>
    private bool TryApplyBatch(SqliteSession session, string owner, IReadOnlyList<EnrollmentCheckpoint> checkpoints, bool[] applied)
    {
        var ids = new HashSet<Guid>(checkpoints.Count);
        foreach (var checkpoint in checkpoints)
        {
            if (!ids.Add(checkpoint.State.Id))
            {
                return false;
            }
        }

        using var rows = new JsonRows(checkpoints.Count * 256);
        foreach (var checkpoint in checkpoints)
        {
            var state = checkpoint.State;
            var (kind, at) = Place(session, state.CustomerId, state.Status, state.WakeAt, state.EventCursor, state.WakeEvents);
            var w = rows.StartRow();
            w.WriteStringValue(state.CustomerId);
            w.WriteStringValue(Convert.ToHexString(SqliteValues.Id(state.Id)));
            w.WriteNumberValue(checkpoint.ExpectedToken);
            w.WriteStringValue(state.JourneyId);
            w.WriteNumberValue((int)state.Status);
            JsonRows.Write(w, state.CurrentNodeId);
            JsonRows.Write(w, state.WakeAt);
            JsonRows.Write(w, state.AwaitedEvent);
            w.WriteNumberValue(state.Visit);
            w.WriteNumberValue(state.EnteredAt.UtcTicks);
            w.WriteNumberValue(state.UpdatedAt.UtcTicks);
            w.WriteNumberValue(checkpoint.ExpectedToken + 1);
            w.WriteNumberValue(state.EventCursor);
            JsonRows.Write(w, SqliteValues.Names(state.WakeEvents) as string);
            JsonRows.Write(w, state.NodeEnteredAt);
            w.WriteNumberValue(state.NodeState);
            JsonRows.Write(w, state.EndReason);
            w.WriteNumberValue(state.MessagesSent);
            JsonRows.Write(w, kind is int k ? k : null);
            JsonRows.Write(w, at is long a ? a : null);
            w.WriteNumberValue(state.Version);
            rows.EndRow();
        }

        var update = session.Command("""
            UPDATE enrollments SET status = r.value ->> 4, node_id = r.value ->> 5, wake_at = r.value ->> 6, awaited_event = r.value ->> 7,
                visit = r.value ->> 8, entered_at = r.value ->> 9, updated_at = r.value ->> 10, token = r.value ->> 11,
                event_cursor = r.value ->> 12, wake_events = r.value ->> 13, node_entered_at = r.value ->> 14, node_state = r.value ->> 15,
                end_reason = r.value ->> 16, messages_sent = r.value ->> 17,
                lease_owner = NULL, sched_kind = r.value ->> 18, sched_at = r.value ->> 19
            FROM json_each($rows) AS r
            WHERE enrollments.customer_id = r.value ->> 0 AND enrollments.id = unhex(r.value ->> 1) AND enrollments.token = r.value ->> 2
                AND enrollments.lease_owner = $owner AND enrollments.journey_id = r.value ->> 3 AND enrollments.version = r.value ->> 20
            RETURNING id
            """);
        update.Parameters.AddWithValue("$rows", rows.ToJson());
        update.Parameters.AddWithValue("$owner", owner);
        var updated = new HashSet<Guid>(checkpoints.Count);
        try
        {
            using var reader = update.ExecuteReader();
            while (reader.Read())
            {
                updated.Add(SqliteValues.Id(reader, 0));
            }
        }
        catch (SqliteException ex) when (ex.SqliteExtendedErrorCode is 1555 or 2067)
        {
            // The statement was undone; one by one, the failing checkpoint is found and named.
            for (var i = 0; i < checkpoints.Count; i++)
            {
                TryApply(session, owner, checkpoints[i], i);
            }

            throw;
        }

        List<(OutboxMessage Message, int Index)>? outbox = null;
        for (var i = 0; i < checkpoints.Count; i++)
        {
            var checkpoint = checkpoints[i];
            if (updated.Contains(checkpoint.State.Id))
            {
                applied[i] = true;
                foreach (var message in checkpoint.Outbox)
                {
                    (outbox ??= []).Add((message, i));
                }
            }
            else
            {
                Refused(session, owner, checkpoint, SqliteValues.Id(checkpoint.State.Id), i);
            }
        }

        if (outbox is not null)
        {
            AddOutbox(session, outbox);
        }

        return true;
    }

    /// <summary>The outbox messages of applied checkpoints, with one insert; a message id already pending, or repeated, is named with its checkpoint.</summary>
    private void AddOutbox(SqliteSession session, List<(OutboxMessage Message, int Index)> outbox)
    {
        var seen = new HashSet<(string, string)>(outbox.Count);
        using var rows = new JsonRows(outbox.Count * 256);
        foreach (var (entry, index) in outbox)
        {
            var message = entry.Message;
            if (!seen.Add((message.CustomerId, message.MessageId)))
            {
                throw new ArgumentException($"Checkpoint at index {index} adds outbox message '{message.MessageId}', which is already pending; nothing was written.");
            }

            var w = rows.StartRow();
            w.WriteStringValue(message.CustomerId);
            w.WriteStringValue(message.MessageId);
            w.WriteStringValue(message.IdempotencyKey);
            w.WriteStringValue(message.Channel.Name);
            w.WriteStringValue(message.CampaignId);
            w.WriteStringValue(message.Body);
            JsonRows.Write(w, message.JourneyId);
            w.WriteNumberValue(message.JourneyVersion);
            JsonRows.Write(w, message.NodeId);
            JsonRows.Write(w, entry.EnrollmentId is { } id ? Convert.ToHexString(SqliteValues.Id(id)) : null);
            w.WriteNumberValue(entry.DueAt.UtcTicks);
            w.WriteNumberValue(entry.Attempts);
            w.WriteNumberValue(++_database.OutboxSequence);
            rows.EndRow();
        }

        var insert = session.Command($"""
            INSERT INTO outbox ({OutboxColumns}, lease_owner, sched_kind, sched_at, seq)
            SELECT value ->> 0, value ->> 1, value ->> 2, value ->> 3, value ->> 4, value ->> 5, value ->> 6, value ->> 7, value ->> 8,
                unhex(value ->> 9), value ->> 10, value ->> 11, NULL, 0, value ->> 10, value ->> 12
            FROM json_each($rows)
            """);
        insert.Parameters.AddWithValue("$rows", rows.ToJson());
        try
        {
            insert.ExecuteNonQuery();
        }
        catch (SqliteException ex) when (ex.SqliteExtendedErrorCode is 1555 or 2067)
        {
            foreach (var (entry, index) in outbox)
            {
                var pending = session.Command("SELECT 1 FROM outbox WHERE customer_id = $customer AND message_id = $message");
                pending.Parameters.AddWithValue("$customer", entry.Message.CustomerId);
                pending.Parameters.AddWithValue("$message", entry.Message.MessageId);
                if (pending.ExecuteScalar() is not null)
                {
                    throw new ArgumentException($"Checkpoint at index {index} adds outbox message '{entry.Message.MessageId}', which is already pending; nothing was written.", ex);
                }
            }

            throw;
        }
    }

    /// <summary>A JSON array of row arrays, written without reflection.</summary>
    internal sealed class JsonRows : IDisposable
    {
        private readonly ArrayBufferWriter<byte> _buffer;
        private readonly Utf8JsonWriter _writer;

        public JsonRows(int capacity)
        {
            _buffer = new ArrayBufferWriter<byte>(Math.Max(256, capacity));
            // Text goes to SQLite as is (SQLite decodes escapes too, but raw UTF-8 leaves nothing to interpret).
            _writer = new Utf8JsonWriter(_buffer, new JsonWriterOptions { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping });
            _writer.WriteStartArray();
        }

        public Utf8JsonWriter StartRow()
        {
            _writer.WriteStartArray();
            return _writer;
        }

        public void EndRow() => _writer.WriteEndArray();

        public string ToJson()
        {
            _writer.WriteEndArray();
            _writer.Flush();
            return Encoding.UTF8.GetString(_buffer.WrittenSpan);
        }

        public void Dispose() => _writer.Dispose();

        public static void Write(Utf8JsonWriter writer, string? value)
        {
            if (value is null)
            {
                writer.WriteNullValue();
            }
            else
            {
                writer.WriteStringValue(value);
            }
        }

        public static void Write(Utf8JsonWriter writer, long? value)
        {
            if (value is { } v)
            {
                writer.WriteNumberValue(v);
            }
            else
            {
                writer.WriteNullValue();
            }
        }

        public static void Write(Utf8JsonWriter writer, DateTimeOffset? value) => Write(writer, value?.UtcTicks);
    }
}
