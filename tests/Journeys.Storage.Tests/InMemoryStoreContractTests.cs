using Journeys.Storage.InMemory;

namespace Journeys.Storage.Tests;

/// <summary>The contract suite against the in-memory stores.</summary>
public sealed class InMemoryStoreContractTests : EngineStoreContractTests
{
    protected override ValueTask<StoreSet> CreateStoresAsync(TimeProvider timeProvider)
    {
        var customers = new InMemoryCustomerStore();
        var engine = new InMemoryEngineStore(customers);
        return ValueTask.FromResult(new StoreSet(new InMemoryJourneyStore(timeProvider), customers, engine, engine, engine));
    }
}
