using Journeys.Audiences;
using Journeys.Building;
using Journeys.Runtime;
using Journeys.Storage;
using Journeys.Storage.InMemory;
using Journeys.Tests.Building;
using Journeys.Tests.Runtime;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using static Journeys.Tests.Audiences.AudienceHost;

namespace Journeys.Tests.Audiences;

/// <summary>
/// A put, a CSV patch or a list entry's creation of a customer while the engine's update node writes another field of
/// that customer: both values stay. The engine's write is made to land after the audience call has begun, at its first
/// read of the customers (a read-merge-write then writes the old value back) or at its merge (atomic in the store).
/// </summary>
public sealed class PutDuringUpdateTests
{
    [Fact]
    public async Task A_put_by_fields_keeps_the_field_the_update_node_set_meanwhile()
    {
        await using var host = await Host.StartAsync();

        var report = await host.DuringPromotionAsync("c1", () => host.Audience.PutCustomersAsync([new CustomerInput("c1", new Dictionary<string, object?> { ["age"] = 31 })]).AsTask());

        Assert.Equal((0, 1), (report.Created, report.Updated));
        var c1 = (await host.Customers.GetAsync("c1"))!;
        Assert.Equal((true, 31d, "Ana"), (c1.GetField("vip").AsBoolean(), c1.GetField("age").AsNumber(), c1.GetField("firstName").AsString()));
    }

    [Fact]
    public async Task A_csv_patch_keeps_the_field_the_update_node_set_meanwhile()
    {
        await using var host = await Host.StartAsync();

        var report = await host.DuringPromotionAsync("c1", () => host.Audience.ImportCsvAsync(Csv("customerId,age\nc1,31\n")).AsTask());

        Assert.Equal((1L, 0, 1), (report.RowsRead, report.Created, report.Updated));
        var c1 = (await host.Customers.GetAsync("c1"))!;
        Assert.Equal((true, 31d, "Ana"), (c1.GetField("vip").AsBoolean(), c1.GetField("age").AsNumber(), c1.GetField("firstName").AsString()));
    }

    [Fact]
    public async Task A_list_entry_does_not_replace_a_customer_created_after_it_found_them_missing()
    {
        // The update node of an enrollment of an unknown customer creates them with the field.
        await using var host = await Host.StartAsync();
        await host.Journeys.CreateAsync(JourneyBuilder.Create("list", "List").EnterFromList([]).Steps(p => p.Delay(TimeSpan.FromDays(2), id: "wait")).Build());
        await host.Journeys.ActivateAsync("list");

        var report = await host.DuringPromotionAsync("new", () => host.Audience.EnrollListAsync("list", ["new"]).AsTask());

        Assert.Equal((0, 1), (report.Created, report.Enrolled));
        Assert.True((await host.Customers.GetAsync("new"))!.GetField("vip").AsBoolean());
    }

    /// <summary>
    /// The engine (running, on the in-memory stores) with an event journey whose update node sets <c>vip</c>, and the
    /// customer store seen by the audience manager wrapped so that a test can run the engine's write in the middle of an
    /// audience call. c1 is stored with vip false and a first name.
    /// </summary>
    private sealed class Host : IAsyncDisposable
    {
        private static readonly AsyncLocal<string?> Armed = new();
        private readonly ServiceProvider _services;
        private readonly IAsyncDisposable _running;
        private readonly InterleavingStore _store;

        private Host(ServiceProvider services, IAsyncDisposable running, InterleavingStore store) => (_services, _running, _store) = (services, running, store);

        public IAudienceManager Audience => _services.GetRequiredService<IAudienceManager>();

        public IJourneyManager Journeys => _services.GetRequiredService<IJourneyManager>();

        /// <summary>The store itself (reads here never run the hook).</summary>
        public InMemoryCustomerStore Customers => _services.GetRequiredService<InMemoryCustomerStore>();

        public static async Task<Host> StartAsync()
        {
            var services = new ServiceCollection();
            services.AddSingleton<TimeProvider>(new FakeTimeProvider(T0));
            services.AddSingleton<InMemoryCustomerStore>();
            services.AddSingleton<InterleavingStore>(sp => new InterleavingStore(sp.GetRequiredService<InMemoryCustomerStore>()));
            services.AddSingleton<ICustomerStore>(sp => sp.GetRequiredService<InterleavingStore>());
            services.AddJourneys();
            var provider = services.BuildServiceProvider();
            var customers = provider.GetRequiredService<InMemoryCustomerStore>();
            await customers.SaveSchemaAsync(SampleJourneys.Schema);
            await customers.UpsertAsync([new Customer("c1", [new("vip", false), new("firstName", "Ana")])]);
            var manager = provider.GetRequiredService<IJourneyManager>();
            await manager.CreateAsync(JourneyBuilder.Create("promote", "Promote").EnterOnEvent("promote").Steps(p => p.UpdateCustomer("vip", true, id: "set-vip")).Build());
            await manager.ActivateAsync("promote");
            return new Host(provider, await EngineHost.RunHostedAsync(provider), provider.GetRequiredService<InterleavingStore>());
        }

        /// <summary>
        /// Runs <paramref name="call"/>; at its first read or merge of customers in the store, the customer is promoted
        /// (the event goes in, and the engine's update node sets vip) before the call goes on.
        /// </summary>
        public async Task<T> DuringPromotionAsync<T>(string customerId, Func<Task<T>> call)
        {
            _store.Hook = async () =>
            {
                await Journeys.PublishAsync([new CustomerEvent(customerId, "promote", [], T0)]);
                EngineHost.Eventually(() => Customers.GetAsync(customerId).AsTask().GetAwaiter().GetResult()?.GetField("vip").AsBoolean() == true, "the update node's write");
            };
            Armed.Value = customerId;
            try
            {
                var result = await call();
                Assert.True(_store.Fired, "the call read or merged the customer");
                return result;
            }
            finally
            {
                Armed.Value = null;
            }
        }

        public async ValueTask DisposeAsync()
        {
            await _running.DisposeAsync();
            await _services.DisposeAsync();
        }

        /// <summary>Passes every call on; the armed call's first batch read runs the hook after reading, its first merge before merging.</summary>
        private sealed class InterleavingStore(ICustomerStore inner) : PassThroughCustomerStore(inner), ICustomerStore
        {
            private int _fired;

            public Func<Task>? Hook { get; set; }

            public bool Fired => _fired == 1;

            public async ValueTask<IReadOnlyList<Customer?>> GetManyAsync(IReadOnlyList<string> customerIds, CancellationToken cancellationToken = default)
            {
                var read = await Inner.GetManyAsync(customerIds, cancellationToken);
                await RunHookAsync(customerIds);
                return read;
            }

            public async ValueTask<CustomerMergeResult> MergeAsync(IReadOnlyList<CustomerPatch> patches, CancellationToken cancellationToken = default)
            {
                await RunHookAsync([.. patches.Select(p => p.CustomerId)]);
                return await Inner.MergeAsync(patches, cancellationToken);
            }

            private async Task RunHookAsync(IReadOnlyList<string> customerIds)
            {
                // Only in the test's call (the engine's own reads run in other flows), once.
                if (Armed.Value is { } id && customerIds.Contains(id) && Hook is { } hook && Interlocked.Exchange(ref _fired, 1) == 0)
                {
                    await hook();
                }
            }
        }
    }
}
