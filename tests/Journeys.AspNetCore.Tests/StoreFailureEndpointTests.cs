using System.Net;
using System.Reflection;
using Journeys.Audiences;
using Journeys.Runtime;
using Journeys.Sendings;
using Journeys.Storage;
using Microsoft.Extensions.DependencyInjection;

namespace Journeys.AspNetCore.Tests;

/// <summary>
/// Routes that map a documented <see cref="InvalidOperationException"/> (journey not active, sending id taken) to 409
/// must not map every other one there: a store that fails to write throws it too (the SQLite store's errors are
/// InvalidOperationException), and that is the server's failure, not the caller's conflict.
/// </summary>
public sealed class StoreFailureEndpointTests
{
    private const string StoreFailure = "The SQLite store failed to commit the write transaction in 'journeys.db': disk I/O error (SQLite error 10); nothing of it was written.";

    [Fact]
    public async Task A_store_failure_in_a_csv_enrollment_into_an_active_journey_is_not_reported_as_not_active()
    {
        await using var host = await ApiHost.StartAsync(services: s => Fail<IAudienceManager>(s, nameof(IAudienceManager.EnrollCsvAsync)));
        await ApiAssert.Json(await host.Client.PostAsync("/journeys-api/journeys", JourneyEndpointTests.Document(ApiHost.Tips())), HttpStatusCode.Created);
        await ApiAssert.Json(await host.Client.PutAsync("/journeys-api/journeys/tips-journey/start", null), HttpStatusCode.OK);

        // Was 409 "Journey 'tips-journey' is not active: start it ..." for a journey that is active.
        var failure = await Assert.ThrowsAsync<InvalidOperationException>(() => host.Client.PutAsync("/journeys-api/journeys/tips-journey/customers/csv", CsvImportEndpointTests.Csv("customerId\nn1\n")));
        Assert.Equal(StoreFailure, failure.Message);
    }

    [Theory]
    [InlineData("/journeys-api/sendings/list", """{"campaignId": "tips", "sendingId": "s-new", "customerIds": ["c1"]}""")]
    [InlineData("/journeys-api/sendings/list", """{"campaignId": "tips", "customerIds": ["c1"]}""")]
    [InlineData("/journeys-api/sendings/all", """{"campaignId": "tips", "sendingId": "s-new"}""")]
    public async Task A_store_failure_in_a_sending_is_not_reported_as_a_taken_sending_id(string route, string body)
    {
        await using var host = await ApiHost.StartAsync(services: s => Fail<ISendingManager>(s, nameof(ISendingManager.SendToListAsync), nameof(ISendingManager.SendToAllAsync)));

        // Was 409 with the store's message: no sending has that id, so nothing conflicts.
        var failure = await Assert.ThrowsAsync<InvalidOperationException>(() => host.Client.PostAsync(route, JourneyEndpointTests.Body(body)));
        Assert.Equal(StoreFailure, failure.Message);
    }

