using Npgsql;

namespace Journeys.PostgreSql;

/// <summary>
/// The store's tables and their migrations. <c>{schema}.schema_version</c> holds the version the schema is at; each
/// migration moves it one step, in one transaction, under an advisory lock so hosts starting together migrate once.
/// A schema from a newer library is refused and left untouched; no migration drops data.
/// </summary>
/// <remarks>
/// Every per-customer table (customers, events, enrollments, outbox) has the customer id in its primary key (first in
/// all but the outbox's, which since schema version 6 starts with the message id), so the schema can be distributed by
/// customer id (Citus, which needs the distribution column in every unique key) without a redesign.
/// </remarks>
internal static class PostgreSqlSchema
{
    /// <summary>The schema version this library writes and reads.</summary>
    public const int CurrentVersion = 10;

    /// <summary>
    /// Rows per statistic counter (schema version 2): each statement adds to one of them, taken in turn, so
    /// commits of several shards and hosts seldom wait for each other's counter row locks; reads sum them.
    /// </summary>
    public const int StatisticSlots = 16;

    private static readonly string[] Migrations =
    [
        // 1: the first schema.
        """
        CREATE SEQUENCE {s}.etag_seq;
        CREATE TABLE {s}.journeys (
            journey_id text COLLATE "C" NOT NULL,
            version integer NOT NULL,
            definition text NOT NULL,
            etag text NOT NULL,
            updated_at timestamptz NOT NULL,
            PRIMARY KEY (journey_id, version));
        CREATE TABLE {s}.customer_schema (
            singleton boolean PRIMARY KEY DEFAULT true CHECK (singleton),
            document text NOT NULL);
        CREATE TABLE {s}.customers (
            customer_id text COLLATE "C" PRIMARY KEY,
            fields text NOT NULL,
            time_zone text);
        CREATE SEQUENCE {s}.event_seq;
        CREATE TABLE {s}.events (
            customer_id text COLLATE "C" NOT NULL,
            sequence bigint NOT NULL,
            name text NOT NULL,
            properties text NOT NULL,
            time timestamptz NOT NULL,
            message_id text,
            PRIMARY KEY (customer_id, sequence));
        CREATE INDEX events_time ON {s}.events (time);
        CREATE SEQUENCE {s}.enrollment_order_seq;
        CREATE SEQUENCE {s}.ready_seq;
        CREATE TABLE {s}.enrollments (
            customer_id text COLLATE "C" NOT NULL,
            enrollment_id uuid NOT NULL,
            journey_id text COLLATE "C" NOT NULL,
            version integer NOT NULL,
            current_node text,
            status smallint NOT NULL,
            wake_at timestamptz,
            awaited_event text,
            visit integer NOT NULL,
            entered_at timestamptz NOT NULL,
            updated_at timestamptz NOT NULL,
            token bigint NOT NULL,
            wake_events text[] NOT NULL,
            event_cursor bigint NOT NULL,
            node_entered_at timestamptz,
            node_state integer NOT NULL,
            end_reason text,
            created_order bigint NOT NULL,
            ready_seq bigint,
            lease_owner text,
            lease_expires_at timestamptz,
            messages_sent integer NOT NULL DEFAULT 0,
            clicks integer NOT NULL DEFAULT 0,
            PRIMARY KEY (customer_id, enrollment_id));
        CREATE UNIQUE INDEX enrollments_one_active ON {s}.enrollments (customer_id, journey_id) WHERE status IN (0, 1);
        CREATE INDEX enrollments_id ON {s}.enrollments (enrollment_id);
        CREATE INDEX enrollments_timers ON {s}.enrollments (wake_at, enrollment_id) WHERE status = 1 AND wake_at IS NOT NULL AND lease_expires_at IS NULL;
        CREATE INDEX enrollments_ready ON {s}.enrollments (ready_seq) WHERE ready_seq IS NOT NULL;
        CREATE INDEX enrollments_leases ON {s}.enrollments (lease_expires_at) WHERE lease_expires_at IS NOT NULL;
        CREATE INDEX enrollments_journey ON {s}.enrollments (journey_id, customer_id, entered_at, created_order);
        CREATE TABLE {s}.journey_entries (
            journey_id text COLLATE "C" PRIMARY KEY,
            created bigint NOT NULL);
        CREATE SEQUENCE {s}.outbox_order_seq;
        CREATE TABLE {s}.outbox (
            customer_id text COLLATE "C" NOT NULL,
            message_id text COLLATE "C" NOT NULL,
            idempotency_key text NOT NULL,
            channel text NOT NULL,
            campaign_id text NOT NULL,
            body text NOT NULL,
            journey_id text,
            journey_version integer NOT NULL,
            node_id text,
            enrollment_id uuid,
            due_at timestamptz NOT NULL,
            attempts integer NOT NULL,
            created_order bigint NOT NULL,
            lease_owner text,
            lease_expires_at timestamptz,
            PRIMARY KEY (customer_id, message_id));
        CREATE INDEX outbox_message ON {s}.outbox (message_id);
        CREATE INDEX outbox_due ON {s}.outbox (due_at, created_order) WHERE lease_expires_at IS NULL;
        CREATE INDEX outbox_leases ON {s}.outbox (lease_expires_at) WHERE lease_expires_at IS NOT NULL;
        CREATE TABLE {s}.statistics (
            journey_id text COLLATE "C" NOT NULL,
            version integer NOT NULL,
            node_id text COLLATE "C" NOT NULL,
            counter smallint NOT NULL,
            value bigint NOT NULL,
            PRIMARY KEY (journey_id, version, node_id, counter));
        """,

        // 2: statistic counters spread over slots (StatisticSlots), so concurrent writers seldom share a row; the rows
        // written so far become slot 0 and keep their values.
        """
        ALTER TABLE {s}.statistics ADD COLUMN slot smallint NOT NULL DEFAULT 0;
        ALTER TABLE {s}.statistics DROP CONSTRAINT statistics_pkey;
        ALTER TABLE {s}.statistics ADD CONSTRAINT statistics_pkey PRIMARY KEY (journey_id, version, node_id, counter, slot);
        """,

        // 3: free space in the pages of the tables whose updates change no indexed column (a customer's fields, a
        // counter's value), so an update can put the new row version on the same page (a HOT update: no new index
        // entry, and the old version is pruned without a vacuum). Applies to pages written from now on; no row changes.
        """
        ALTER TABLE {s}.customers SET (fillfactor = 50);
        ALTER TABLE {s}.statistics SET (fillfactor = 50);
        """,

        // 4: a claim and a lease renewal change no indexed column of an enrollment, so with free space in its page
        // (fillfactor) they are HOT updates: one heap record, no index entry (version 3 added five per claim). The
        // lease columns leave every index: the lease-expiry index goes, the timer index no longer excludes leased rows
        // (claims and the next-wake read skip them), and a claim keeps the row's place in the ready queue until its
        // commit, so an expired lease is claimable where it stands and needs no index of its own. Rows that a
        // version-3 claim leased (and took out of the ready queue) get their place back, in the order version 3's
        // release of expired leases would have given them. Only the two indexes are dropped (and one rebuilt); no row
        // is removed and no value is lost.
        """
        DROP INDEX {s}.enrollments_leases;
        DROP INDEX {s}.enrollments_timers;
        CREATE INDEX enrollments_timers ON {s}.enrollments (wake_at, enrollment_id) WHERE status = 1 AND wake_at IS NOT NULL;
        UPDATE {s}.enrollments e SET ready_seq = x.seq FROM (
            SELECT y.customer_id, y.enrollment_id, nextval('{s}.ready_seq') AS seq FROM (
                SELECT customer_id, enrollment_id FROM {s}.enrollments
                WHERE lease_expires_at IS NOT NULL AND ready_seq IS NULL AND status IN (0, 1)
                ORDER BY lease_expires_at, created_order) y) x
        WHERE e.customer_id = x.customer_id AND e.enrollment_id = x.enrollment_id;
        ALTER TABLE {s}.enrollments SET (fillfactor = 40);
        """,

        // 5: a commit appends its customer field updates to the stored document (a later entry of a name replaces the
        // earlier one, ["x", null] removes the field; see FieldJson.ReadCustomer) instead of rebuilding it with the
        // server's JSON functions. No row changes: every version-4 document reads the same. The version moves so that
        // a version-4 library, which would read an appended entry's removal as an unknown type and a repeated name by
        // its own rule, refuses the schema instead of misreading customers. The customers' pages keep room for the
        // longer row versions (fillfactor 80, version 3).
        """
        COMMENT ON COLUMN {s}.customers.fields IS 'Typed JSON fields; commits append updates (schema version 5): a later entry of a name replaces the earlier one, ["x", null] removes it.';
        """,

        // 6: one index entry fewer per outbox message and a customer update in place. The outbox's primary key becomes
        // (message_id, customer_id), and the index on message_id alone, which every message-id lookup used (the
        // commit's pending check, results, renewals), goes: the key's first column serves them. Every message row
        // wrote three index entries (key, message id, due time or lease expiry), now two; (customer_id, message_id)
        // was unique, so (message_id, customer_id) is. A cancel by customer alone (a customer's deletion) now reads the
        // whole outbox, as a cancel by journey always did. The customers' pages keep half their room (fillfactor 50,
        // was 80): a commit's field update writes a whole new version of the row, and at 80 a page had room for the
        // new versions of about half of its rows updated by one commit; the others moved to another page (a non-HOT
        // update: a new key entry, and the old row locked by a separate record while the page is changed). Applies to
        // pages written from now on; no row changes and nothing is lost (the key is rebuilt in this transaction, the
        // outbox locked meanwhile).
        """
        ALTER TABLE {s}.outbox DROP CONSTRAINT outbox_pkey;
        ALTER TABLE {s}.outbox ADD CONSTRAINT outbox_pkey PRIMARY KEY (message_id, customer_id);
        DROP INDEX {s}.outbox_message;
        ALTER TABLE {s}.customers SET (fillfactor = 50);
        """,

        // 7: event ids (a retried publish is found and not appended again). Each event keeps the id it was published
        // with; event_ids holds one row per (customer, id) with the time it was recorded, kept for the engine's window
        // after the event itself is purged (the primary key is the check). Only adds: no row changes.
        """
        ALTER TABLE {s}.events ADD COLUMN event_id text;
        CREATE TABLE {s}.event_ids (
            customer_id text COLLATE "C" NOT NULL,
            event_id text COLLATE "C" NOT NULL,
            recorded_at timestamptz NOT NULL,
            PRIMARY KEY (customer_id, event_id));
        """,

        // 8: pending audience intakes (IJourneyStore.SaveIntakeAsync): one row per journey while its latest activation's
        // audience has not all entered, with the host that claimed it and until when, so a host that dies while
        // enrolling leaves it for another to finish. A done intake's row is deleted. Only adds.
        """
        CREATE TABLE {s}.journey_intakes (
            journey_id text COLLATE "C" PRIMARY KEY,
            intake_id uuid NOT NULL,
            version integer NOT NULL,
            opens_at timestamptz NOT NULL,
            owner text,
            lease_expires_at timestamptz);
        """,

        // 9: the frequency cap's record of sends (IFrequencyCapStore), shared by every host: one row per send reserved
        // for a customer, keyed by the message's idempotency key (a send reserved again is found, not counted twice),
        // with the time it was reserved at. The time index serves the purge of sends out of the cap's window; a
        // customer's rows are read through the primary key. Only adds.
        """
        CREATE TABLE {s}.frequency_sends (
            customer_id text COLLATE "C" NOT NULL,
            send_key text COLLATE "C" NOT NULL,
            reserved_at timestamptz NOT NULL,
            PRIMARY KEY (customer_id, send_key));
        CREATE INDEX frequency_sends_reserved ON {s}.frequency_sends (reserved_at);
        """,

        // 10: a count of the changes to journeys. Every transaction that writes journeys (a save, a delete, an erasure
        // that rewrites a list) adds one as its first statement, before any advisory lock, so writers meet on this row
        // in one order. A listing (every published event, put and field-updating commit makes one) reads it and reuses
        // the records it last listed while it has not moved, instead of reading the latest version of every journey.
        """
        CREATE TABLE {s}.journey_changes (
            singleton boolean PRIMARY KEY DEFAULT true CHECK (singleton),
            changes bigint NOT NULL);
        INSERT INTO {s}.journey_changes (changes) VALUES (0);
        """,
    ];

