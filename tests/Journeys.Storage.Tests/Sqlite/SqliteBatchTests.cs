using Journeys.Messaging;
using Journeys.Sqlite;
using Microsoft.Extensions.Time.Testing;

namespace Journeys.Storage.Tests.Sqlite;

/// <summary>
/// The SQLite store hands a batch's rows to SQLite as one JSON array (<c>json_each</c>): text of every kind must come
/// back exactly, and the per-checkpoint rules (stale token, repeated enrollment, repeated message) must hold as they do
/// when checkpoints are applied one by one.
/// </summary>
public sealed class SqliteBatchTests : IDisposable
{
    private const string Awkward = "Hola 😀 ñ é <b>&' \"quoted\" \\ back\\slash \u0001 \t end 𝄞";
    private static readonly DateTimeOffset T0 = new(2025, 3, 1, 9, 0, 0, TimeSpan.Zero);
    private static readonly TimeSpan Lease = TimeSpan.FromMinutes(1);
    private readonly SqliteTestFile _file = new();
    private readonly FakeTimeProvider _time = new(T0);

    public void Dispose() => _file.Dispose();

    [Fact]
    public async Task A_batch_commit_keeps_awkward_text_exactly_and_refuses_only_the_stale_checkpoint()
    {
        await using var stores = _file.Stores(_time);
        string[] customers = ["c-😀-1", "c-ñ-2", "c-3"];
        foreach (var customer in customers)
        {
            Assert.Equal(EnrollmentOutcomeKind.Created, Assert.Single(await stores.Enrollments.EnrollAsync([Request(customer)])).Kind);
        }

        var items = await stores.Enrollments.ClaimAsync("engine", T0, 10, Lease);
        Assert.Equal(3, items.Count);
        var first = items.Single(i => i.Enrollment.CustomerId == customers[0]).Enrollment;
        var second = items.Single(i => i.Enrollment.CustomerId == customers[1]).Enrollment;
        var third = items.Single(i => i.Enrollment.CustomerId == customers[2]).Enrollment;
        var waiting = first with { Status = EnrollmentStatus.Waiting, CurrentNodeId = "wait " + Awkward, WakeAt = T0.AddHours(1), WakeEvents = [Awkward], AwaitedEvent = Awkward, Visit = 1, NodeState = 7, MessagesSent = 1, UpdatedAt = T0.AddSeconds(1) };
        var message = new OutboxMessage(new OutboundMessage("m-" + Awkward, "key:" + Awkward, Channel.Email, "campaign " + Awkward, customers[0], Awkward, "j", 1, "send"), first.Id, T0);

        var applied = await stores.Enrollments.CommitAsync("engine", [
            new EnrollmentCheckpoint(waiting, 1, [message], [new CustomerFieldUpdate(customers[0], "note", Awkward)], [new StatisticDelta("j", 1, "send", StatisticCounter.Sent)]),
            new EnrollmentCheckpoint(second with { Status = EnrollmentStatus.Completed, CurrentNodeId = null, EndReason = Awkward }, 5, [], [], []),
            new EnrollmentCheckpoint(third with { Status = EnrollmentStatus.Completed, CurrentNodeId = null, UpdatedAt = T0.AddSeconds(2) }, 1, [], [], []),
        ]);

        Assert.Equal([true, false, true], applied);
        Assert.Equal(waiting with { ConcurrencyToken = 2 }, Assert.Single(await stores.Enrollments.GetByCustomerAsync(customers[0])));
        Assert.Equal(second, Assert.Single(await stores.Enrollments.GetByCustomerAsync(customers[1])));
        Assert.Equal(EnrollmentStatus.Completed, Assert.Single(await stores.Enrollments.GetByCustomerAsync(customers[2])).Status);
        Assert.Equal(Awkward, (await stores.Customers.GetAsync(customers[0]))!.GetField("note").AsString());
        var sent = Assert.Single(await stores.Outbox.ClaimAsync("sender", T0, 10, Lease));
        Assert.Equal(message.Message, sent.Message);
        Assert.Equal(1, (await stores.Statistics.GetAsync("j", 1)).Get("send", StatisticCounter.Sent));
    }

    [Fact]
    public async Task A_batch_naming_one_enrollment_twice_applies_the_first_and_refuses_the_second()
    {
        await using var stores = _file.Stores(_time);
        await stores.Enrollments.EnrollAsync([Request("a"), Request("b")]);
        var items = await stores.Enrollments.ClaimAsync("engine", T0, 10, Lease);
        var a = items.Single(i => i.Enrollment.CustomerId == "a").Enrollment;
        var b = items.Single(i => i.Enrollment.CustomerId == "b").Enrollment;

        var applied = await stores.Enrollments.CommitAsync("engine", [
            new EnrollmentCheckpoint(a with { CurrentNodeId = "one" }, 1, [], [], []),
            new EnrollmentCheckpoint(b with { CurrentNodeId = "one" }, 1, [], [], []),
            new EnrollmentCheckpoint(a with { CurrentNodeId = "two" }, 1, [], [], []),
        ]);

        Assert.Equal([true, true, false], applied);
        Assert.Equal("one", Assert.Single(await stores.Enrollments.GetByCustomerAsync("a")).CurrentNodeId);
    }

    [Fact]
    public async Task A_message_id_already_pending_is_refused_naming_its_checkpoint_and_nothing_of_the_batch_is_written()
    {
        await using var stores = _file.Stores(_time);
        await stores.Enrollments.EnrollAsync([Request("a"), Request("b"), Request("c")]);
        var items = await stores.Enrollments.ClaimAsync("engine", T0, 10, Lease);
        var a = items.Single(i => i.Enrollment.CustomerId == "a").Enrollment;
        var b = items.Single(i => i.Enrollment.CustomerId == "b").Enrollment;
        var c = items.Single(i => i.Enrollment.CustomerId == "c").Enrollment;
        await stores.Enrollments.CommitAsync("engine", [new EnrollmentCheckpoint(a with { CurrentNodeId = "x" }, 1, [Message("m1", "a")], [], [])]);

        var error = await Assert.ThrowsAsync<ArgumentException>(async () => await stores.Enrollments.CommitAsync("engine", [
            new EnrollmentCheckpoint(b with { CurrentNodeId = "x" }, 1, [Message("m2", "b")], [], []),
            new EnrollmentCheckpoint(c with { CurrentNodeId = "x" }, 1, [Message("m1", "a")], [], []),
        ]));

        Assert.Contains("index 1", error.Message, StringComparison.Ordinal);
        Assert.Contains("'m1'", error.Message, StringComparison.Ordinal);
        Assert.Equal("start", Assert.Single(await stores.Enrollments.GetByCustomerAsync("b")).CurrentNodeId);
        Assert.Equal(["m1"], (await stores.Outbox.ClaimAsync("sender", T0, 10, Lease)).Select(m => m.Message.MessageId));
    }

    private static EnrollmentRequest Request(string customerId) =>
        new(Guid.NewGuid(), "j", 1, customerId, "start", T0, EntryRules.Default, []);

    private static OutboxMessage Message(string id, string customerId) =>
        new(new OutboundMessage(id, "key:" + id, Channel.Email, "campaign", customerId, "body", "j", 1, "send"), null, T0);
}
