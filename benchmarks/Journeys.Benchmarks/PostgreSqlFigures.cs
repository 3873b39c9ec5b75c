using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using Journeys.Building;
using Journeys.Messaging;
using Journeys.Model;
using Journeys.Runtime;
using Journeys.Storage;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Npgsql;
using NpgsqlTypes;

namespace Journeys.Benchmarks;

/// <summary>
/// PostgreSQL figures over loopback, measured with a Stopwatch (a run takes minutes of database work, too long for
/// BenchmarkDotNet's iterations): the raw batched-upsert limit of the server beside the engine's durable checkpoints
/// per second with 1, 2 and 4 hosts, and timer lateness. Needs <c>JOURNEYS_TEST_POSTGRES</c>; works in fresh schemas
/// that it drops afterwards. Run: <c>dotnet run -c Release --project benchmarks/Journeys.Benchmarks -- postgres [customers]</c>.
/// </summary>
internal static class PostgreSqlFigures
{
    private const int BaselineRows = 1_000_000;
    private const int BatchRows = 1_000;
    private const int BaselineBatches = 30;
    private static readonly TimeSpan Delay = TimeSpan.FromSeconds(2);

    public static async Task RunAsync(int customers)
    {
        var connectionString = Environment.GetEnvironmentVariable("JOURNEYS_TEST_POSTGRES")
            ?? throw new InvalidOperationException("Set JOURNEYS_TEST_POSTGRES to an Npgsql connection string (see .ci/postgres-setup).");
        await using var dataSource = new NpgsqlDataSourceBuilder(connectionString).Build();
        var baseline = await BaselineAsync(dataSource);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"raw baseline: prepared unnest upserts of random-key enrollment rows, {BatchRows} per transaction, {BaselineRows:N0} rows present: {baseline:N0} rows/s"));
        foreach (var hosts in new[] { 1, 2, 4 })
        {
            var (checkpointsPerSecond, p50, p99) = await EngineAsync(connectionString, hosts, customers);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"engine, {hosts} host(s), {customers:N0} enrollments x (send, {Delay.TotalSeconds:0} s delay, send): {checkpointsPerSecond:N0} durable checkpoints/s ({checkpointsPerSecond / baseline:P0} of raw); delay lateness p50 {p50.TotalMilliseconds:N0} ms, p99 {p99.TotalMilliseconds:N0} ms"));
        }
    }

    // One table shaped like the store's enrollments, 1,000,000 rows loaded with COPY, then timed batches of 1,000
    // random-key upserts (half new keys, half existing), one transaction each, through one prepared statement.
    private static async Task<double> BaselineAsync(NpgsqlDataSource dataSource)
    {
        var schema = "bench" + Guid.NewGuid().ToString("N");
        await ExecuteAsync(dataSource, $"""
            CREATE SCHEMA {schema};
            CREATE TABLE {schema}.enrollments (customer_id text COLLATE "C" NOT NULL, enrollment_id uuid NOT NULL, journey_id text NOT NULL,
                status smallint NOT NULL, current_node text, wake_at timestamptz, token bigint NOT NULL, updated_at timestamptz NOT NULL,
                PRIMARY KEY (customer_id, enrollment_id));
            CREATE INDEX ON {schema}.enrollments (wake_at) WHERE status = 1;
            """);
        try
        {
            var keys = new (string Customer, Guid Id)[BaselineRows];
            var random = new Random(42);
            await using (var connection = await dataSource.OpenConnectionAsync())
            await using (var import = await connection.BeginBinaryImportAsync($"COPY {schema}.enrollments (customer_id, enrollment_id, journey_id, status, current_node, wake_at, token, updated_at) FROM STDIN (FORMAT BINARY)"))
            {
                var now = DateTime.UtcNow;
                for (var i = 0; i < BaselineRows; i++)
                {
                    keys[i] = ($"customer-{random.Next():x8}-{i}", Guid.NewGuid());
                    await import.StartRowAsync();
                    await import.WriteAsync(keys[i].Customer, NpgsqlDbType.Text);
                    await import.WriteAsync(keys[i].Id, NpgsqlDbType.Uuid);
                    await import.WriteAsync("journey", NpgsqlDbType.Text);
                    await import.WriteAsync((short)1, NpgsqlDbType.Smallint);
                    await import.WriteAsync("wait", NpgsqlDbType.Text);
                    await import.WriteAsync(now.AddSeconds(random.Next(86_400)), NpgsqlDbType.TimestampTz);
                    await import.WriteAsync(1L, NpgsqlDbType.Bigint);
                    await import.WriteAsync(now, NpgsqlDbType.TimestampTz);
                }

                await import.CompleteAsync();
            }

            await ExecuteAsync(dataSource, $"ANALYZE {schema}.enrollments");
            await using var upsertConnection = await dataSource.OpenConnectionAsync();
            await using var upsert = new NpgsqlCommand($"""
                INSERT INTO {schema}.enrollments (customer_id, enrollment_id, journey_id, status, current_node, wake_at, token, updated_at)
                SELECT c, id, 'journey', 1, 'next', w, 1, now() FROM unnest($1::text[], $2::uuid[], $3::timestamptz[]) AS u(c, id, w)
                ON CONFLICT (customer_id, enrollment_id) DO UPDATE SET current_node = excluded.current_node, wake_at = excluded.wake_at,
                    token = {schema}.enrollments.token + 1, updated_at = excluded.updated_at
                """, upsertConnection);
            var customerIds = new NpgsqlParameter<string[]>();
            var ids = new NpgsqlParameter<Guid[]>();
            var wakes = new NpgsqlParameter<DateTime[]> { NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.TimestampTz };
            upsert.Parameters.Add(customerIds);
            upsert.Parameters.Add(ids);
            upsert.Parameters.Add(wakes);
            await upsert.PrepareAsync();
            var watch = new Stopwatch();
            for (var batch = 0; batch < BaselineBatches + 3; batch++)
            {
                var c = new string[BatchRows];
                var e = new Guid[BatchRows];
                var w = new DateTime[BatchRows];
                for (var i = 0; i < BatchRows; i++)
                {
                    if (i % 2 == 0)
                    {
                        // 7919 is prime and coprime with 1,000,000: distinct, scattered existing keys (one row may not be upserted twice in a statement).
                        (c[i], e[i]) = keys[(int)((((long)batch * BatchRows) + i) * 7919 % BaselineRows)];
                    }
                    else
                    {
                        (c[i], e[i]) = ($"customer-{random.Next():x8}-new-{batch}-{i}", Guid.NewGuid());
                    }

                    w[i] = DateTime.UtcNow.AddSeconds(random.Next(86_400));
                }

                // The first batches warm the plan and the cache; they are not timed.
                if (batch == 3)
                {
                    watch.Start();
                }

                customerIds.TypedValue = c;
                ids.TypedValue = e;
                wakes.TypedValue = w;
                await using var transaction = await upsertConnection.BeginTransactionAsync();
                upsert.Transaction = transaction;
                await upsert.ExecuteNonQueryAsync();
                await transaction.CommitAsync();
            }

            return BaselineBatches * BatchRows / watch.Elapsed.TotalSeconds;
        }
        finally
        {
            await ExecuteAsync(dataSource, $"DROP SCHEMA {schema} CASCADE");
        }
    }

    private static async Task<(double CheckpointsPerSecond, TimeSpan P50, TimeSpan P99)> EngineAsync(string connectionString, int hostCount, int customers)
    {
        var schema = "bench" + Guid.NewGuid().ToString("N");
        var firstSends = new ConcurrentDictionary<string, long>(StringComparer.Ordinal);
        var lateness = new ConcurrentBag<long>();
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var sender = new TimingSender(firstSends, lateness, done, customers);
        var hosts = new List<(ServiceProvider Services, IHostedService[] Hosted, NpgsqlDataSource DataSource)>();
        try
        {
            for (var i = 0; i < hostCount; i++)
            {
                var dataSource = new NpgsqlDataSourceBuilder(connectionString).Build();
                var services = new ServiceCollection();
                services.AddJourneys(j => j
                    .UsePostgreSql(dataSource, o =>
                    {
                        o.SchemaName = schema;

                        // An engine-only host: one connection per shard (docs/storage.md, Connections).
                        o.MaxConcurrentOperations = 2;
                    })
                    .AddSender(Channel.Email, sender)
                    .AddCampaigns(new Campaign("first", Channel.Email, "Hello"), new Campaign("second", Channel.Email, "Hello again"))
                    .Configure(o =>
                    {
                        o.OwnerId = $"bench-host-{i}";
                        o.ShardCount = 2;
                        o.BatchSize = 256;
                        o.LeaseDuration = TimeSpan.FromSeconds(30);
                        o.MaxIdle = TimeSpan.FromSeconds(1);
                    }));
                var provider = services.BuildServiceProvider();
                hosts.Add((provider, [.. provider.GetServices<IHostedService>()], dataSource));
            }

            var first = hosts[0].Services;
            var customerStore = first.GetRequiredService<ICustomerStore>();
            foreach (var chunk in Enumerable.Range(0, customers).Chunk(1000))
            {
                await customerStore.UpsertAsync([.. chunk.Select(i => new Customer($"customer-{i:D7}"))]);
            }

            foreach (var host in hosts)
            {
                foreach (var service in host.Hosted)
                {
                    await service.StartAsync(default);
                }
            }

            var manager = first.GetRequiredService<IJourneyManager>();
            await manager.CreateAsync(JourneyBuilder.Create("bench", "Bench")
                .EnterAllCustomers()
                .Steps(p => p.Send(Channel.Email, "first", id: "first").Delay(Delay, id: "pause").Send(Channel.Email, "second", id: "second"))
                .Build());
            var watch = Stopwatch.StartNew();
            await manager.ActivateAsync("bench");
            await done.Task.WaitAsync(TimeSpan.FromMinutes(20));
            watch.Stop();

            // Two checkpoints per enrollment: the wait at the delay, and the end after the second send. The fixed delay is
            // part of the elapsed time, so the rate is a lower bound for small runs.
            var sorted = lateness.Order().ToArray();
            return (2.0 * customers / watch.Elapsed.TotalSeconds, Percentile(sorted, 0.50), Percentile(sorted, 0.99));
        }
        finally
        {
            foreach (var host in hosts)
            {
                foreach (var service in host.Hosted.Reverse())
                {
                    await service.StopAsync(default);
                }

                await host.Services.DisposeAsync();
                await host.DataSource.DisposeAsync();
            }

            await using var dataSource = new NpgsqlDataSourceBuilder(connectionString).Build();
            await ExecuteAsync(dataSource, $"DROP SCHEMA IF EXISTS {schema} CASCADE");
        }
    }

    private static TimeSpan Percentile(long[] sorted, double p) =>
        sorted.Length == 0 ? TimeSpan.Zero : TimeSpan.FromTicks(sorted[Math.Min(sorted.Length - 1, (int)(p * sorted.Length))]);

    private static async Task ExecuteAsync(NpgsqlDataSource dataSource, string sql)
    {
        await using var command = dataSource.CreateCommand(sql);
        command.CommandTimeout = 600;
        await command.ExecuteNonQueryAsync();
    }

    /// <summary>
    /// Records when each customer's first message is dispatched; the second message's dispatch minus the first's minus
    /// the delay approximates timer lateness (due time to processing; both dispatches add similar outbox latency).
    /// </summary>
    private sealed class TimingSender(ConcurrentDictionary<string, long> firstSends, ConcurrentBag<long> lateness, TaskCompletionSource done, int customers) : IChannelSender
    {
        private int _seconds;

        public ValueTask<SendResult> SendAsync(OutboundMessage message, CancellationToken cancellationToken)
        {
            var now = Stopwatch.GetTimestamp();
            if (string.Equals(message.CampaignId, "first", StringComparison.Ordinal))
            {
                firstSends.TryAdd(message.CustomerId, now);
            }
            else if (firstSends.TryGetValue(message.CustomerId, out var first))
            {
                lateness.Add(Math.Max(0, (Stopwatch.GetElapsedTime(first, now) - Delay).Ticks));
                if (Interlocked.Increment(ref _seconds) == customers)
                {
                    done.TrySetResult();
                }
            }

            return ValueTask.FromResult(SendResult.Sent);
        }
    }
}
