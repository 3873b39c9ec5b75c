using Journeys.Storage.Tests.Sqlite;

namespace Journeys.Storage.Tests;

/// <summary>The contract suite against the SQLite stores, each test on a fresh temporary file deleted afterwards.</summary>
public sealed class SqliteStoreContractTests : EngineStoreContractTests, IDisposable
{
    private readonly SqliteTestFile _file = new();

    protected override ValueTask<StoreSet> CreateStoresAsync(TimeProvider timeProvider) => ValueTask.FromResult(_file.Stores(timeProvider));

    public void Dispose() => _file.Dispose();
}
