namespace Journeys.Sqlite;

/// <summary>
/// The store's schema, one migration per version. A migration only adds (tables, columns, indexes); nothing is ever
/// dropped. The applied versions are rows of <c>journeys_schema_version</c>; a database whose highest version is above
/// <see cref="CurrentVersion"/> was written by a newer library and is refused.
/// </summary>
internal static class SqliteSchema
{
    /// <summary>The schema version this library creates and reads.</summary>
    public const int CurrentVersion = 10;

    public const string VersionTable = """
        CREATE TABLE IF NOT EXISTS journeys_schema_version (
            version INTEGER PRIMARY KEY,
            applied_at INTEGER NOT NULL,
            library TEXT NOT NULL);
        """;

    /// <summary>The migration to each version, index 0 → version 1.</summary>
    public static readonly string[] Migrations =
    [
        // Version 1. Every per-customer table starts its primary key with customer_id, so the data can be split by
        // customer. Times are UTC ticks. sched_kind/sched_at say where a row is in the work queues (null: nowhere):
        // enrollments 0 = ready (sched_at: arrival order), 1 = timer (wake time), 2 = leased (lease expiry);
        // outbox 0 = pending (due time), 1 = leased (lease expiry). One small index serves every queue.
        """
        CREATE TABLE journeys_meta (
            key TEXT PRIMARY KEY,
            value INTEGER,
            text TEXT) WITHOUT ROWID;

        CREATE TABLE journey_versions (
            journey_id TEXT NOT NULL,
            version INTEGER NOT NULL,
            document BLOB NOT NULL,
            etag TEXT NOT NULL,
            updated_at INTEGER NOT NULL,
            PRIMARY KEY (journey_id, version)) WITHOUT ROWID;

        CREATE TABLE journey_entries (
            journey_id TEXT PRIMARY KEY,
            created INTEGER NOT NULL) WITHOUT ROWID;

        CREATE TABLE customers (
            customer_id TEXT PRIMARY KEY,
            time_zone TEXT,
            fields BLOB NOT NULL) WITHOUT ROWID;

        CREATE TABLE enrollments (
            customer_id TEXT NOT NULL,
            id BLOB NOT NULL,
            journey_id TEXT NOT NULL,
            version INTEGER NOT NULL,
            status INTEGER NOT NULL,
            node_id TEXT,
            wake_at INTEGER,
            awaited_event TEXT,
            visit INTEGER NOT NULL,
            entered_at INTEGER NOT NULL,
            updated_at INTEGER NOT NULL,
            token INTEGER NOT NULL,
            event_cursor INTEGER NOT NULL,
            wake_events TEXT,
            node_entered_at INTEGER,
            node_state INTEGER NOT NULL,
            end_reason TEXT,
            lease_owner TEXT,
            sched_kind INTEGER,
            sched_at INTEGER,
            created_seq INTEGER NOT NULL,
            messages_sent INTEGER NOT NULL DEFAULT 0,
            clicks INTEGER NOT NULL DEFAULT 0,
            PRIMARY KEY (customer_id, id)) WITHOUT ROWID;

        CREATE INDEX ix_enrollments_schedule ON enrollments (sched_kind, sched_at) WHERE sched_kind IS NOT NULL;
        CREATE UNIQUE INDEX ux_enrollments_live ON enrollments (journey_id, customer_id) WHERE status < 2;
        CREATE INDEX ix_enrollments_id ON enrollments (id);

        CREATE TABLE events (
            customer_id TEXT NOT NULL,
            seq INTEGER NOT NULL,
            name TEXT NOT NULL,
            time INTEGER NOT NULL,
            message_id TEXT,
            properties BLOB,
            PRIMARY KEY (customer_id, seq)) WITHOUT ROWID;

        CREATE TABLE outbox (
            customer_id TEXT NOT NULL,
            message_id TEXT NOT NULL,
            idempotency_key TEXT NOT NULL,
            channel TEXT NOT NULL,
            campaign_id TEXT NOT NULL,
            body TEXT NOT NULL,
            journey_id TEXT,
            journey_version INTEGER NOT NULL,
            node_id TEXT,
            enrollment_id BLOB,
            due_at INTEGER NOT NULL,
            attempts INTEGER NOT NULL,
            lease_owner TEXT,
            sched_kind INTEGER NOT NULL,
            sched_at INTEGER NOT NULL,
            seq INTEGER NOT NULL,
            PRIMARY KEY (customer_id, message_id)) WITHOUT ROWID;

        CREATE INDEX ix_outbox_schedule ON outbox (sched_kind, sched_at, seq);

        CREATE TABLE statistics (
            journey_id TEXT NOT NULL,
            version INTEGER NOT NULL,
            node_id TEXT NOT NULL,
            counter INTEGER NOT NULL,
            value INTEGER NOT NULL,
            PRIMARY KEY (journey_id, version, node_id, counter)) WITHOUT ROWID;
        """,

        // Version 2. A journey's enrollments, ended ones included, in the order ListByJourneyAsync streams them (the
        // live index holds only active and waiting rows, so listing scanned the table). Its columns never change
        // after the insert, so it costs one index entry per enrollment created and nothing per step.
        """
        CREATE INDEX ix_enrollments_journey ON enrollments (journey_id, customer_id, entered_at, created_seq);
        """,

        // Version 3. Event ids (a retried publish is found and not appended again): the id an event was published with,
        // and the ids recorded per customer with their time, kept for the engine's window after the event itself is
        // purged. The primary key is the check: one row per (customer, id).
        """
        ALTER TABLE events ADD COLUMN event_id TEXT;

        CREATE TABLE event_ids (
            customer_id TEXT NOT NULL,
            event_id TEXT NOT NULL,
            recorded_at INTEGER NOT NULL,
            PRIMARY KEY (customer_id, event_id)) WITHOUT ROWID;
        """,

        // Version 4. Pending audience intakes (IJourneyStore.SaveIntakeAsync): one row per journey while its latest
        // activation's audience has not all entered, with the host that claimed it and until when, so a host that dies
        // while enrolling leaves it for another (or itself restarted) to finish. A done intake's row is deleted.
        """
        CREATE TABLE journey_intakes (
            journey_id TEXT PRIMARY KEY,
            intake_id BLOB NOT NULL,
            version INTEGER NOT NULL,
            opens_at INTEGER NOT NULL,
            owner TEXT,
            lease_expires_at INTEGER) WITHOUT ROWID;
        """,

        // Version 5. The frequency cap's record of sends (IFrequencyCapStore): one row per send reserved for a
        // customer, keyed by the message's idempotency key (a send reserved again is found, not counted twice), with
        // the time it was reserved at. The time index serves the purge of sends out of the cap's window; a customer's
        // rows are read through the primary key.
        """
        CREATE TABLE frequency_sends (
            customer_id TEXT NOT NULL,
            send_key TEXT NOT NULL,
            reserved_at INTEGER NOT NULL,
            PRIMARY KEY (customer_id, send_key)) WITHOUT ROWID;

        CREATE INDEX ix_frequency_sends_reserved ON frequency_sends (reserved_at);
        """,

        // Version 6. A version's ETag without its document: a row of journey_versions holds the document before the
        // ETag, so reading the ETag walked the document's whole overflow chain (a list audience of 200,000 ids: ~5 MB,
        // ~10 ms a read; a list intake reads its journey twice per chunk of 1,000). This covering index answers the
        // reads of ETags (the latest version, one version, the listing) from a few pages; the document is read only
        // when the ETag is not the one already parsed.
        """
        CREATE INDEX ix_journey_versions_etag ON journey_versions (journey_id, version, etag);
        """,

        // Version 7. Due timers in their claim order, (wake time, enrollment id): the schedule index orders timers of
        // one instant by customer (its key's tail), so a claim sorted every timer due at that instant to take the first
        // few hundred (a "wait until 09:00" of 200,000 customers: ~140 ms per claim and again in its update, for each
        // of ~400 claims, holding the writer). Partial: only rows waiting on a timer are in it, so an enrollment that
        // never waits on a timer writes nothing to it.
        """
        CREATE INDEX ix_enrollments_timers ON enrollments (sched_at, id) WHERE sched_kind = 1;
        """,

        // Version 8. A customer's waiting enrollments, for the event that may wake them: the primary key's customer
        // prefix read every enrollment the customer ever had (ended ones included: a sending leaves one per customer)
        // for each event appended. Partial: only waiting rows are in it.
        """
        CREATE INDEX ix_enrollments_waiting ON enrollments (customer_id) WHERE status = 1;
        """,

        // Version 9. A count of the changes to journey_versions, kept by triggers in the writing transaction (every
        // write path, whichever process): a listing of the journeys (every published event, put and field-updating
        // commit makes one) reads this one row and reuses the records it last listed while the count has not moved,
        // instead of reading the latest version of every journey again (finished sendings included).
        """
        INSERT INTO journeys_meta (key, value) VALUES ('journeys_changed', 0) ON CONFLICT (key) DO NOTHING;

        CREATE TRIGGER tr_journey_versions_inserted AFTER INSERT ON journey_versions
        BEGIN UPDATE journeys_meta SET value = value + 1 WHERE key = 'journeys_changed'; END;

        CREATE TRIGGER tr_journey_versions_updated AFTER UPDATE ON journey_versions
        BEGIN UPDATE journeys_meta SET value = value + 1 WHERE key = 'journeys_changed'; END;

        CREATE TRIGGER tr_journey_versions_deleted AFTER DELETE ON journey_versions
        BEGIN UPDATE journeys_meta SET value = value + 1 WHERE key = 'journeys_changed'; END;
        """,

        // Version 10. Customer events and event ids by time, for their purge: it read every retained event (a day of
        // them by default) to delete the oldest hour, in one write that held the writer (4 M events: 1.2 s, and 0.4 s
        // with nothing to delete). With these it reads only the events older than the cut-off, in steps of its own.
        // An event is appended with a time near now, so its index entry goes at the end of the index.
        """
        CREATE INDEX ix_events_time ON events (time);
        CREATE INDEX ix_event_ids_recorded ON event_ids (recorded_at);
        """,
    ];
}