    /// <summary>Creates or migrates the schema to <see cref="CurrentVersion"/>, or (when migration is off) checks it is there.</summary>
    /// <param name="database">The database.</param>
    /// <param name="cancellationToken">Cancels the migration (its transaction rolls back).</param>
    /// <param name="targetVersion">The version to migrate to: <see cref="CurrentVersion"/>, or lower only in tests of the migrations themselves.</param>
    /// <exception cref="InvalidOperationException">The schema is from a newer library, or is missing or older while migration is off.</exception>
    public static async ValueTask MigrateAsync(PostgreSqlDatabase database, CancellationToken cancellationToken, int targetVersion = CurrentVersion)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(targetVersion, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(targetVersion, CurrentVersion);
        var connection = await database.DataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using (connection.ConfigureAwait(false))
        {
            var transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
            await using (transaction.ConfigureAwait(false))
            {
                // One migrating host per schema at a time; the others wait here and then find the schema current.
                using (var lockCommand = new NpgsqlCommand("SELECT pg_advisory_xact_lock(hashtextextended('journeys.schema:' || $1, 0))", connection, transaction))
                {
                    lockCommand.Parameters.Add(new NpgsqlParameter<string> { TypedValue = database.Schema });
                    await lockCommand.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
                }

                var version = await ReadVersionAsync(database, connection, transaction, cancellationToken).ConfigureAwait(false);
                if (version > CurrentVersion)
                {
                    throw new InvalidOperationException(
                        $"PostgreSQL schema '{database.Schema}' ({database.Location}) is at version {version}, written by a newer Journeys.PostgreSql; " +
                        $"this library knows versions up to {CurrentVersion}. Upgrade the library on this host (nothing was changed).");
                }

                if (version < targetVersion && !database.Options.MigrateSchema)
                {
                    throw new InvalidOperationException(
                        $"PostgreSQL schema '{database.Schema}' ({database.Location}) is at version {version}, this library needs version {CurrentVersion}, " +
                        "and PostgreSqlStoreOptions.MigrateSchema is false: migrate it (start one host with MigrateSchema = true).");
                }

                for (var next = version + 1; next <= targetVersion; next++)
                {
                    using var migrate = database.Command(connection, transaction, Migrations[next - 1]);
                    await migrate.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
                }

                if (version < targetVersion)
                {
                    using var record = database.Command(connection, transaction, """
                        INSERT INTO {s}.schema_version (singleton, version, migrated_at) VALUES (true, $1, now())
                        ON CONFLICT (singleton) DO UPDATE SET version = excluded.version, migrated_at = excluded.migrated_at
                        """);
                    record.Parameters.Add(new NpgsqlParameter<int> { TypedValue = targetVersion });
                    await record.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
                }

                await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
            }
        }
    }

    // 0 when the schema or its version table does not exist yet (created here when migration is on).
    private static async ValueTask<int> ReadVersionAsync(PostgreSqlDatabase database, NpgsqlConnection connection, NpgsqlTransaction transaction, CancellationToken cancellationToken)
    {
        if (database.Options.MigrateSchema)
        {
            using var create = database.Command(connection, transaction, """
                CREATE SCHEMA IF NOT EXISTS {s};
                CREATE TABLE IF NOT EXISTS {s}.schema_version (
                    singleton boolean PRIMARY KEY DEFAULT true CHECK (singleton),
                    version integer NOT NULL,
                    migrated_at timestamptz NOT NULL);
                """);
            await create.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }
        else
        {
            using var exists = new NpgsqlCommand("SELECT to_regclass($1) IS NOT NULL", connection, transaction);
            exists.Parameters.Add(new NpgsqlParameter<string> { TypedValue = database.QuotedSchema + ".schema_version" });
            if (!(bool)(await exists.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false))!)
            {
                return 0;
            }
        }

        using var read = database.Command(connection, transaction, "SELECT version FROM {s}.schema_version");
        return await read.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false) is int version ? version : 0;
    }
}
