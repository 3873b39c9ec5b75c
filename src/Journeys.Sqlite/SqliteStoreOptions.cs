namespace Journeys.Sqlite;

/// <summary>Settings of the SQLite store (validated at start).</summary>
public sealed class SqliteStoreOptions
{
    /// <summary>The Microsoft.Data.Sqlite connection string, such as <c>Data Source=journeys.db</c>; the file is created when missing.</summary>
    public string ConnectionString { get; set; } = string.Empty;

    /// <summary>How long a statement waits for a lock held by another connection before it fails (default 5 seconds).</summary>
    public TimeSpan BusyTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>The <c>synchronous</c> setting (default <see cref="SqliteSynchronousMode.Normal"/>; see docs/storage.md).</summary>
    public SqliteSynchronousMode Synchronous { get; set; } = SqliteSynchronousMode.Normal;

    /// <summary>The most idle read connections kept open for point reads (default 8).</summary>
    public int MaxIdleReaders { get; set; } = 8;

    /// <summary>Every problem of these options, each naming the setting; empty when they are valid.</summary>
    /// <returns>The problems.</returns>
    public IReadOnlyList<string> Validate()
    {
        var errors = new List<string>();
        if (string.IsNullOrWhiteSpace(ConnectionString))
        {
            errors.Add("SqliteStoreOptions.ConnectionString is required, such as \"Data Source=journeys.db\".");
        }
        else
        {
            try
            {
                var builder = new Microsoft.Data.Sqlite.SqliteConnectionStringBuilder(ConnectionString);
                if (string.IsNullOrWhiteSpace(builder.DataSource))
                {
                    errors.Add("SqliteStoreOptions.ConnectionString names no Data Source (the database file).");
                }
                else if (builder.Mode == Microsoft.Data.Sqlite.SqliteOpenMode.Memory
                    || string.Equals(builder.DataSource.Trim(), ":memory:", StringComparison.OrdinalIgnoreCase))
                {
                    errors.Add("SqliteStoreOptions.ConnectionString names an in-memory SQLite database; the SQLite store needs a file (for no durability, keep the default in-memory stores).");
                }
                else if (builder.Mode == Microsoft.Data.Sqlite.SqliteOpenMode.ReadOnly)
                {
                    errors.Add("SqliteStoreOptions.ConnectionString opens the database read-only (Mode=ReadOnly); the store writes to it.");
                }
            }
            catch (ArgumentException ex)
            {
                errors.Add($"SqliteStoreOptions.ConnectionString is not a valid SQLite connection string: {ex.Message}");
            }
        }

        if (BusyTimeout <= TimeSpan.Zero || BusyTimeout > TimeSpan.FromHours(1))
        {
            errors.Add($"SqliteStoreOptions.BusyTimeout must be more than zero and at most one hour (was {BusyTimeout}).");
        }

        if (!Enum.IsDefined(Synchronous))
        {
            errors.Add($"SqliteStoreOptions.Synchronous has an unknown value {(int)Synchronous}.");
        }

        if (MaxIdleReaders is < 0 or > 256)
        {
            errors.Add($"SqliteStoreOptions.MaxIdleReaders must be between 0 and 256 (was {MaxIdleReaders}).");
        }

        return errors;
    }
}
