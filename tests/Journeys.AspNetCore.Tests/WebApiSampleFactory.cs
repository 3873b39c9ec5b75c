using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;

namespace Journeys.AspNetCore.Tests;

/// <summary>
/// The web sample as shipped, on its SQLite store in a temporary file of its own (the connection string "Journeys" set through
/// configuration), deleted with the factory unless <paramref name="databasePath"/> was given by the caller.
/// </summary>
internal sealed class WebApiSampleFactory : WebApplicationFactory<Program>
{
    private readonly bool _ownsDatabase;
    private bool _deleted;

    public WebApiSampleFactory(string? databasePath = null)
    {
        _ownsDatabase = databasePath is null;
        DatabasePath = databasePath ?? NewDatabasePath();
    }

    /// <summary>The SQLite file of the sample.</summary>
    public string DatabasePath { get; }

    /// <summary>A path for a SQLite file in a new temporary directory.</summary>
    public static string NewDatabasePath() => Path.Combine(Directory.CreateTempSubdirectory("journeys-webapi-").FullName, "journeys.db");

    /// <summary>Deletes the directory of a file made by <see cref="NewDatabasePath"/>.</summary>
    public static void DeleteDatabase(string databasePath)
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Directory.Delete(Path.GetDirectoryName(databasePath)!, recursive: true);
    }

    protected override void ConfigureWebHost(IWebHostBuilder builder) =>
        builder.UseSetting("ConnectionStrings:Journeys", $"Data Source={DatabasePath}");

    protected override void Dispose(bool disposing)
    {
        base.Dispose(disposing);
        if (disposing)
        {
            DeleteOwnDatabase();
        }
    }

    public override async ValueTask DisposeAsync()
    {
        await base.DisposeAsync();
        DeleteOwnDatabase();
    }

    private void DeleteOwnDatabase()
    {
        if (_ownsDatabase && !_deleted)
        {
            _deleted = true;
            DeleteDatabase(DatabasePath);
        }
    }
}
