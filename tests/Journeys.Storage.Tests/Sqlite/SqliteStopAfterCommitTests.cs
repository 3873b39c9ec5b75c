using System.Runtime.CompilerServices;
using Journeys.Audiences;
using Journeys.Building;
using Journeys.Messaging;
using Journeys.Runtime;
using Journeys.Tests.Shared;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Time.Testing;

namespace Journeys.Storage.Tests.Sqlite;

/// <summary>The engine stopped just after a batch's commit, then a new host on the same SQLite file.</summary>
public sealed class SqliteStopAfterCommitTests : IDisposable
{
    private static readonly DateTimeOffset T0 = new(2026, 5, 4, 9, 0, 0, TimeSpan.Zero);
    private readonly SqliteTestFile _file = new();

    public void Dispose() => _file.Dispose();

    [Fact]
    public async Task A_stop_just_after_an_update_node_committed_still_enters_the_customer_into_the_filter_journey_it_now_matches()
    {
        var time = new FakeTimeProvider(T0);
        var first = new RecordingChannelSender();
        var journeys = new StopOnFilterLookup();
        await using (var provider = Build(time, first, journeys))
        {
            await provider.GetRequiredService<IAudienceManager>().DefineFieldAsync(new FieldDefinition("vip", FieldType.Boolean, false));
            await provider.GetRequiredService<ICustomerStore>().UpsertAsync([new Customer("ana")]);
            var engine = provider.GetServices<IHostedService>().OfType<BackgroundService>().Single();
            await using var running = await HostedServices.RunAsync(provider);
            var manager = provider.GetRequiredService<IJourneyManager>();

            // From here the test's own calls are marked (the engine's loops, started above, do not carry the mark).
            StopOnFilterLookup.ByTest.Value = true;
            await manager.CreateAsync(JourneyBuilder.Create("vip-welcome", "VIP welcome").EnterWhen(Condition.Eq("vip", true))
                .Steps(p => p.Send(Channel.Push, "tips", id: "push")).Build());
            await manager.ActivateAsync("vip-welcome");
            await manager.CreateAsync(JourneyBuilder.Create("promote", "Promote").EnterOnEvent("promote")
                .Steps(p => p.UpdateCustomer("vip", true, id: "set-vip")).Build());
            await manager.ActivateAsync("promote");

            // The host is stopped as the engine, its update committed, looks for the filter journeys to re-check.
            journeys.StopWith(engine);
            await manager.PublishAsync([new CustomerEvent("ana", "promote", [], T0)]);
            Assert.True(journeys.Stopping.Wait(TimeSpan.FromSeconds(60)), "the engine never re-checked the filter journeys");
            await journeys.Stopped!.WaitAsync(TimeSpan.FromSeconds(60));
            Assert.Empty(first.Messages);
        }

        // A new host on the file: once the stopped engine's leases expire, ana is welcomed as a VIP.
        var second = new RecordingChannelSender();
        await using (var provider = Build(time, second, new StopOnFilterLookup()))
        {
            await using var running = await HostedServices.RunAsync(provider);
            Assert.True(
                SpinWait.SpinUntil(
                    () =>
                    {
                        time.Advance(TimeSpan.FromMinutes(1));
                        return second.Messages.Any(m => m.CustomerId == "ana");
                    },
                    TimeSpan.FromSeconds(60)),
                "ana, made a VIP by the committed update, never entered the VIP journey");
        }
    }

    private ServiceProvider Build(FakeTimeProvider time, IChannelSender push, StopOnFilterLookup journeys)
    {
        var services = new ServiceCollection();
        services.AddSingleton<TimeProvider>(time);
        services.AddJourneys(j => j
            .UseSqlite(_file.ConnectionString)
            .AddSender(Channel.Push, push)
            .AddCampaigns(new Campaign("tips", Channel.Push, "VIP tips"))
            .Configure(o => o.ShardCount = 1));
        var stored = services.Last(d => d.ServiceType == typeof(IJourneyStore));
        services.AddSingleton<IJourneyStore>(sp => journeys.Wrap((IJourneyStore)stored.ImplementationFactory!(sp)));
        return services.BuildServiceProvider();
    }

    /// <summary>A journey store that, once armed, stops the engine when the engine lists the journeys (its filter re-check).</summary>
    private sealed class StopOnFilterLookup
    {
        public static readonly AsyncLocal<bool> ByTest = new();

        private BackgroundService? _engine;
        private int _armed;

        public ManualResetEventSlim Stopping { get; } = new();

        public Task? Stopped { get; private set; }

        public void StopWith(BackgroundService engine)
        {
            _engine = engine;
            Volatile.Write(ref _armed, 1);
        }

        public IJourneyStore Wrap(IJourneyStore inner) => new Store(inner, this);

        private void OnList()
        {
            // The engine's own call (the test's calls through the manager are marked).
            if (!ByTest.Value && Interlocked.Exchange(ref _armed, 0) == 1)
            {
                Stopped = _engine!.StopAsync(CancellationToken.None);
                Stopping.Set();
            }
        }

        private sealed class Store(IJourneyStore inner, StopOnFilterLookup hook) : DelegatingJourneyStore(inner)
        {
            public override async IAsyncEnumerable<JourneyRecord> ListAsync([EnumeratorCancellation] CancellationToken cancellationToken = default)
            {
                hook.OnList();
                await foreach (var record in InnerStore.ListAsync(cancellationToken))
                {
                    yield return record;
                }
            }
        }
    }
}
