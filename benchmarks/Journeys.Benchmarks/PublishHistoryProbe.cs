using System.Collections.Immutable;
using System.Diagnostics;
using System.Globalization;
using Journeys.Building;
using Journeys.Messaging;
using Journeys.Model;
using Journeys.Runtime;
using Journeys.PostgreSql;
using Journeys.Sqlite;
using Journeys.Storage;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace Journeys.Benchmarks;

/// <summary>
/// Not BenchmarkDotNet: what one published event costs while many other journeys are stored (each one-shot sending is
/// a journey; finished ones stay). One active event-entry journey, <c>journeys</c> draft journeys beside it, then
/// <c>events</c> events published one call each (none makes an entry), timed; the engine is not started.
/// Run: <c>dotnet run -c Release --project benchmarks/Journeys.Benchmarks -- publish-history [journeys=1000] [events=2000] [sqlite|memory|postgres]</c> (<c>postgres</c>: the server of <c>JOURNEYS_TEST_POSTGRES</c>, a fresh schema, dropped after).
/// </summary>
internal static class PublishHistoryProbe
{
    public static Task RunAsync(int journeys, int events, string store) => WithProviderAsync(store, async provider =>
    {
        var manager = provider.GetRequiredService<IJourneyManager>();
        await manager.CreateAsync(Journey("active", "bought"));
        await manager.ActivateAsync("active");
        for (var i = 0; i < journeys; i++)
        {
            await manager.CreateAsync(Journey(string.Create(CultureInfo.InvariantCulture, $"other-{i:D5}"), "other"));
        }

        var journeyStore = provider.GetRequiredService<IJourneyStore>();
        for (var round = 0; round < 5; round++)
        {
            var listWatch = Stopwatch.StartNew();
            var seen = 0;
            for (var i = 0; i < events; i++)
            {
                await foreach (var record in journeyStore.ListAsync())
                {
                    seen += record.Journey.Version;
                }
            }

            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{store}, {journeys:N0} other journeys: a listing alone {listWatch.Elapsed.TotalMilliseconds * 1000 / events:N0} µs ({seen / events} records)"));

            var watch = Stopwatch.StartNew();
            for (var i = 0; i < events; i++)
            {
                await manager.PublishAsync([new CustomerEvent(BenchmarkData.CustomerId(i), "viewed", ImmutableDictionary<string, FieldValue>.Empty, DateTimeOffset.UtcNow)]);
            }

            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{store}, {journeys:N0} other journeys: {events:N0} events one call each, {watch.Elapsed.TotalMilliseconds * 1000 / events:N0} µs per event"));
        }
    });

    /// <summary>
    /// <c>sending-list [sendings=1000] [sqlite|memory|postgres]</c>: N one-shot sendings (one customer each; the engine
    /// is not started), then the whole list (<see cref="Sendings.ISendingManager.ListAsync(CancellationToken)"/>, what
    /// <c>GET /sendings</c> answered before it had pages) against its first page of 100 (<c>ListPageAsync</c>, what it
    /// answers now), five rounds.
    /// </summary>
    public static Task SendingListAsync(int sendings, string store) => WithProviderAsync(store, async provider =>
    {
        await provider.GetRequiredService<ICustomerStore>().UpsertAsync([new Customer(BenchmarkData.CustomerId(0), ImmutableDictionary<string, FieldValue>.Empty)]);
        var manager = provider.GetRequiredService<Sendings.ISendingManager>();
        for (var i = 0; i < sendings; i++)
        {
            await manager.SendToListAsync(new Sendings.SendingRequest("follow-up") { SendingId = string.Create(CultureInfo.InvariantCulture, $"s{i:D5}"), Variables = [new VariableBinding("name", "firstName", "friend")] }, new[] { BenchmarkData.CustomerId(0) }.ToAsyncEnumerable());
        }

        for (var round = 0; round < 5; round++)
        {
            var watch = Stopwatch.StartNew();
            var all = await manager.ListAsync().CountAsync();
            var whole = watch.Elapsed;
            watch.Restart();
            var page = await manager.ListPageAsync(null, 100).CountAsync();
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{store}, {sendings:N0} sendings: the whole list ({all:N0}) {whole.TotalMilliseconds:N1} ms; the first page ({page}) {watch.Elapsed.TotalMilliseconds:N1} ms"));
        }
    });

    private static async Task WithProviderAsync(string store, Func<IServiceProvider, Task> probe)
    {
        var folder = Path.Combine(Path.GetTempPath(), "journeys-publish-history", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(folder);
        var schema = "bench_" + Guid.NewGuid().ToString("N");
        await using var dataSource = store == "postgres"
            ? new NpgsqlDataSourceBuilder(Environment.GetEnvironmentVariable(PostgreSqlStoreBenchmarks.ServerVariable) is { Length: > 0 } value ? value : throw new InvalidOperationException($"Set {PostgreSqlStoreBenchmarks.ServerVariable} to a PostgreSQL connection string.")).Build()
            : null;
        try
        {
            var services = new ServiceCollection();
            services.AddJourneys(j =>
            {
                j.AddSender(Channel.Push, NullChannelSender.Instance).AddCampaigns(BenchmarkData.Campaigns.Campaigns);
                if (store == "sqlite")
                {
                    j.UseSqlite($"Data Source={Path.Combine(folder, "probe.db")}");
                }
                else if (dataSource is not null)
                {
                    j.UsePostgreSql(dataSource, o => o.SchemaName = schema);
                }
            });
            await using var provider = services.BuildServiceProvider();
            await provider.GetRequiredService<ICustomerStore>().SaveSchemaAsync(BenchmarkData.Schema);
            await probe(provider);
        }
        finally
        {
            if (dataSource is not null)
            {
                await using var drop = dataSource.CreateCommand($"DROP SCHEMA IF EXISTS {schema} CASCADE");
                await drop.ExecuteNonQueryAsync();
            }

            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            Directory.Delete(folder, recursive: true);
        }
    }

    private static JourneyDefinition Journey(string id, string eventName) =>
        JourneyBuilder.Create(id, id).EnterOnEvent(eventName)
            .Steps(p => p.Send(Channel.Push, "follow-up", v => v.Bind("name", "firstName", "friend"), id: "push"))
            .Build();
}
