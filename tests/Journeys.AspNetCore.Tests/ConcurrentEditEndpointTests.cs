using System.Net;
using Journeys.Storage;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Journeys.AspNetCore.Tests;

/// <summary>
/// Two writes of one journey at once: the store's ETag lets one win, the other is refused with 409 and writes nothing
/// (a request without If-Match is checked against the ETag it read). The second request runs inside the first's save.
/// </summary>
public sealed class ConcurrentEditEndpointTests
{
    [Fact]
    public async Task A_state_edit_that_lands_while_a_start_validates_stands_and_the_start_is_409_enrolling_nobody()
    {
        var hook = new SaveHook();
        await using var host = await StartAsync(hook);
        await ApiAssert.Json(await host.Client.PostAsync("/journeys-api/journeys", JourneyEndpointTests.Document(ApiHost.Tips())), HttpStatusCode.Created);
        HttpResponseMessage? edit = null;
        hook.BeforeFirst(j => j.Status == JourneyStatus.Active, async () =>
            edit = await host.Client.PutAsync("/journeys-api/journeys/tips-journey/states/ignored", JourneyEndpointTests.Body("""{"type": "exit", "id": "ignored", "reason": "edited"}""")));

        var start = await host.Client.PutAsync("/journeys-api/journeys/tips-journey/start", null);

        await ApiAssert.Json(edit!, HttpStatusCode.OK);
        var problem = await ApiAssert.Problem(start, HttpStatusCode.Conflict);
        Assert.Contains("changed since it was read", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
        var stored = (await host.Manager.GetAsync("tips-journey"))!.Journey;
        Assert.Equal((JourneyStatus.Draft, 1, "edited"), (stored.Status, stored.Version, ((ExitNode)stored.FindNode("ignored")!).Reason));
        Assert.Equal(0, (await host.Manager.GetStatisticsAsync("tips-journey")).Get(StatisticCounter.Entered));
        Assert.Empty(await host.Services.GetRequiredService<IEnrollmentStore>().GetByCustomerAsync("c0"));
    }

    [Fact]
    public async Task Two_updates_of_an_active_journey_at_once_make_one_new_version_and_the_other_is_409()
    {
        var hook = new SaveHook();
        await using var host = await StartAsync(hook);
        await ApiAssert.Json(await host.Client.PostAsync("/journeys-api/journeys", JourneyEndpointTests.Document(ApiHost.Tips())), HttpStatusCode.Created);
        await ApiAssert.Json(await host.Client.PutAsync("/journeys-api/journeys/tips-journey/start", null), HttpStatusCode.OK);
        HttpResponseMessage? second = null;
        hook.BeforeFirst(j => j.Name == "First", async () =>
            second = await host.Client.PutAsync("/journeys-api/journeys/tips-journey", JourneyEndpointTests.Document(ApiHost.Tips() with { Name = "Second" })));

        var first = await host.Client.PutAsync("/journeys-api/journeys/tips-journey", JourneyEndpointTests.Document(ApiHost.Tips() with { Name = "First" }));

        Assert.Equal(2, (await ApiAssert.Json(second!, HttpStatusCode.OK)).GetProperty("version").GetInt32());
        await ApiAssert.Problem(first, HttpStatusCode.Conflict);
        var store = host.Services.GetRequiredService<IJourneyStore>();
        Assert.Equal(("Second", JourneyStatus.Draft, 2), ((await store.GetAsync("tips-journey"))!.Journey.Name, (await store.GetAsync("tips-journey"))!.Journey.Status, (await store.GetAsync("tips-journey"))!.Journey.Version));
        Assert.Null(await store.GetVersionAsync("tips-journey", 3));
        Assert.Equal(JourneyStatus.Active, (await store.GetVersionAsync("tips-journey", 1))!.Journey.Status);
    }

    private static Task<ApiHost> StartAsync(SaveHook hook) => ApiHost.StartAsync(services: s =>
    {
        var original = s.Last(d => d.ServiceType == typeof(IJourneyStore));
        s.Replace(ServiceDescriptor.Singleton<IJourneyStore>(sp => hook.Wrap((IJourneyStore)original.ImplementationFactory!(sp))));
    });

    /// <summary>Runs a hook once, just before the first save of a journey that matches, reaches the store.</summary>
    private sealed class SaveHook
    {
        private Func<JourneyDefinition, bool>? _match;
        private Func<Task>? _hook;

        public void BeforeFirst(Func<JourneyDefinition, bool> match, Func<Task> hook) => (_match, _hook) = (match, hook);

        public IJourneyStore Wrap(IJourneyStore inner) => new Store(inner, this);

        private sealed class Store(IJourneyStore inner, SaveHook owner) : IJourneyStore
        {
            public async ValueTask<JourneyRecord> SaveAsync(JourneyDefinition journey, string? expectedETag, CancellationToken cancellationToken = default)
            {
                if (owner._match?.Invoke(journey) == true && Interlocked.Exchange(ref owner._hook, null) is { } hook)
                {
                    await hook();
                }

                return await inner.SaveAsync(journey, expectedETag, cancellationToken);
            }

            public ValueTask<JourneyRecord?> GetAsync(string journeyId, CancellationToken cancellationToken = default) => inner.GetAsync(journeyId, cancellationToken);

            public ValueTask<JourneyRecord?> GetVersionAsync(string journeyId, int version, CancellationToken cancellationToken = default) => inner.GetVersionAsync(journeyId, version, cancellationToken);

            public IAsyncEnumerable<JourneyRecord> ListAsync(CancellationToken cancellationToken = default) => inner.ListAsync(cancellationToken);

            public ValueTask<bool> DeleteAsync(string journeyId, CancellationToken cancellationToken = default) => inner.DeleteAsync(journeyId, cancellationToken);

            public ValueTask SaveIntakeAsync(JourneyIntake intake, CancellationToken cancellationToken = default) => inner.SaveIntakeAsync(intake, cancellationToken);

            public IAsyncEnumerable<JourneyIntake> ListIntakesAsync(CancellationToken cancellationToken = default) => inner.ListIntakesAsync(cancellationToken);

            public ValueTask<JourneyIntake?> ClaimIntakeAsync(string journeyId, Guid intakeId, string owner, DateTimeOffset now, TimeSpan lease, CancellationToken cancellationToken = default) =>
                inner.ClaimIntakeAsync(journeyId, intakeId, owner, now, lease, cancellationToken);

            public ValueTask<bool> CompleteIntakeAsync(string journeyId, Guid intakeId, string owner, CancellationToken cancellationToken = default) => inner.CompleteIntakeAsync(journeyId, intakeId, owner, cancellationToken);
        }
    }
}
