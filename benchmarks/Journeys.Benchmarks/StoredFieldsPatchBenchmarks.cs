using BenchmarkDotNet.Attributes;
using Journeys.Model;
using Journeys.Sqlite;
using Journeys.Storage;

namespace Journeys.Benchmarks;

/// <summary>
/// The SQLite store's customer update inside a checkpoint commit (<c>StoredFieldsPatch</c>): the stored fields of a
/// benchmark customer (20 fields) patched with the five-step journey's one update (<c>segment</c> set), and with a new
/// field appended. Run on the SQLite writer thread once per updated customer, so its cost is the writer's.
/// </summary>
[MemoryDiagnoser]
[ShortMode(iterationMilliseconds: 100)]
public class StoredFieldsPatchBenchmarks
{
    private readonly StoredFieldsPatch _patch = new();
    private byte[] _stored = [];

    /// <summary>The stored document of benchmark customer 7, as the SQLite store writes it.</summary>
    [GlobalSetup]
    public void Setup() => _stored = FieldValueStoreJson.WriteUtf8(BenchmarkData.CreateCustomer(7).Fields, writeNulls: false);

    /// <summary>Disposes the patch's writer.</summary>
    [GlobalCleanup]
    public void Cleanup() => _patch.Dispose();

    /// <summary>One stored field replaced (the journey's <c>segment</c> update), the other 19 copied.</summary>
    [Benchmark(Baseline = true)]
    public int ReplaceOneField()
    {
        _patch.Clear();
        _patch.Add(new CustomerFieldUpdate("c", "segment", FieldValue.FromString("welcomed")));
        return _patch.Apply(_stored).Length;
    }

    /// <summary>A field the customer does not have, appended after the 20 copied.</summary>
    [Benchmark]
    public int AppendNewField()
    {
        _patch.Clear();
        _patch.Add(new CustomerFieldUpdate("c", "lastCampaign", FieldValue.FromString("spring")));
        return _patch.Apply(_stored).Length;
    }
}