    [Fact]
    public async Task A_sending_id_taken_by_another_audience_is_409()
    {
        await using var host = await ApiHost.StartAsync();
        await ApiAssert.Json(await host.Client.PostAsync("/journeys-api/sendings/all", JourneyEndpointTests.Body("""{"campaignId": "tips", "sendingId": "taken"}""")), HttpStatusCode.Accepted);

        var conflict = await ApiAssert.Problem(
            await host.Client.PostAsync("/journeys-api/sendings/list", JourneyEndpointTests.Body("""{"campaignId": "tips", "sendingId": "taken", "customerIds": ["c1"]}""")),
            HttpStatusCode.Conflict);
        Assert.Contains("'taken' already exists with another campaign or audience", conflict.GetProperty("detail").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_journey_stopped_while_customers_are_put_is_409_saying_what_was_saved_and_that_no_one_was_enrolled()
    {
        // The journey is stopped after the route's "is it active" check and before the enrollment: the manager's
        // PutCustomersAsync is where the proxy stops it.
        await using var host = await ApiHost.StartAsync(services: s =>
        {
            var registered = s.Single(d => d.ServiceType == typeof(IJourneyManager));
            s.Remove(registered);
            s.AddSingleton(provider =>
            {
                var proxy = DispatchProxy.Create<IJourneyManager, StopBeforePutProxy>();
                ((StopBeforePutProxy)(object)proxy).Initialize((IJourneyManager)ActivatorUtilities.CreateInstance(provider, registered.ImplementationType!), "tips-journey");
                return proxy;
            });
        });
        await ApiAssert.Json(await host.Client.PostAsync("/journeys-api/journeys", JourneyEndpointTests.Document(ApiHost.Tips())), HttpStatusCode.Created);
        await ApiAssert.Json(await host.Client.PutAsync("/journeys-api/journeys/tips-journey/start", null), HttpStatusCode.OK);

        // Was a 500 (the enrollment's InvalidOperationException, unmapped) with the customer already written.
        var conflict = await ApiAssert.Problem(
            await host.Client.PutAsync("/journeys-api/journeys/tips-journey/customers", JourneyEndpointTests.Body("""{"customers": [{"id": "late-1"}]}""")),
            HttpStatusCode.Conflict);
        Assert.Equal(
            "Journey 'tips-journey' was stopped while the customers were being put: their fields were saved (1 created, 0 updated) and no customer was enrolled.",
            conflict.GetProperty("detail").GetString());
        Assert.NotNull(await host.Services.GetRequiredService<ICustomerStore>().GetAsync("late-1"));
        Assert.Empty(await host.Services.GetRequiredService<IEnrollmentStore>().GetByCustomerAsync("late-1"));
    }

    /// <summary>An <see cref="IJourneyManager"/> that stops a journey just before it puts customers (a stop racing the request).</summary>
    public class StopBeforePutProxy : DispatchProxy
    {
        private IJourneyManager _inner = null!;
        private string _journeyId = "";

        internal void Initialize(IJourneyManager inner, string journeyId) => (_inner, _journeyId) = (inner, journeyId);

        protected override object? Invoke(MethodInfo? targetMethod, object?[]? args)
        {
            if (targetMethod!.Name == nameof(IJourneyManager.PutCustomersAsync))
            {
                _inner.StopAsync(_journeyId).AsTask().GetAwaiter().GetResult();
            }

            return Forward(targetMethod, _inner, args);
        }
    }

    /// <summary>Replaces the registered <typeparamref name="T"/> by a proxy whose <paramref name="methods"/> throw <see cref="StoreFailure"/>.</summary>
    private static void Fail<T>(IServiceCollection services, params string[] methods)
        where T : class
    {
        var registered = services.Single(d => d.ServiceType == typeof(T));
        services.Remove(registered);
        services.AddSingleton(provider =>
        {
            var proxy = DispatchProxy.Create<T, FailingProxy>();
            ((FailingProxy)(object)proxy).Initialize(ActivatorUtilities.CreateInstance(provider, registered.ImplementationType!), methods);
            return proxy;
        });
    }

    /// <summary>Passes every call on, except the named methods, which fail as a store that cannot write does.</summary>
    public class FailingProxy : DispatchProxy
    {
        private object _inner = null!;
        private string[] _methods = [];

        internal void Initialize(object inner, string[] methods) => (_inner, _methods) = (inner, methods);

        protected override object? Invoke(MethodInfo? targetMethod, object?[]? args)
        {
            if (_methods.Contains(targetMethod!.Name))
            {
                // As the stores fail: the ValueTask faults (the call does not throw synchronously).
                var result = targetMethod.ReturnType.GetGenericArguments()[0];
                return typeof(StoreFailureEndpointTests).GetMethod(nameof(Faulted), BindingFlags.NonPublic | BindingFlags.Static)!.MakeGenericMethod(result).Invoke(null, null);
            }

            return Forward(targetMethod, _inner, args);
        }
    }

    /// <summary>Calls <paramref name="method"/> on <paramref name="inner"/>, rethrowing what it throws as itself (not wrapped).</summary>
    private static object? Forward(MethodInfo method, object inner, object?[]? args)
    {
        try
        {
            return method.Invoke(inner, args);
        }
        catch (TargetInvocationException ex) when (ex.InnerException is not null)
        {
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(ex.InnerException);
            throw;
        }
    }

    private static ValueTask<TResult> Faulted<TResult>() => ValueTask.FromException<TResult>(new InvalidOperationException(StoreFailure));
}
