using System.Text;
using Journeys.Serialization;

namespace Journeys.Tests.Serialization;

public sealed class JourneyJsonRoundTripTests
{
    [Fact]
    public void A_journey_with_every_node_delay_condition_and_value_kind_round_trips_exactly()
    {
        var journey = SampleJourneys.Everything();

        var compact = JourneyJson.Deserialize(JourneyJson.Serialize(journey));
        var indented = JourneyJson.Deserialize(JourneyJson.Serialize(journey, indented: true));

        Assert.Equal(journey, compact);
        Assert.Equal(journey, indented);
        // DateTimeOffset equality ignores the offset; the document keeps it.
        var until = Assert.IsType<UntilDateDelay>(Assert.IsType<DelayNode>(compact.FindNode("delay2")).Delay).Until;
        Assert.Equal(TimeSpan.FromHours(2), until.Offset);
        Assert.Equal(TimeSpan.FromHours(-5), compact.EntryRules.WindowEnd!.Value.Offset);
    }

    [Fact]
    public void A_wait_with_event_branches_round_trips_and_writes_them_in_order()
    {
        var journey = Runtime.EventBranchScenarioTests.Links();

        var json = JourneyJson.Serialize(journey);

        Assert.Equal(journey, JourneyJson.Deserialize(json));
        Assert.Contains("\"branches\":[{\"condition\":", json, StringComparison.Ordinal);
        Assert.True(json.IndexOf("\"target\":\"offer\"", StringComparison.Ordinal) < json.IndexOf("\"target\":\"shop\"", StringComparison.Ordinal), json);
        // A wait without branches writes no 'branches' property, as before.
        Assert.DoesNotContain("branches", JourneyJson.Serialize(journey with { Nodes = [new WaitForEventNode("w", "click", TimeSpan.FromDays(1), null, "w")] }), StringComparison.Ordinal);
    }

    [Fact]
    public void An_event_branch_without_a_condition_is_refused_naming_its_path()
    {
        var json = JourneyJson.Serialize(Runtime.EventBranchScenarioTests.Links());
        var broken = json.Replace("\"branches\":[{\"condition\":", "\"branches\":[{\"x\":", StringComparison.Ordinal);
        broken = broken[..broken.IndexOf("\"x\":", StringComparison.Ordinal)] + "\"target\":\"offer\"}," + broken[(broken.IndexOf("\"target\":\"offer\"},", StringComparison.Ordinal) + "\"target\":\"offer\"},".Length)..];

        var ex = Assert.Throws<JourneyJsonException>(() => JourneyJson.Deserialize(broken));

        Assert.Equal("$.nodes[0].branches[0].condition", ex.Path);
    }

    [Fact]
    public void Every_entry_kind_round_trips()
    {
        foreach (var entry in SampleJourneys.AllEntries)
        {
            var journey = SampleJourneys.Everything() with { Entry = entry };
            Assert.Equal(journey, JourneyJson.Deserialize(JourneyJson.Serialize(journey)));
        }
    }

    [Fact]
    public void Default_rules_and_an_empty_draft_round_trip()
    {
        var draft = new JourneyDefinition("d", "Draft", 1, JourneyStatus.Draft, new AllCustomersEntry(), EntryRules.Default, ExitRules.None, [], "");
        Assert.Equal(draft, JourneyJson.Deserialize(JourneyJson.Serialize(draft)));

        foreach (var status in Enum.GetValues<JourneyStatus>())
        {
            var journey = draft with { Status = status, EntryRules = new EntryRules(ReEntryMode.AfterExit) };
            Assert.Equal(journey, JourneyJson.Deserialize(JourneyJson.Serialize(journey)));
        }
    }

    [Fact]
    public void Writing_is_stable_and_utf8_bytes_and_streams_agree_with_the_string()
    {
        var journey = SampleJourneys.Everything();
        var first = JourneyJson.Serialize(journey);

        Assert.Equal(first, JourneyJson.Serialize(SampleJourneys.Everything()));
        Assert.Equal(first, JourneyJson.Serialize(JourneyJson.Deserialize(first)));
        Assert.Equal(first, Encoding.UTF8.GetString(JourneyJson.SerializeToUtf8Bytes(journey)));
        Assert.Equal(journey, JourneyJson.Deserialize(JourneyJson.SerializeToUtf8Bytes(journey)));
    }

    [Fact]
    public async Task Streams_round_trip()
    {
        var journey = SampleJourneys.Everything();
        using var stream = new MemoryStream();

        await JourneyJson.SerializeAsync(stream, journey, indented: true);
        Assert.Equal(JourneyJson.Serialize(journey, indented: true), Encoding.UTF8.GetString(stream.ToArray()));

        stream.Position = 0;
        Assert.Equal(journey, await JourneyJson.DeserializeAsync(stream));
    }

    [Fact]
    public void A_byte_order_mark_is_allowed()
    {
        var journey = SampleJourneys.Everything();
        byte[] bytes = [0xEF, 0xBB, 0xBF, .. JourneyJson.SerializeToUtf8Bytes(journey)];
        Assert.Equal(journey, JourneyJson.Deserialize(bytes));
    }

