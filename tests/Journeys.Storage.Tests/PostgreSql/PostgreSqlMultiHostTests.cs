using System.Collections.Concurrent;
using Journeys.Building;
using Journeys.Messaging;
using Journeys.Runtime;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Npgsql;
using Xunit.Abstractions;

namespace Journeys.Storage.Tests.PostgreSql;

/// <summary>
/// Three engine hosts (each its own service provider and data source) share 10,000 enrollments of a
/// send → delay → send journey on one database; one host is killed midway without handing anything back, and the
/// others finish its work once its leases expire. Every step is applied exactly once: exactly 20,000 distinct
/// idempotency keys reach the senders and every counter is exact (a step applied twice would send with a new key).
/// </summary>
[RequiresPostgreSql]
public sealed class PostgreSqlMultiHostTests(ITestOutputHelper output) : IAsyncLifetime
{
    private const int Customers = 10_000;
    private const int Sends = Customers * 2;
    private static readonly TimeSpan Lease = TimeSpan.FromSeconds(3);
    private static readonly TimeSpan Patience = TimeSpan.FromMinutes(8);
    private readonly string _schema = PostgreSqlTestServer.NewSchema();

    public Task InitializeAsync() => Task.CompletedTask;

    public Task DisposeAsync() => PostgreSqlTestServer.DropSchemaAsync(_schema).AsTask();

    [Fact]
    public async Task Three_hosts_share_the_work_and_finish_a_killed_host_s_enrollments_exactly_once()
    {
        var delivered = new ConcurrentDictionary<string, int>(StringComparer.Ordinal);
        var allSent = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var killNow = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var hosts = Enumerable.Range(0, 3).Select(i => new EngineHost(i, _schema, new CountingSender(delivered, allSent, killNow))).ToArray();
        try
        {
            var customers = hosts[0].Services.GetRequiredService<ICustomerStore>();
            foreach (var chunk in Enumerable.Range(0, Customers).Chunk(1000))
            {
                await customers.UpsertAsync([.. chunk.Select(i => new Customer($"customer-{i:D5}"))]);
            }

            foreach (var host in hosts)
            {
                await host.StartAsync();
            }

            var manager = hosts[0].Services.GetRequiredService<IJourneyManager>();
            await manager.CreateAsync(JourneyBuilder.Create("two-sends", "Two sends")
                .EnterAllCustomers()
                .Steps(p => p.Send(Channel.Email, "first", id: "first").Delay(TimeSpan.FromSeconds(1), id: "pause").Send(Channel.Email, "second", id: "second"))
                .Build());
            var (_, enrolled) = await manager.ActivateAsync("two-sends");
            Assert.Equal(Customers, enrolled);

            // Kill host 0 abruptly once a fifth of the sends went out: its connections vanish, nothing is handed back.
            await killNow.Task.WaitAsync(Patience);
            var killedSends = hosts[0].Sender.Count;
            await hosts[0].KillAsync();

            await allSent.Task.WaitAsync(Patience);

            // A send's result (and its Sent counter) is recorded just after the sender returns: wait for the outbox to drain.
            await WaitForEmptyOutboxAsync();
            var statistics = await hosts[1].Services.GetRequiredService<IStatisticsStore>().GetAsync("two-sends", null);
            var enrollments = hosts[1].Services.GetRequiredService<IEnrollmentStore>();
            var ended = 0;
            await foreach (var enrollment in enrollments.ListByJourneyAsync("two-sends", null))
            {
                Assert.Equal(EnrollmentStatus.Completed, enrollment.Status);
                ended++;
            }

            var repeated = delivered.Values.Sum(v => v - 1);
            output.WriteLine($"hosts sent {string.Join(" / ", hosts.Select(h => h.Sender.Count))} (host 0 killed after {killedSends}); distinct keys {delivered.Count}; repeated deliveries of one key after the kill: {repeated}");
            Assert.Equal(Sends, delivered.Count);
            Assert.Equal(Customers, ended);
            Assert.True(killedSends > 0 && hosts[1].Sender.Count > 0 && hosts[2].Sender.Count > 0, "every host did part of the work");
            Assert.Equal(Customers, statistics.Get("first", StatisticCounter.Entered));
            Assert.Equal(Customers, statistics.Get("second", StatisticCounter.Entered));
            Assert.Equal(Customers, statistics.Get("first", StatisticCounter.Sent));
            Assert.Equal(Customers, statistics.Get("second", StatisticCounter.Sent));
        }
        finally
        {
            foreach (var host in hosts)
            {
                await host.DisposeAsync();
            }
        }
    }

