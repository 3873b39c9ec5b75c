using BenchmarkDotNet.Attributes;
using Journeys.Building;
using Journeys.Model;
using Journeys.Runtime;
using Journeys.Sendings;
using Journeys.Statistics;
using Journeys.Storage;
using Microsoft.Extensions.DependencyInjection;

namespace Journeys.Benchmarks;

/// <summary>
/// The cost of a sending's enrolling pass and of the per-customer CSV export, on the in-memory stores with
/// <see cref="Customers"/> customers and no engine running (so the timed part is the pass or the export alone).
/// <see cref="SendToList"/>: a fresh host per iteration, then <c>SendToListAsync</c> of every customer id (one customer
/// lookup per id, enrollments in batches of 1,000, audience counters). <see cref="ExportCsv"/>: <c>WriteCustomersCsvAsync</c>
/// of a journey with N active enrollments to <see cref="Stream.Null"/> (11 columns, CsvHelper 34 writer).
/// </summary>
[MemoryDiagnoser]
public class SendingExportBenchmarks
{
    private ServiceProvider? _sendingHost;
    private ServiceProvider? _exportHost;
    private string[] _ids = [];

    /// <summary>Customers (and list ids, and exported rows).</summary>
    [Params(100_000)]
    public int Customers { get; set; }

    /// <summary>The export's journey, with N enrollments, built once.</summary>
    [GlobalSetup(Target = nameof(ExportCsv))]
    public void SetUpExport()
    {
        _ids = Ids(Customers);
        _exportHost = Host();
        var manager = _exportHost.GetRequiredService<IJourneyManager>();
        manager.CreateAsync(JourneyBuilder.Create("export", "Export").EnterFromList([]).Steps(p => p.Send(Channel.Push, "tips", id: "push")).Build()).AsTask().GetAwaiter().GetResult();
        manager.ActivateAsync("export").AsTask().GetAwaiter().GetResult();
        manager.EnrollAsync("export", _ids).AsTask().GetAwaiter().GetResult();
    }

    /// <summary>A fresh host with N customers for each sending.</summary>
    [IterationSetup(Target = nameof(SendToList))]
    public void SetUpSending()
    {
        _ids = _ids.Length == Customers ? _ids : Ids(Customers);
        _sendingHost?.Dispose();
        _sendingHost = Host();
        _sendingHost.GetRequiredService<ICustomerStore>().UpsertAsync([.. _ids.Select(id => new Customer(id))]).AsTask().GetAwaiter().GetResult();
    }

    /// <summary>Disposes the hosts.</summary>
    [GlobalCleanup]
    public void CleanUp()
    {
        _sendingHost?.Dispose();
        _exportHost?.Dispose();
    }

    /// <summary>The enrolling pass of a sending to N listed customers.</summary>
    [Benchmark]
    public async Task<long> SendToList()
    {
        var status = await _sendingHost!.GetRequiredService<ISendingManager>().SendToListAsync(new SendingRequest("tips"), _ids.ToAsyncEnumerable());
        return status.Progress.Enrolled;
    }

    /// <summary>The per-customer CSV of N enrollments.</summary>
    [Benchmark]
    public async Task<long> ExportCsv() =>
        await _exportHost!.GetRequiredService<IJourneyExporter>().WriteCustomersCsvAsync("export", null, Stream.Null);

    private static string[] Ids(int count) => [.. Enumerable.Range(0, count).Select(i => $"customer-{i:D7}@example.com")];

    private static ServiceProvider Host()
    {
        var services = new ServiceCollection();
        services.AddJourneys(j => j.AddCampaigns(new Campaign("tips", Channel.Push, "Tips for you")));
        return services.BuildServiceProvider();
    }
}
