using System.Net;
using Journeys.Model;
using Journeys.Storage;
using Microsoft.Extensions.DependencyInjection;

namespace Journeys.AspNetCore.Tests;

/// <summary>
/// <c>PUT /journeys/{id}/customers</c> creates the ids it is given that are no customer yet. Another writer (an import,
/// the engine's update node, another host) may create one of them between the route's read and its write: the route
/// must not replace that customer with an empty one.
/// </summary>
public sealed class PutCustomersRaceTests
{
    [Fact]
    public async Task A_customer_created_by_another_writer_after_the_routes_read_keeps_its_fields()
    {
        await using var host = await ApiHost.StartAsync(services: s =>
        {
            var registered = s.Single(d => d.ServiceType == typeof(ICustomerStore));
            s.Remove(registered);
            s.AddSingleton<ICustomerStore>(p => new WriteAfterReadStore((ICustomerStore)registered.ImplementationFactory!(p), "raced"));
        });
        await ApiAssert.Json(await host.Client.PostAsync("/journeys-api/journeys", JourneyEndpointTests.Document(ApiHost.Tips())), HttpStatusCode.Created);
        await ApiAssert.Json(await host.Client.PutAsync("/journeys-api/journeys/tips-journey/start", null), HttpStatusCode.OK);

        var answer = await ApiAssert.Json(
            await host.Client.PutAsync("/journeys-api/journeys/tips-journey/customers", JourneyEndpointTests.Body("""{"customerIds": ["raced"]}""")),
            HttpStatusCode.OK);

        var store = host.Services.GetRequiredService<ICustomerStore>();
        var customer = await store.GetAsync("raced");
        Assert.NotNull(customer);
        Assert.Equal(FieldValue.FromBoolean(true), customer.Fields["vip"]);
        Assert.Equal(0, answer.GetProperty("customersCreated").GetInt32());
        // The journey enters all customers: the write of the customer enrolls it, so the route's own entry finds it active.
        Assert.Equal(1, answer.GetProperty("enrolled").GetInt32() + answer.GetProperty("alreadyActive").GetInt32());
    }

    /// <summary>
    /// Answers the first batch read that finds <paramref name="racedId"/> missing as it was, but creates that customer
    /// (with a field) right after the read: a write that lands between a caller's read and its write.
    /// </summary>
    private sealed class WriteAfterReadStore(ICustomerStore inner, string racedId) : ICustomerStore
    {
        private int _raced;

        public ValueTask<Customer?> GetAsync(string customerId, CancellationToken cancellationToken = default) => inner.GetAsync(customerId, cancellationToken);

        public async ValueTask<IReadOnlyList<Customer?>> GetManyAsync(IReadOnlyList<string> customerIds, CancellationToken cancellationToken = default)
        {
            var read = await inner.GetManyAsync(customerIds, cancellationToken);
            for (var i = 0; i < customerIds.Count; i++)
            {
                if (customerIds[i] == racedId && read[i] is null && Interlocked.Exchange(ref _raced, 1) == 0)
                {
                    await inner.UpsertAsync([new Customer(racedId, new Dictionary<string, FieldValue> { ["vip"] = true })], cancellationToken);
                }
            }

            return read;
        }

        public ValueTask<CustomerMergeResult> MergeAsync(IReadOnlyList<CustomerPatch> patches, CancellationToken cancellationToken = default) => inner.MergeAsync(patches, cancellationToken);

        public ValueTask<CustomerFieldSchema> GetSchemaAsync(CancellationToken cancellationToken = default) => inner.GetSchemaAsync(cancellationToken);

        public ValueTask SaveSchemaAsync(CustomerFieldSchema schema, CancellationToken cancellationToken = default) => inner.SaveSchemaAsync(schema, cancellationToken);

        public ValueTask<CustomerUpsertResult> UpsertAsync(IReadOnlyList<Customer> customers, CancellationToken cancellationToken = default) => inner.UpsertAsync(customers, cancellationToken);

        public ValueTask<bool> DeleteAsync(string customerId, CancellationToken cancellationToken = default) => inner.DeleteAsync(customerId, cancellationToken);

        public IAsyncEnumerable<Customer> ScanAsync(CancellationToken cancellationToken = default) => inner.ScanAsync(cancellationToken);
    }
}
