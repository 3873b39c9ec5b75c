using Journeys.Messaging;
using Journeys.Model;
using Journeys.Storage.InMemory;

namespace Journeys.Tests.Storage;

/// <summary>
/// The in-memory outbox's key: an engine send (id made on first read) and a message given an id compare and hash by
/// the id, in every pairing and by an id string, without the engine send's id being made.
/// </summary>
public sealed class MessageIdComparerTests
{
    private static readonly Guid Enrollment = Guid.Parse("0123456789abcdef0123456789abcdef");

    private static OutboundMessage Engine(string node = "send", int visit = 12) =>
        new(Enrollment, visit, Channel.Email, "c1", "ada@example.com", "Hello", "j1", 1, node);

    private static OutboundMessage Given(string id) =>
        new(id, "key", Channel.Push, "c2", "bob@example.com", "Hi", "j2", 2, "other");

    [Theory]
    [InlineData("send", 12, "0123456789abcdef0123456789abcdef/send/12")]
    [InlineData("a/b", 0, "0123456789abcdef0123456789abcdef/a/b/0")]
    [InlineData("", 7, "0123456789abcdef0123456789abcdef//7")]
    public void An_engine_send_equals_and_hashes_as_a_message_given_its_id_and_as_its_id(string node, int visit, string id)
    {
        var comparer = MessageIdComparer.Instance;
        var byId = comparer;

        Assert.True(comparer.Equals(Engine(node, visit), Given(id)));
        Assert.True(comparer.Equals(Given(id), Engine(node, visit)));
        Assert.True(comparer.Equals(Engine(node, visit), Engine(node, visit)));
        Assert.True(byId.Equals(id, Engine(node, visit)));
        Assert.Equal(comparer.GetHashCode(Engine(node, visit)), comparer.GetHashCode(Given(id)));
        Assert.Equal(comparer.GetHashCode(Engine(node, visit)), byId.GetHashCode(id));
    }

    [Theory]
    [InlineData("0123456789ABCDEF0123456789ABCDEF/send/12")] // the same guid, not the same id
    [InlineData("0123456789abcdef0123456789abcdef/send/012")]
    [InlineData("0123456789abcdef0123456789abcdef/send/+12")]
    [InlineData("0123456789abcdef0123456789abcdef/send/13")]
    [InlineData("0123456789abcdef0123456789abcdef/sen/12")]
    [InlineData("0123456789abcdef0123456789abcdef/send/12-reminder-1")]
    [InlineData("1123456789abcdef0123456789abcdef/send/12")]
    [InlineData("0123456789abcdef0123456789abcdef/send12")]
    [InlineData("send/12")]
    [InlineData("")]
    public void An_engine_send_differs_from_any_other_id(string id)
    {
        var byId = MessageIdComparer.Instance;

        Assert.False(MessageIdComparer.Instance.Equals(Engine(), Given(id)));
        Assert.False(MessageIdComparer.Instance.Equals(Given(id), Engine()));
        Assert.False(byId.Equals(id, Engine()));
        Assert.Equal(MessageIdComparer.Instance.GetHashCode(Given(id)), byId.GetHashCode(id));
    }

    [Fact]
    public void Engine_sends_differ_by_enrollment_node_or_visit_and_given_ids_compare_as_strings()
    {
        var comparer = MessageIdComparer.Instance;

        Assert.False(comparer.Equals(Engine(), Engine(node: "other")));
        Assert.False(comparer.Equals(Engine(), Engine(visit: 13)));
        Assert.False(comparer.Equals(Engine(), new OutboundMessage(Guid.NewGuid(), 12, Channel.Email, "c1", "ada@example.com", "Hello", "j1", 1, "send")));
        Assert.True(comparer.Equals(Given("m1"), Given("m1")));
        Assert.False(comparer.Equals(Given("m1"), Given("M1")));
        Assert.Equal(comparer.GetHashCode(Given("m1")), comparer.GetHashCode(Given("m1")));
    }

    [Fact]
    public void A_dictionary_finds_an_engine_send_by_its_id_and_by_a_message_given_it()
    {
        var map = new Dictionary<OutboundMessage, int>(MessageIdComparer.Instance);
        var sends = Enumerable.Range(0, 1000).Select(i => Engine("n" + (i % 7), i)).ToArray();
        for (var i = 0; i < sends.Length; i++)
        {
            map.Add(sends[i], i);
        }

        Assert.Throws<ArgumentException>(() => map.Add(Given($"{Enrollment:N}/n3/3"), -1));
        var lookup = map.GetAlternateLookup<string>();
        for (var i = 0; i < sends.Length; i++)
        {
            var id = $"{Enrollment:N}/n{i % 7}/{i}";
            Assert.True(lookup.TryGetValue(id, out var found));
            Assert.Equal(i, found);
            Assert.Equal(i, map[Given(id)]);
        }

        Assert.False(lookup.TryGetValue($"{Enrollment:N}/n1/2", out _));
        Assert.True(lookup.Remove($"{Enrollment:N}/n5/5", out var key, out _));
        Assert.Same(sends[5], key);
        Assert.False(map.ContainsKey(Engine("n5", 5)));
    }
}
