using System.Collections.Immutable;
using Journeys.Messaging;
using Microsoft.Extensions.Time.Testing;

namespace Journeys.Storage.Tests;

/// <summary>
/// The behaviour every store must have (docs/storage.md). A durable store derives from this class and creates fresh,
/// empty stores in <see cref="CreateStoresAsync"/>. Time is passed explicitly; nothing sleeps.
/// </summary>
public abstract partial class EngineStoreContractTests
{
    protected static readonly DateTimeOffset T0 = new(2025, 3, 1, 9, 0, 0, TimeSpan.Zero);

    protected static readonly TimeSpan Lease = TimeSpan.FromMinutes(1);

    protected FakeTimeProvider Time { get; } = new(T0);

    /// <summary>Creates empty stores that read <paramref name="timeProvider"/> where they need the time themselves.</summary>
    protected abstract ValueTask<StoreSet> CreateStoresAsync(TimeProvider timeProvider);

    protected ValueTask<StoreSet> CreateAsync() => CreateStoresAsync(Time);

    protected static JourneyDefinition Journey(string id, int version = 1, string name = "Journey") =>
        new(id, name, version, JourneyStatus.Draft, new AllCustomersEntry(), EntryRules.Default, ExitRules.None, [], "start");

    protected static EnrollmentRequest Request(
        string journeyId,
        string customerId,
        DateTimeOffset at,
        EntryRules? rules = null,
        int version = 1,
        params string[] wakeEvents) =>
        new(Guid.NewGuid(), journeyId, version, customerId, "start", at, rules ?? EntryRules.Default, wakeEvents);

    protected static CustomerEvent Event(string customerId, string name, DateTimeOffset time) =>
        new(customerId, name, ImmutableDictionary<string, FieldValue>.Empty, time);

    protected static OutboxMessage Message(string messageId, DateTimeOffset dueAt, string customerId = "c1", Guid? enrollmentId = null) =>
        new(new OutboundMessage(messageId, "key:" + messageId, Channel.Email, "campaign", customerId, "body", "j", 1, "send"), enrollmentId, dueAt);

    protected static EnrollmentCheckpoint Checkpoint(
        Enrollment state,
        long expectedToken,
        IReadOnlyList<OutboxMessage>? outbox = null,
        IReadOnlyList<CustomerFieldUpdate>? updates = null,
        IReadOnlyList<StatisticDelta>? statistics = null) =>
        new(state, expectedToken, outbox ?? [], updates ?? [], statistics ?? []);

    /// <summary>The claimed state moved to a waiting node with a timer.</summary>
    protected static Enrollment WaitUntil(Enrollment state, DateTimeOffset wakeAt, string nodeId = "wait", params string[] wakeEvents) =>
        state with { Status = EnrollmentStatus.Waiting, CurrentNodeId = nodeId, WakeAt = wakeAt, WakeEvents = wakeEvents, Visit = state.Visit + 1 };

    /// <summary>The claimed state moved to a node waiting only for events.</summary>
    protected static Enrollment WaitFor(Enrollment state, params string[] wakeEvents) =>
        state with { Status = EnrollmentStatus.Waiting, CurrentNodeId = "wait", WakeAt = null, AwaitedEvent = wakeEvents[0], WakeEvents = wakeEvents, Visit = state.Visit + 1 };

    protected static Enrollment Complete(Enrollment state, DateTimeOffset at) =>
        state with { Status = EnrollmentStatus.Completed, CurrentNodeId = null, WakeAt = null, UpdatedAt = at };

    protected static async Task<Enrollment> EnrollOneAsync(StoreSet stores, EnrollmentRequest request)
    {
        var outcome = Assert.Single(await stores.Enrollments.EnrollAsync([request]));
        Assert.Equal(EnrollmentOutcomeKind.Created, outcome.Kind);
        var enrollments = await stores.Enrollments.GetByCustomerAsync(request.CustomerId);
        return enrollments.Single(e => e.Id == request.EnrollmentId);
    }

    /// <summary>Enrolls, claims and commits a completion, so the customer has an ended enrollment at <paramref name="endAt"/>.</summary>
    protected static async Task<Enrollment> EnrollAndEndAsync(StoreSet stores, EnrollmentRequest request, DateTimeOffset endAt)
    {
        await EnrollOneAsync(stores, request);
        var item = Assert.Single(await stores.Enrollments.ClaimAsync("engine", request.At, 10, Lease), w => w.Enrollment.Id == request.EnrollmentId);
        var applied = await stores.Enrollments.CommitAsync("engine", [Checkpoint(Complete(item.Enrollment, endAt), item.Enrollment.ConcurrencyToken)]);
        Assert.True(Assert.Single(applied));
        return (await stores.Enrollments.GetByCustomerAsync(request.CustomerId)).Single(e => e.Id == request.EnrollmentId);
    }

    protected static async Task<List<T>> ToListAsync<T>(IAsyncEnumerable<T> source)
    {
        var list = new List<T>();
        await foreach (var item in source)
        {
            list.Add(item);
        }

        return list;
    }
}
