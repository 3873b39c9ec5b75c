using System.Globalization;
using System.Text;
using FsCheck.Xunit;
using Journeys.Audiences;
using Journeys.Model;
using Journeys.Storage;
using Journeys.Storage.InMemory;
using Journeys.Tests.Building;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using static Journeys.Tests.Audiences.AudienceHost;

namespace Journeys.Tests.Audiences;

/// <summary>
/// The import's two write paths give the same result: into the in-memory store (rows staged as its records, duplicates
/// found by the stage's id table, one commit) and into any other store (the spool, the hash finder, batches of upserts),
/// here the same in-memory store behind a pass-through. The same file, with bad rows, duplicates, empty cells and ids
/// the store already has (or an empty store), gives the same report or the same refusal, and the same customers.
/// </summary>
public sealed class CsvImportPathProperties
{
    [Property(MaxTest = 60)]
    public async Task The_in_memory_import_and_the_spool_import_give_the_same_report_and_customers(int[] rows, bool validRowsOnly, bool storeHasCustomers, byte batch)
    {
        rows ??= [];
        var csv = new StringBuilder("customerId,age,vip,firstName\n");
        foreach (var r in rows)
        {
            var id = "c" + Math.Abs(r % 40).ToString(CultureInfo.InvariantCulture);
            var age = (r & 7) switch { 0 => "", 1 => "old", _ => (r % 90).ToString(CultureInfo.InvariantCulture) };
            var vip = (r & 24) switch { 0 => "", 8 => "true", 16 => "no", _ => "1" };
            var name = (r & 32) == 0 ? "" : "n" + r.ToString(CultureInfo.InvariantCulture);
            csv.Append(r % 13 == 0 ? " " : id).Append(',').Append(age).Append(',').Append(vip).Append(',').Append(name).Append('\n');
        }

        var options = new CsvImportOptions
        {
            Mode = validRowsOnly ? CsvImportMode.ImportValidRows : CsvImportMode.AllOrNothing,
            BatchSize = 1 + (batch % 7),
            MaxReportedProblems = 5,
        };
        var staged = await ImportAsync(passThrough: false, storeHasCustomers, csv.ToString(), options);
        var spooled = await ImportAsync(passThrough: true, storeHasCustomers, csv.ToString(), options);

        Assert.Equal(spooled.Outcome, staged.Outcome);
        Assert.Equal(spooled.Customers, staged.Customers);
    }

    private static async Task<(string Outcome, List<string> Customers)> ImportAsync(bool passThrough, bool storeHasCustomers, string csv, CsvImportOptions options)
    {
        var services = new ServiceCollection();
        services.AddSingleton<TimeProvider>(new FakeTimeProvider(T0));
        if (passThrough)
        {
            services.AddSingleton<InMemoryCustomerStore>();
            services.AddSingleton<ICustomerStore>(sp => new PassThroughCustomerStore(sp.GetRequiredService<InMemoryCustomerStore>()));
        }

        services.AddJourneys();
        await using var provider = services.BuildServiceProvider();
        var store = provider.GetRequiredService<ICustomerStore>();
        Assert.Equal(passThrough, store is PassThroughCustomerStore);
        await store.SaveSchemaAsync(SampleJourneys.Schema);
        if (storeHasCustomers)
        {
            await store.UpsertAsync([
                new Customer("c1", [new("age", 5d), new("email", "c1@example.com")], "Europe/Madrid"),
                new Customer("c2", [new("vip", true), new("firstName", "Two")]),
                new Customer("z9", [new("age", 9d)]),
            ]);
        }

        string outcome;
        try
        {
            var report = await provider.GetRequiredService<IAudienceManager>().ImportCsvAsync(Csv(csv), options);
            outcome = string.Join(" | ", report.RowsRead, report.Created, report.Updated, report.Rejected, report.ProblemCount, string.Join(" / ", report.Problems));
        }
        catch (CsvImportException e)
        {
            outcome = string.Join(" | ", "refused", e.RowsRead, e.ProblemCount, string.Join(" / ", e.Problems));
        }

        var customers = new List<string>();
        await foreach (var customer in store.ScanAsync())
        {
            customers.Add($"{customer.Id} {customer.TimeZoneId} {string.Join(";", customer.Fields.OrderBy(f => f.Key, StringComparer.Ordinal))}");
        }

        return (outcome, customers);
    }
}
