using Journeys.Sqlite;
using Microsoft.Data.Sqlite;

namespace Journeys.Storage.Tests.Sqlite;

/// <summary>A temporary SQLite database file (with its -wal and -shm companions), deleted on dispose.</summary>
internal sealed class SqliteTestFile : IDisposable
{
    public SqliteTestFile()
    {
        Directory = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "journeys-sqlite-tests", Guid.NewGuid().ToString("N"));
        System.IO.Directory.CreateDirectory(Directory);
        Path = System.IO.Path.Combine(Directory, "journeys.db");
    }

    public string Directory { get; }

    public string Path { get; }

    public string ConnectionString => $"Data Source={Path}";

    public SqliteStoreOptions Options(TimeSpan? busyTimeout = null) => new()
    {
        ConnectionString = ConnectionString,
        BusyTimeout = busyTimeout ?? TimeSpan.FromSeconds(5),
    };

    /// <summary>Opens the database with this library (creating or migrating it); <paramref name="exclusive"/> false skips its lock file.</summary>
    public SqliteDatabase Open(TimeProvider time, TimeSpan? busyTimeout = null, Microsoft.Extensions.Logging.ILogger? logger = null, bool exclusive = true) => new(Options(busyTimeout), time, logger, exclusive);

    /// <summary>The stores of one open database; disposing the set closes it.</summary>
    public StoreSet Stores(TimeProvider time, Func<ValueTask>? afterDispose = null)
    {
        var database = Open(time);
        var engine = new SqliteEngineStore(database);
        return new StoreSet(new SqliteJourneyStore(database), new SqliteCustomerStore(database), engine, engine, engine, async () =>
        {
            database.Dispose();
            if (afterDispose is not null)
            {
                await afterDispose();
            }
        });
    }

    /// <summary>A plain connection of the test's own, outside the store.</summary>
    public SqliteConnection Connect()
    {
        var connection = new SqliteConnection($"Data Source={Path};Pooling=False");
        connection.Open();
        return connection;
    }

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        try
        {
            System.IO.Directory.Delete(Directory, recursive: true);
        }
        catch (IOException)
        {
            // A file still open on some platforms: the temp folder is cleaned by the OS; the test result stands.
        }
    }
}
