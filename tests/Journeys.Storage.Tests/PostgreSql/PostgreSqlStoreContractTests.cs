using Journeys.PostgreSql;

namespace Journeys.Storage.Tests.PostgreSql;

/// <summary>The contract suite against the PostgreSQL stores, each test in a fresh schema of the server in <c>JOURNEYS_TEST_POSTGRES</c>.</summary>
[RequiresPostgreSql]
public sealed class PostgreSqlStoreContractTests : EngineStoreContractTests
{
    protected override ValueTask<StoreSet> CreateStoresAsync(TimeProvider timeProvider)
    {
        var schema = PostgreSqlTestServer.NewSchema();
        var dataSource = PostgreSqlTestServer.CreateDataSource();
        var database = PostgreSqlTestServer.CreateDatabase(dataSource, schema);
        var engine = new PostgreSqlEngineStore(database);
        return ValueTask.FromResult(new StoreSet(
            new PostgreSqlJourneyStore(database, timeProvider),
            new PostgreSqlCustomerStore(database),
            engine,
            engine,
            engine,
            async () =>
            {
                await database.DisposeAsync();
                await dataSource.DisposeAsync();
                await PostgreSqlTestServer.DropSchemaAsync(schema);
            }));
    }
}
