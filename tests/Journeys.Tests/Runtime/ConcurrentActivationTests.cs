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

    [Fact]
    public async Task Two_hosts_sharing_a_store_that_activate_one_journey_from_one_read_enroll_its_audience_once_at_once()
    {
        // Each host orders only its own activations (ActivationLock): here both read the draft before either saves. When
        // the intake was saved before the journey, the second host's intake replaced the first's, the first won the
        // journey's save and enrolled nobody (its intake was gone), and the second's intake stayed pending, claimed by the
        // host whose save was refused, until its claim expired. The store now saves the intake with the journey, both or
        // neither: the host whose save is refused leaves nothing behind.
        var time = new FakeTimeProvider(T0);
        var store = new InterleavingJourneyStore(new InMemoryJourneyStore(time));
        var customers = new InMemoryCustomerStore();
        var enrollments = new InMemoryEngineStore(customers);
        await using var hostA = Host("host-a", time, store, customers, enrollments);
        await using var hostB = Host("host-b", time, store, customers, enrollments);
        var managerA = hostA.GetRequiredService<IJourneyManager>();
        var managerB = hostB.GetRequiredService<IJourneyManager>();
        await managerA.PutCustomersAsync([.. Enumerable.Range(0, 10).Select(i => new Customer($"c{i}"))]);
        await managerA.CreateAsync(JourneyBuilder.Create("race", "Race").EnterAllCustomers()
            .Steps(p => p.Delay(TimeSpan.FromDays(1), id: "wait")).Build());

        var results = await Task.WhenAll(
            Outcome(Task.Run(() => store.Activate(managerA, "race"))),
            Outcome(Task.Run(() => store.Activate(managerB, "race"))));

        // One host enrolled the whole audience before its activation returned; the other enrolled nobody, refused (it read
        // the draft: its ETag was stale) or finding the journey active.
        Assert.Equal(2, store.Reads);
        Assert.Equal([0, 10], results.Select(r => r.Enrolled).Order());
        Assert.Contains(results, r => r.Enrolled == 0 && r.Refused is null or JourneyConcurrencyException);
        var entered = await CountPerCustomerAsync(enrollments.ListByJourneyAsync("race", null));
        Assert.Equal(10, entered.Count);
        Assert.All(entered.Values, count => Assert.Equal(1, count));
        Assert.Empty(await store.ListIntakesAsync().ToListAsync());
        Assert.Equal(JourneyStatus.Active, (await managerB.GetAsync("race"))!.Journey.Status);
    }

    /// <summary>A host on the shared in-memory stores (its own engine, activation lock and entry gate, as another process has).</summary>
    private static ServiceProvider Host(string owner, FakeTimeProvider time, IJourneyStore journeys, InMemoryCustomerStore customers, InMemoryEngineStore enrollments)
    {
        var services = new ServiceCollection();
        services.AddSingleton<TimeProvider>(time);
        services.AddSingleton(journeys);
        services.AddSingleton(customers);
        services.AddSingleton(enrollments);
        services.AddJourneys(j => j.Configure(o => o.OwnerId = owner));
        return services.BuildServiceProvider();
    }

    private static async Task<Dictionary<string, int>> CountPerCustomerAsync(IAsyncEnumerable<Enrollment> enrollments)
    {
        var counts = new Dictionary<string, int>(StringComparer.Ordinal);
        await foreach (var enrollment in enrollments)
        {
            counts[enrollment.CustomerId] = counts.GetValueOrDefault(enrollment.CustomerId) + 1;
        }

        return counts;
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
    /// A journey store shared by two hosts that interleaves their activations (each called through <see cref="Activate"/>):
    /// each activation's read of the journey waits until both have read it, so both read the draft. An intake saved on its
    /// own (as activations did before the store saved it with the journey) waits until both are saved, and the second
    /// then until the first has saved the journey: the second's intake replaces the first's, and the first wins the
    /// journey's save. An intake saved with the journey goes to the store as one call.
    /// </summary>
    private sealed class InterleavingJourneyStore(IJourneyStore inner) : ForwardingJourneyStore(inner), IJourneyStore
    {
        private readonly AsyncLocal<Flow?> _flow = new();
        private readonly TaskCompletionSource _bothRead = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private readonly TaskCompletionSource _bothIntakes = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private readonly TaskCompletionSource _firstSaved = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private int _reads;
        private int _intakes;

        public int Reads => Volatile.Read(ref _reads);

        public async Task<(JourneyRecord Journey, int Enrolled)> Activate(IJourneyManager manager, string journeyId)
        {
            _flow.Value = new Flow();
            return await manager.ActivateAsync(journeyId);
        }

        public override async ValueTask<JourneyRecord?> GetAsync(string journeyId, CancellationToken cancellationToken = default)
        {
            var read = await Inner.GetAsync(journeyId, cancellationToken);
            if (_flow.Value is { Read: false } flow)
            {
                flow.Read = true;
                if (Interlocked.Increment(ref _reads) == 2)
                {
                    _bothRead.TrySetResult();
                }

                await _bothRead.Task.WaitAsync(TimeSpan.FromSeconds(30), cancellationToken);
            }

            return read;
        }

        public override async ValueTask SaveIntakeAsync(JourneyIntake intake, CancellationToken cancellationToken = default)
        {
            await Inner.SaveIntakeAsync(intake, cancellationToken);
            if (_flow.Value is { } flow)
            {
                flow.Order = Interlocked.Increment(ref _intakes);
                if (flow.Order == 2)
                {
                    _bothIntakes.TrySetResult();
                }

                await (flow.Order == 1 ? _bothIntakes.Task : _firstSaved.Task).WaitAsync(TimeSpan.FromSeconds(30), cancellationToken);
            }
        }

        public override async ValueTask<JourneyRecord> SaveAsync(JourneyDefinition journey, string? expectedETag, CancellationToken cancellationToken = default)
        {
            try
            {
                return await Inner.SaveAsync(journey, expectedETag, cancellationToken);
            }
            finally
            {
                if (_flow.Value?.Order == 1)
                {
                    _firstSaved.TrySetResult();
                }
            }
        }

        // The store's own atomic save (the interface is implemented again here so that this replaces its default).
        public ValueTask<JourneyRecord> SaveWithIntakeAsync(JourneyDefinition journey, string? expectedETag, JourneyIntake intake, CancellationToken cancellationToken = default) =>
            Inner.SaveWithIntakeAsync(journey, expectedETag, intake, cancellationToken);

        /// <summary>One activation: whether it read the journey yet, and its intake's place among the intakes saved alone.</summary>
        private sealed class Flow
        {
            public bool Read { get; set; }

            public int Order { get; set; }
        }
    }

    /// <summary>
    /// An in-memory journey store that holds the first activation after its intake is saved (until <see cref="ResumeFirst"/>),
    /// and a second activation's intake until the first has saved the journey active, so the first wins the save. Each
    /// activation is called with its own <see cref="Flow"/> (a box the store numbers it in).
    /// </summary>
    private sealed class PausingJourneyStore() : ForwardingJourneyStore(new InMemoryJourneyStore())
    {
        private readonly TaskCompletionSource _resumeFirst = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private readonly TaskCompletionSource _firstActiveSaved = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private int _intakes;

        public AsyncLocal<StrongBox<int>?> Flow { get; } = new();

        public int IntakesSaved => Volatile.Read(ref _intakes);

        public void ResumeFirst() => _resumeFirst.TrySetResult();

        public override async ValueTask SaveIntakeAsync(JourneyIntake intake, CancellationToken cancellationToken = default)
        {
            await Inner.SaveIntakeAsync(intake, cancellationToken);
            var order = Flow.Value!.Value = Interlocked.Increment(ref _intakes);
            await (order == 1 ? _resumeFirst.Task : _firstActiveSaved.Task).WaitAsync(TimeSpan.FromSeconds(30), cancellationToken);
        }

        public override async ValueTask<JourneyRecord> SaveAsync(JourneyDefinition journey, string? expectedETag, CancellationToken cancellationToken = default)
        {
            try
            {
                return await Inner.SaveAsync(journey, expectedETag, cancellationToken);
            }
            finally
            {
                if (journey.Status == JourneyStatus.Active && Flow.Value?.Value == 1)
                {
                    _firstActiveSaved.TrySetResult();
                }
            }
        }

    }

    /// <summary>
    /// A journey store that passes every call to <see cref="Inner"/>, for the stores above to override what they hook.
    /// <see cref="IJourneyStore.SaveWithIntakeAsync"/> is left to the interface's default (the intake saved, then the
    /// journey, through the overridable calls) unless a store implements the interface again.
    /// </summary>
    private abstract class ForwardingJourneyStore(IJourneyStore inner) : IJourneyStore
    {
        protected IJourneyStore Inner => inner;

        public virtual ValueTask<JourneyRecord> SaveAsync(JourneyDefinition journey, string? expectedETag, CancellationToken cancellationToken = default) => inner.SaveAsync(journey, expectedETag, cancellationToken);

        public virtual ValueTask<JourneyRecord?> GetAsync(string journeyId, CancellationToken cancellationToken = default) => inner.GetAsync(journeyId, cancellationToken);

        public virtual ValueTask SaveIntakeAsync(JourneyIntake intake, CancellationToken cancellationToken = default) => inner.SaveIntakeAsync(intake, cancellationToken);

        public ValueTask<JourneyRecord?> GetVersionAsync(string journeyId, int version, CancellationToken cancellationToken = default) => inner.GetVersionAsync(journeyId, version, cancellationToken);

        public IAsyncEnumerable<JourneyRecord> ListAsync(CancellationToken cancellationToken = default) => inner.ListAsync(cancellationToken);

        public ValueTask<bool> DeleteAsync(string journeyId, CancellationToken cancellationToken = default) => inner.DeleteAsync(journeyId, cancellationToken);

        public IAsyncEnumerable<JourneyIntake> ListIntakesAsync(CancellationToken cancellationToken = default) => inner.ListIntakesAsync(cancellationToken);

        public ValueTask<JourneyIntake?> ClaimIntakeAsync(string journeyId, Guid intakeId, string owner, DateTimeOffset now, TimeSpan lease, CancellationToken cancellationToken = default) =>
            inner.ClaimIntakeAsync(journeyId, intakeId, owner, now, lease, cancellationToken);

        public ValueTask<bool> CompleteIntakeAsync(string journeyId, Guid intakeId, string owner, CancellationToken cancellationToken = default) => inner.CompleteIntakeAsync(journeyId, intakeId, owner, cancellationToken);

        public ValueTask<bool> ReleaseIntakeAsync(string journeyId, Guid intakeId, string owner, DateTimeOffset now, CancellationToken cancellationToken = default) =>
            inner.ReleaseIntakeAsync(journeyId, intakeId, owner, now, cancellationToken);
    }
}
