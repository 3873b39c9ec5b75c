using Journeys.PostgreSql;
using Journeys.Storage.Tests.Crash;
using Xunit.Abstractions;

namespace Journeys.Storage.Tests.PostgreSql;

/// <summary>The crash test (<see cref="CrashHarness"/>) on PostgreSQL, in a fresh schema of the server in <c>JOURNEYS_TEST_POSTGRES</c>.</summary>
[RequiresPostgreSql]
public sealed class PostgreSqlCrashTests(ITestOutputHelper output) : IAsyncLifetime
{
    private readonly string _schema = PostgreSqlTestServer.NewSchema();

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await PostgreSqlTestServer.DropSchemaAsync(_schema);

    [Fact]
    public Task Killing_the_engine_at_random_moments_loses_no_enrollment_timer_or_message_and_delivers_no_key_twice() =>
        CrashHarness.RunAsync(
            output,
            $"--store postgresql --connection \"{PostgreSqlTestServer.RequireConnectionString()}\" --schema {_schema}",
            () =>
            {
                var dataSource = PostgreSqlTestServer.CreateDataSource();
                var database = PostgreSqlTestServer.CreateDatabase(dataSource, _schema);
                var engine = new PostgreSqlEngineStore(database);
                return new StoreSet(
                    new PostgreSqlJourneyStore(database, TimeProvider.System),
                    new PostgreSqlCustomerStore(database),
                    engine,
                    engine,
                    engine,
                    async () =>
                    {
                        await database.DisposeAsync();
                        await dataSource.DisposeAsync();
                    });
            });
}