    [Fact]
    public void Every_node_round_trips_on_its_own()
    {
        foreach (var node in SampleJourneys.Everything().Nodes)
        {
            var json = JourneyJson.SerializeNode(node);
            Assert.Equal(node, JourneyJson.DeserializeNode(json));
            Assert.Equal(node, JourneyJson.DeserializeNode(Encoding.UTF8.GetBytes(json)));
        }
    }

    [Fact]
    public void A_condition_round_trips_on_its_own()
    {
        var condition = SampleJourneys.EveryCondition;
        Assert.Equal(condition, JourneyJson.DeserializeCondition(JourneyJson.SerializeCondition(condition, indented: true)));
        Assert.Equal(condition, JourneyJson.DeserializeCondition(Encoding.UTF8.GetBytes(JourneyJson.SerializeCondition(condition))));
    }

    [Fact]
    public void A_field_schema_round_trips()
    {
        var schema = CustomerFieldSchema.Create(
            new FieldDefinition("email", FieldType.String),
            new FieldDefinition("score", FieldType.Number, 1.5),
            new FieldDefinition("vip", FieldType.Boolean, false),
            new FieldDefinition("birthDate", FieldType.DateTime, SampleJourneys.Instant),
            new FieldDefinition("tags", FieldType.StringList, FieldValue.FromStringList(["new"])),
            new FieldDefinition("nickname", FieldType.String, "friend"));

        Assert.Equal(schema, JourneyJson.DeserializeSchema(JourneyJson.SerializeSchema(schema)));
        Assert.Equal(schema, JourneyJson.DeserializeSchema(Encoding.UTF8.GetBytes(JourneyJson.SerializeSchema(schema, indented: true))));
        Assert.Equal(CustomerFieldSchema.Empty, JourneyJson.DeserializeSchema(JourneyJson.SerializeSchema(CustomerFieldSchema.Empty)));
    }

    [Fact]
    public void Campaigns_round_trip()
    {
        Campaign[] campaigns =
        [
            new("welcome", Channel.Email, "Hello {{name}} from {{city}}"),
            new("promo", new Channel("custom-chat"), "No variables"),
            new("braces", Channel.Sms, @"Reply \{{yes}} to {{name}}"),
        ];

        Assert.Equal(campaigns, JourneyJson.DeserializeCampaigns(JourneyJson.SerializeCampaigns(campaigns)));
        Assert.Equal(campaigns[0], JourneyJson.DeserializeCampaign(JourneyJson.SerializeCampaign(campaigns[0])));
        Assert.Empty(JourneyJson.DeserializeCampaigns(JourneyJson.SerializeCampaigns([])));

        // JSON writes the escape's backslash as "\\"; the escaped "{{" is not a variable.
        var braces = JourneyJson.DeserializeCampaign("""{"id": "braces", "channel": "sms", "template": "Reply \\{{yes}} to {{name}}"}""");
        Assert.Equal(campaigns[2], braces);
        Assert.Equal("name", Assert.Single(braces.Variables));
    }

    [Fact]
    public void The_type_discriminator_may_come_anywhere_in_an_object()
    {
        var node = JourneyJson.DeserializeNode("""{"id": "x", "reason": "bye", "type": "exit"}""");
        Assert.Equal(new ExitNode("x", "bye"), node);
    }

    [Fact]
    public void Optional_properties_take_their_documented_defaults()
    {
        const string Json = """
            {"schemaVersion": 1, "id": "j", "name": "J", "version": 2, "status": "active",
             "entry": {"type": "customerList"}, "startNodeId": "w",
             "nodes": [
               {"type": "webhook", "id": "w", "url": "https://x.example", "timeout": "PT5S"},
               {"type": "delay", "id": "d", "delay": {"type": "untilField", "field": "renewal"}},
               {"type": "filter", "id": "f", "branches": [{"condition": {"type": "date", "field": "b", "op": "eq"}}]},
               {"type": "updateCustomer", "id": "u", "field": "nickname"}
             ]}
            """;

        var journey = JourneyJson.Deserialize(Json);

        Assert.Equal("UTC", journey.TimeZoneId);
        Assert.Equal(EntryRules.Default, journey.EntryRules);
        Assert.Equal(ExitRules.None, journey.ExitRules);
        Assert.Equal(new CustomerListEntry([], AcceptsAdditions: true), journey.Entry);
        Assert.Equal(new WebhookNode("w", "https://x.example", [], TimeSpan.FromSeconds(5), 0, null, null), journey.Nodes[0]);
        Assert.Equal(new DelayNode("d", new UntilFieldDelay("renewal", TimeSpan.Zero), null), journey.Nodes[1]);
        Assert.Equal(new FilterNode("f", [new FilterBranch(new DateCondition("b", ComparisonOperator.Eq, TimeSpan.Zero, DatePart.Instant), null)], null), journey.Nodes[2]);
        Assert.Equal(new UpdateCustomerNode("u", "nickname", FieldValue.Null, null), journey.Nodes[3]);
    }
}
