using System.Runtime.CompilerServices;
using Journeys.Building;
using Journeys.Runtime;
using Journeys.Storage;
using Journeys.Storage.InMemory;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Time.Testing;

namespace Journeys.Tests.Runtime;

public sealed class ConcurrentActivationTests
{
    private static readonly DateTimeOffset T0 = new(2026, 5, 4, 9, 0, 0, TimeSpan.Zero);

    [Fact]
    public async Task Two_activations_of_one_journey_at_once_enroll_its_audience_once_and_leave_no_intake_pending()
    {
        // Both used to read the draft and save an intake; the store keeps one per journey, so the second replaced the
        // first's. The first then won the save (the second's ETag was stale) but found no intake of its own to run: it
        // enrolled nobody, and the second's intake stayed pending for a runner to enroll the audience at some later wake.
        var store = new PausingJourneyStore();
        var services = new ServiceCollection();
        services.AddSingleton<TimeProvider>(new FakeTimeProvider(T0));
        services.AddJourneys();
        services.Replace(ServiceDescriptor.Singleton<IJourneyStore>(store));
        await using var provider = services.BuildServiceProvider();
        var manager = provider.GetRequiredService<IJourneyManager>();
        await manager.PutCustomersAsync([.. Enumerable.Range(0, 10).Select(i => new Customer($"c{i}"))]);
        await manager.CreateAsync(JourneyBuilder.Create("race", "Race").EnterAllCustomers()
            .Steps(p => p.Delay(TimeSpan.FromDays(1), id: "wait")).Build());

        // The first stops after saving its intake, until the second has saved one too or waits for the first.
        store.Flow.Value = new StrongBox<int>();
        var first = Outcome(manager.ActivateAsync("race").AsTask());
        EngineHost.Eventually(() => store.IntakesSaved == 1, "the first activation's intake");
        store.Flow.Value = new StrongBox<int>();
        var second = Outcome(manager.ActivateAsync("race").AsTask());
        var activations = provider.GetRequiredService<JourneyStopGuard>().Activations;
        EngineHost.Eventually(() => store.IntakesSaved == 2 || activations.Waiting == 1, "the second activation's intake, or its wait");
        store.ResumeFirst();
        var results = await Task.WhenAll(first, second);

        // One activation enrolled the audience; the other enrolled nobody, refused (its ETag stale) or finding the journey active.
        Assert.Equal(10, results.Sum(r => r.Enrolled));
        Assert.Contains(results, r => r.Enrolled == 0 && r.Refused is null or JourneyConcurrencyException);
        Assert.Equal(10, await CountAsync(provider.GetRequiredService<IEnrollmentStore>().ListByJourneyAsync("race", null)));
        Assert.Equal(0, await CountAsync(store.ListIntakesAsync()));
        Assert.Equal(JourneyStatus.Active, (await manager.GetAsync("race"))!.Journey.Status);
    }

    private static async Task<(int Enrolled, Exception? Refused)> Outcome(Task<(JourneyRecord Journey, int Enrolled)> activation)
    {
        try
        {
            return ((await activation.WaitAsync(TimeSpan.FromSeconds(30))).Enrolled, null);
        }
        catch (JourneyConcurrencyException refused)
        {
            return (0, refused);
        }
    }

    private static async Task<int> CountAsync<T>(IAsyncEnumerable<T> items)
    {
        var count = 0;
        await foreach (var _ in items)
        {
            count++;
        }

        return count;
    }

    /// <summary>
    /// An in-memory journey store that holds the first activation after its intake is saved (until <see cref="ResumeFirst"/>),
    /// and a second activation's intake until the first has saved the journey active, so the first wins the save. Each
    /// activation is called with its own <see cref="Flow"/> (a box the store numbers it in).
    /// </summary>
    private sealed class PausingJourneyStore : IJourneyStore
    {
        private readonly InMemoryJourneyStore _inner = new();
        private readonly TaskCompletionSource _resumeFirst = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private readonly TaskCompletionSource _firstActiveSaved = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private int _intakes;

        public AsyncLocal<StrongBox<int>?> Flow { get; } = new();

        public int IntakesSaved => Volatile.Read(ref _intakes);

        public void ResumeFirst() => _resumeFirst.TrySetResult();

        public async ValueTask SaveIntakeAsync(JourneyIntake intake, CancellationToken cancellationToken = default)
        {
            await _inner.SaveIntakeAsync(intake, cancellationToken);
            var order = Flow.Value!.Value = Interlocked.Increment(ref _intakes);
            await (order == 1 ? _resumeFirst.Task : _firstActiveSaved.Task).WaitAsync(TimeSpan.FromSeconds(30), cancellationToken);
        }

        public async ValueTask<JourneyRecord> SaveAsync(JourneyDefinition journey, string? expectedETag, CancellationToken cancellationToken = default)
        {
            try
            {
                return await _inner.SaveAsync(journey, expectedETag, cancellationToken);
            }
            finally
            {
                if (journey.Status == JourneyStatus.Active && Flow.Value?.Value == 1)
                {
                    _firstActiveSaved.TrySetResult();
                }
            }
        }

        public ValueTask<JourneyRecord?> GetAsync(string journeyId, CancellationToken cancellationToken = default) => _inner.GetAsync(journeyId, cancellationToken);

        public ValueTask<JourneyRecord?> GetVersionAsync(string journeyId, int version, CancellationToken cancellationToken = default) => _inner.GetVersionAsync(journeyId, version, cancellationToken);

        public IAsyncEnumerable<JourneyRecord> ListAsync(CancellationToken cancellationToken = default) => _inner.ListAsync(cancellationToken);

        public ValueTask<bool> DeleteAsync(string journeyId, CancellationToken cancellationToken = default) => _inner.DeleteAsync(journeyId, cancellationToken);

        public IAsyncEnumerable<JourneyIntake> ListIntakesAsync(CancellationToken cancellationToken = default) => _inner.ListIntakesAsync(cancellationToken);

        public ValueTask<JourneyIntake?> ClaimIntakeAsync(string journeyId, Guid intakeId, string owner, DateTimeOffset now, TimeSpan lease, CancellationToken cancellationToken = default) =>
            _inner.ClaimIntakeAsync(journeyId, intakeId, owner, now, lease, cancellationToken);

        public ValueTask<bool> CompleteIntakeAsync(string journeyId, Guid intakeId, string owner, CancellationToken cancellationToken = default) => _inner.CompleteIntakeAsync(journeyId, intakeId, owner, cancellationToken);

        public ValueTask<bool> ReleaseIntakeAsync(string journeyId, Guid intakeId, string owner, DateTimeOffset now, CancellationToken cancellationToken = default) =>
            _inner.ReleaseIntakeAsync(journeyId, intakeId, owner, now, cancellationToken);
    }
}
