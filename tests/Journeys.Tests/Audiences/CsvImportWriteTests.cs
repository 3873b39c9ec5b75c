using System.Text;
using Journeys.Audiences;
using Journeys.Building;
using Journeys.Model;
using Journeys.Storage;
using Journeys.Storage.InMemory;
using Journeys.Tests.Building;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using static Journeys.Tests.Audiences.AudienceHost;

namespace Journeys.Tests.Audiences;

/// <summary>The import's write side: entry into all-customers and filter journeys, stores without the merge, huge rows, the duplicate finder.</summary>
public sealed class CsvImportWriteTests
{
    [Fact]
    public async Task Imported_customers_enter_active_all_customers_and_filter_journeys_by_their_merged_fields()
    {
        await using var host = await CreateAsync();
        await host.ActivateAsync(JourneyBuilder.Create("everyone", "Everyone").EnterAllCustomers()
            .Steps(p => p.Send(Channel.Push, "tips", id: "push")).Build());
        await host.ActivateAsync(JourneyBuilder.Create("vips", "VIPs").EnterWhen(Condition.Eq("vip", true))
            .Steps(p => p.Send(Channel.Push, "vip-tips", id: "vip-push")).Build());

        var first = await host.Audience.ImportCsvAsync(Csv("customerId,vip,age\nc1,true,30\nc2,false,40\n"));
        Assert.Equal((2, 3), (first.Created, first.Enrolled));
        Assert.Equal(["everyone", "vips"], (await host.Enrollments.GetByCustomerAsync("c1")).Select(e => e.JourneyId).Order());
        Assert.Equal(["everyone"], (await host.Enrollments.GetByCustomerAsync("c2")).Select(e => e.JourneyId));

        // c2 becomes a VIP through a file without the age column: the filter sees the merged customer; nobody enters
        // "everyone" twice while active.
        var second = await host.Audience.ImportCsvAsync(Csv("customerId,vip\nc2,yes\n"));
        Assert.Equal((1, 1), (second.Updated, second.Enrolled));
        Assert.Equal(["everyone", "vips"], (await host.Enrollments.GetByCustomerAsync("c2")).Select(e => e.JourneyId).Order());
        Assert.Equal(40d, (await host.Audience.GetCustomerAsync("c2"))!.GetField("age").AsNumber());
    }

    [Fact]
    public async Task A_store_without_the_compact_merge_gets_the_same_customers()
    {
        var services = new ServiceCollection();
        services.AddSingleton<TimeProvider>(new FakeTimeProvider(T0));
        services.AddSingleton<InMemoryCustomerStore>();
        services.AddSingleton<ICustomerStore>(sp => new PassThroughCustomerStore(sp.GetRequiredService<InMemoryCustomerStore>()));
        services.AddJourneys();
        await using var provider = services.BuildServiceProvider();
        var store = provider.GetRequiredService<ICustomerStore>();
        Assert.IsType<PassThroughCustomerStore>(store);
        await store.SaveSchemaAsync(SampleJourneys.Schema);
        await store.UpsertAsync([new Customer("c1", [new("firstName", "Ana"), new("age", 30d), new("vip", true)], "Europe/Madrid")]);

        var report = await provider.GetRequiredService<IAudienceManager>().ImportCsvAsync(
            Csv("customerId,age,vip,tags\nc1,31,,a|b\nc2,40,false,\n"), new CsvImportOptions { BatchSize = 1 });

        Assert.Equal((2L, 1, 1), (report.RowsRead, report.Created, report.Updated));
        var c1 = (await store.GetAsync("c1"))!;
        Assert.Equal(("Ana", 31d, "Europe/Madrid"), (c1.GetField("firstName").AsString(), c1.GetField("age").AsNumber(), c1.TimeZoneId));
        Assert.False(c1.Fields.ContainsKey("vip"));
        Assert.Equal(["a", "b"], c1.GetField("tags").AsStringList());
        var c2 = (await store.GetAsync("c2"))!;
        Assert.Equal((40d, false, false), (c2.GetField("age").AsNumber(), c2.GetField("vip").AsBoolean(), c2.Fields.ContainsKey("tags")));
    }

