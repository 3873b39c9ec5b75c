namespace Journeys.PostgreSql;

/// <summary>How the PostgreSQL store connects, where its tables live and how it rides out connection failures. Validated at start.</summary>
public sealed class PostgreSqlStoreOptions
{
    /// <summary>
    /// The schema that holds the store's tables (created when missing). Lower-case letters, digits and '_', starting with
    /// a letter or '_', at most 55 characters (the NOTIFY channel, the name + <c>_changes</c>, must fit PostgreSQL's 63). Hosts that share work must use the same schema. Default <c>journeys</c>.
    /// </summary>
    public string SchemaName { get; set; } = "journeys";

    /// <summary>Whether to create and migrate the schema at start. When false, a schema that is missing or older is an error at start. Default true.</summary>
    public bool MigrateSchema { get; set; } = true;

    /// <summary>
    /// Whether this host listens for <c>NOTIFY</c> from other hosts (new work, events, outbox messages) to wake its idle
    /// engine at once. Without it, an idle host looks for work at its next timer or <c>JourneysOptions.MaxIdle</c>. Default true.
    /// </summary>
    public bool ListenForNotifications { get; set; } = true;

    /// <summary>How many times an operation is retried after a transient failure (connection lost, server restarting). Default 5.</summary>
    public int MaxRetryAttempts { get; set; } = 5;

    /// <summary>The delay before the first retry; later retries back off exponentially (with jitter). Default 200 ms.</summary>
    public TimeSpan RetryDelay { get; set; } = TimeSpan.FromMilliseconds(200);

    /// <summary>The longest delay between two retries. Default 5 seconds.</summary>
    public TimeSpan MaxRetryDelay { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// How many of this host's store operations run at once, each on a connection of its own; more wait for a free turn
    /// (in arrival order, cancellable). The LISTEN connection and streamed reads (customer scans, enrollment and journey
    /// lists) are not counted. Every connection is a server process with its own plans and memory: on PostgreSQL 15 over
    /// loopback, hosts capped at one connection per engine shard, instead of the 5 to 6 their engines would otherwise hold
    /// at once, used 10 to 25 % less server CPU and caused a fifth fewer page faults (RESULTS.md, 2026-11-30, wt-pg8).
    /// The cap counts every store call of the host, the host app's own (HTTP API, enrollments, events) too: set it on
    /// hosts that mostly run the engine, e.g. to <c>JourneysOptions.ShardCount</c>. Default null: no cap but the
    /// connection string's <c>Maximum Pool Size</c>.
    /// </summary>
    public int? MaxConcurrentOperations { get; set; }

    /// <summary>Every problem with these options, or none.</summary>
    /// <returns>The problems, each naming the option.</returns>
    public IReadOnlyList<string> Validate()
    {
        var problems = new List<string>();
        if (!IsValidSchemaName(SchemaName))
        {
            problems.Add($"PostgreSqlStoreOptions.SchemaName '{SchemaName}' is not valid: use 1 to {MaxSchemaNameLength} lower-case letters, digits or '_', starting with a letter or '_' (the notification channel, the name + '_changes', must fit PostgreSQL's 63-byte limit).");
        }

        if (MaxRetryAttempts < 0)
        {
            problems.Add($"PostgreSqlStoreOptions.MaxRetryAttempts must be 0 or more (it is {MaxRetryAttempts}).");
        }

        if (RetryDelay <= TimeSpan.Zero)
        {
            problems.Add($"PostgreSqlStoreOptions.RetryDelay must be positive (it is {RetryDelay}).");
        }

        if (MaxRetryDelay < RetryDelay)
        {
            problems.Add($"PostgreSqlStoreOptions.MaxRetryDelay ({MaxRetryDelay}) must be at least RetryDelay ({RetryDelay}).");
        }

        if (MaxConcurrentOperations is < 1)
        {
            problems.Add($"PostgreSqlStoreOptions.MaxConcurrentOperations must be 1 or more, or null for no cap (it is {MaxConcurrentOperations}).");
        }

        return problems;
    }

    /// <summary>
    /// The longest schema name: the NOTIFY channel is the name + <c>_changes</c>, and PostgreSQL refuses a channel name of
    /// 64 bytes or more (every notifying transaction would fail), so 63 - 8.
    /// </summary>
    internal const int MaxSchemaNameLength = 55;

    private static bool IsValidSchemaName(string? name)
    {
        if (string.IsNullOrEmpty(name) || name.Length > MaxSchemaNameLength || char.IsAsciiDigit(name[0]))
        {
            return false;
        }

        foreach (var c in name)
        {
            if (!char.IsAsciiLetterLower(c) && !char.IsAsciiDigit(c) && c != '_')
            {
                return false;
            }
        }

        return true;
    }
}
