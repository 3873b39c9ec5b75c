using Journeys.Messaging;

namespace Journeys.Tests.Messaging;

/// <summary>A journey send's idempotency key derived from its message id on first read: the same key, equality and copies as a key passed in.</summary>
public sealed class OutboundMessageTests
{
    private const string Enrollment = "0123456789abcdef0123456789abcdef";

    [Theory]
    [InlineData("send-welcome", "3")]
    [InlineData("rt", "2-reminder-1")]
    [InlineData("a/b", "7")] // a node id with a slash: taken whole from NodeId
    public void A_derived_key_is_journey_version_enrollment_node_visit(string node, string visit)
    {
        var derived = new OutboundMessage($"{Enrollment}/{node}/{visit}", Channel.Email, "c1", "ada@example.com", "Hello", "journey-1", 4, node);

        Assert.Equal($"journey-1:4:{Enrollment}:{node}:{visit}", derived.IdempotencyKey);
        Assert.Same(derived.IdempotencyKey, derived.IdempotencyKey);
    }

    [Fact]
    public void A_derived_key_message_equals_the_same_message_with_the_key_passed_read_or_not()
    {
        OutboundMessage Derived() => new($"{Enrollment}/n1/1", Channel.Email, "c1", "ada@example.com", "Hello", "j1", 1, "n1");
        var passed = new OutboundMessage($"{Enrollment}/n1/1", $"j1:1:{Enrollment}:n1:1", Channel.Email, "c1", "ada@example.com", "Hello", "j1", 1, "n1");

        Assert.Equal(passed, Derived());
        Assert.Equal(Derived(), passed);
        Assert.Equal(passed.GetHashCode(), Derived().GetHashCode());
        var read = Derived();
        _ = read.IdempotencyKey;
        Assert.Equal(Derived(), read);
        Assert.NotEqual(passed with { IdempotencyKey = "other" }, Derived());
        Assert.NotEqual(passed, Derived() with { Body = "Hi" });
        Assert.Contains($"IdempotencyKey = j1:1:{Enrollment}:n1:1", Derived().ToString(), StringComparison.Ordinal);
        var (_, key, _, _, _, _, _, _, _) = Derived();
        Assert.Equal(passed.IdempotencyKey, key);
    }

    [Fact]
    public void A_copy_keeps_the_key_of_the_original_unless_it_sets_one()
    {
        var derived = new OutboundMessage($"{Enrollment}/n1/1", Channel.Email, "c1", "ada@example.com", "Hello", "j1", 1, "n1");

        var moved = derived with { JourneyId = "j2", NodeId = "n2", MessageId = "m2" };
        Assert.Equal($"j1:1:{Enrollment}:n1:1", moved.IdempotencyKey);
        Assert.Equal("explicit", (derived with { IdempotencyKey = "explicit" }).IdempotencyKey);
        Assert.Equal("k", MessageFactory.Create(key: "k").IdempotencyKey);
        Assert.Equal("k", (MessageFactory.Create(key: "k") with { NodeId = "x" }).IdempotencyKey);
    }

    [Fact]
    public void An_engine_send_makes_its_id_and_key_from_enrollment_node_and_visit_and_equals_the_message_given_them()
    {
        var enrollment = Guid.Parse(Enrollment);
        OutboundMessage Engine() => new(enrollment, 3, Channel.Email, "c1", "ada@example.com", "Hello", "j1", 2, "a/b");
        var given = new OutboundMessage($"{Enrollment}/a/b/3", $"j1:2:{Enrollment}:a/b:3", Channel.Email, "c1", "ada@example.com", "Hello", "j1", 2, "a/b");

        Assert.Equal($"{Enrollment}/a/b/3", Engine().MessageId);
        Assert.Equal($"j1:2:{Enrollment}:a/b:3", Engine().IdempotencyKey);
        var read = Engine();
        Assert.Same(read.MessageId, read.MessageId);
        Assert.Equal(given, Engine());
        Assert.Equal(Engine(), given);
        Assert.Equal(given.GetHashCode(), Engine().GetHashCode());
        Assert.True(Engine().HasMessageId);
        Assert.False(MessageFactory.Create(messageId: null!).HasMessageId);

        // A copy keeps the original's id and key unless it sets them: a new node does not make another id.
        var moved = Engine() with { NodeId = "n2" };
        Assert.Equal($"{Enrollment}/a/b/3", moved.MessageId);
        Assert.Equal($"j1:2:{Enrollment}:a/b:3", moved.IdempotencyKey);
        Assert.False(moved.TryGetEngineId(out _, out _));
        Assert.Equal("m2", (Engine() with { MessageId = "m2" }).MessageId);
    }
}