    [Fact]
    public async Task Rows_larger_than_the_spool_buffer_import_whole()
    {
        await using var host = await CreateAsync();
        var big = new string('é', 900_000); // 1.8 MB of UTF-8, over the spool's 1 MiB buffer
        var bigger = new string('x', 3_000_000);
        var csv = new StringBuilder("customerId,firstName,age\n");
        for (var i = 0; i < 50; i++)
        {
            csv.Append('c').Append(i).Append(',').Append(i switch { 7 => big, 8 => bigger, 30 => bigger, _ => "name" + i }).Append(',').Append(i).Append('\n');
        }

        var report = await host.Audience.ImportCsvAsync(Csv(csv.ToString()), new CsvImportOptions { MaxCellBytes = 4 << 20 });

        Assert.Equal(50, report.Created);
        Assert.Equal(big, (await host.Audience.GetCustomerAsync("c7"))!.GetField("firstName").AsString());
        Assert.Equal(bigger, (await host.Audience.GetCustomerAsync("c30"))!.GetField("firstName").AsString());
        var c31 = (await host.Audience.GetCustomerAsync("c31"))!;
        Assert.Equal(("name31", 31d), (c31.GetField("firstName").AsString(), c31.GetField("age").AsNumber()));
    }

    [Theory]
    [InlineData(16, 1_000)]
    [InlineData(1_000, 500)]
    [InlineData(64, 200_000)]
    public async Task The_duplicate_finder_reports_exactly_the_repeated_hashes_across_runs_on_disk(int runLength, int count)
    {
        var random = new Random(runLength + count);
        var values = Enumerable.Range(0, count).Select(_ => (ulong)random.NextInt64(1, count)).ToArray();
        var finder = new RepeatedHashFinder(runLength);
        await using (finder)
        {
            foreach (var value in values)
            {
                finder.Add(value);
            }

            var expected = values.GroupBy(v => v).Where(g => g.Count() > 1).Select(g => g.Key).ToHashSet();
            Assert.NotEmpty(expected);
            Assert.True(expected.SetEquals(await finder.FindRepeatedAsync(default)));
        }
    }

    [Fact]
    public async Task The_duplicate_finder_sorts_a_full_run_by_buckets_small_and_crafted_large()
    {
        // 300,000 hashes in one run (the radix path): uniform ones (buckets of about 5, sorted by insertion), 200 that
        // share their top 16 bits (one bucket over the insertion limit, the general sort) and planted repeats in both.
        var random = new Random(7);
        var values = new List<ulong>();
        for (var i = 0; i < 299_600; i++)
        {
            values.Add((ulong)random.NextInt64(long.MaxValue) | (1UL << 63));
        }

        for (var i = 0; i < 200; i++)
        {
            values.Add(0xABCD_0000_0000_0000UL | (uint)random.Next(1, 150));
        }

        for (var i = 0; i < 200; i++)
        {
            values.Add(values[random.Next(0, 299_600)]);
        }

        random.Shuffle(System.Runtime.InteropServices.CollectionsMarshal.AsSpan(values));
        var finder = new RepeatedHashFinder();
        await using (finder)
        {
            foreach (var value in values)
            {
                finder.Add(value);
            }

            var expected = values.GroupBy(v => v).Where(g => g.Count() > 1).Select(g => g.Key).ToHashSet();
            Assert.Contains(expected, v => v >> 48 == 0xABCD);
            Assert.Contains(expected, v => v >> 48 != 0xABCD);
            Assert.True(expected.SetEquals(await finder.FindRepeatedAsync(default)));
        }
    }

    [Fact]
    public async Task A_reimport_over_stored_customers_after_the_table_is_reserved_finds_every_one()
    {
        await using var host = await CreateAsync();
        var first = new StringBuilder("customerId,age\n");
        for (var i = 0; i < 3_000; i++)
        {
            first.Append('c').Append(i).Append(',').Append(i).Append('\n');
        }

        Assert.Equal(3_000, (await host.Audience.ImportCsvAsync(Csv(first.ToString()))).Created);

        // Half the ids stored, half new: the table is reserved for all 4,000 as new (one doubling past the need).
        var second = new StringBuilder("customerId,age\n");
        for (var i = 1_000; i < 5_000; i++)
        {
            second.Append('c').Append(i).Append(',').Append(i + 1).Append('\n');
        }

        var report = await host.Audience.ImportCsvAsync(Csv(second.ToString()), new CsvImportOptions { BatchSize = 300 });

        Assert.Equal((2_000, 2_000), (report.Created, report.Updated));
        foreach (var i in new[] { 0, 999, 1_000, 2_999, 3_000, 4_999 })
        {
            Assert.Equal((double)(i < 1_000 ? i : i + 1), (await host.Audience.GetCustomerAsync("c" + i))!.GetField("age").AsNumber());
        }
    }
}
