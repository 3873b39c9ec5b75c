using Microsoft.Extensions.Hosting;

namespace Journeys.Sqlite;

/// <summary>Opens (and migrates) the SQLite database when the host starts, so a bad path, a locked file or a newer schema stops the start with its message.</summary>
internal sealed class SqliteStoreStartup(IServiceProvider services) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        _ = (SqliteDatabase)services.GetService(typeof(SqliteDatabase))!;
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
