using Microsoft.Extensions.Hosting;

namespace Journeys.PostgreSql;

/// <summary>Creates, migrates or checks the schema when the host starts, so a database that is unreachable or too new fails the start with a clear error.</summary>
internal sealed class PostgreSqlStoreInitializer(PostgreSqlDatabase database) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken) => database.EnsureInitializedAsync(cancellationToken).AsTask();

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