    private async Task WaitForEmptyOutboxAsync()
    {
        await using var dataSource = PostgreSqlTestServer.CreateDataSource();
        using var patience = new CancellationTokenSource(Patience);
        while (true)
        {
            await using var command = dataSource.CreateCommand($"SELECT count(*) FROM {_schema}.outbox");
            if ((long)(await command.ExecuteScalarAsync(patience.Token))! == 0)
            {
                return;
            }

            await Task.Delay(TimeSpan.FromMilliseconds(100), patience.Token);
        }
    }

    private sealed class EngineHost : IAsyncDisposable
    {
        private readonly NpgsqlDataSource _dataSource = PostgreSqlTestServer.CreateDataSource();
        private IHostedService[] _hosted = [];
        private bool _stopped;

        public EngineHost(int index, string schema, CountingSender sender)
        {
            Sender = sender;
            var services = new ServiceCollection();
            services.AddJourneys(j => j
                .UsePostgreSql(_dataSource, o =>
                {
                    o.SchemaName = schema;
                    o.RetryDelay = TimeSpan.FromMilliseconds(50);
                    o.MaxRetryAttempts = 2;
                })
                .AddSender(Channel.Email, sender)
                .AddCampaigns(new Campaign("first", Channel.Email, "Hello"), new Campaign("second", Channel.Email, "Hello again"))
                .Configure(o =>
                {
                    o.OwnerId = $"host-{index}";
                    o.ShardCount = 2;
                    o.BatchSize = 100;
                    o.LeaseDuration = Lease;
                    o.MaxIdle = TimeSpan.FromSeconds(1);
                }));
            Services = services.BuildServiceProvider();
        }

        public ServiceProvider Services { get; }

        public CountingSender Sender { get; }

        public async Task StartAsync()
        {
            _hosted = [.. Services.GetServices<IHostedService>()];
            foreach (var service in _hosted)
            {
                await service.StartAsync(default);
            }
        }

        /// <summary>The data source goes first, so nothing this host holds (leases, claimed messages) is released or committed.</summary>
        public async Task KillAsync()
        {
            await _dataSource.DisposeAsync();
            await StopAsync();
        }

        public async ValueTask DisposeAsync()
        {
            await StopAsync();
            await Services.DisposeAsync();
            await _dataSource.DisposeAsync();
        }

        private async Task StopAsync()
        {
            if (_stopped)
            {
                return;
            }

            _stopped = true;
            foreach (var service in _hosted.Reverse())
            {
                await service.StopAsync(default);
            }
        }
    }

    private sealed class CountingSender(ConcurrentDictionary<string, int> delivered, TaskCompletionSource allSent, TaskCompletionSource killNow) : IChannelSender
    {
        private int _count;

        public int Count => Volatile.Read(ref _count);

        public ValueTask<SendResult> SendAsync(OutboundMessage message, CancellationToken cancellationToken)
        {
            Interlocked.Increment(ref _count);
            delivered.AddOrUpdate(message.IdempotencyKey, 1, static (_, n) => n + 1);
            var distinct = delivered.Count;
            if (distinct >= Sends / 5)
            {
                killNow.TrySetResult();
            }

            if (distinct >= Sends)
            {
                allSent.TrySetResult();
            }

            return ValueTask.FromResult(SendResult.Sent);
        }
    }
}
