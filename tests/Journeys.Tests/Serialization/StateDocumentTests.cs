using System.Text.Json;
using FsCheck;
using FsCheck.Fluent;
using Journeys.Runtime;
using Journeys.Serialization;
using Journeys.Serialization.StateDocuments;
using Journeys.Validation;

namespace Journeys.Tests.Serialization;

public sealed class StateDocumentTests
{
    internal const string Sample = """
        {
          "id": "birthday",
          "name": "Birthday offers",
          "states": [
            { "id": "entry", "type": "IN_FILTER", "params": { "cond": { "country": { "eq": "ES" }, "age": { "gte": 18, "lt": 65 } }, "forward": "by-birthday" } },
            { "id": "by-birthday", "type": "FLOW_FILTER", "params": { "filter": [
              { "cond": { "birthday": { "useActualDate": { "active": true, "offset": "PT0S", "operator": "eq" }, "datePart": ["day", "month"] } }, "forward": "split" },
              { "cond": { "email": { "isnull": true, "eq": "ignored" } }, "forward": "sms" },
              { "cond": {}, "forward": "mail" }
            ] } },
            { "id": "split", "type": "FLOW_RANDOM", "params": { "paths": [ { "forward": "push" }, { "forward": "mail" } ] } },
            { "id": "push", "type": "ACTION_PUSH_SEND", "params": { "action": { "campaignId": "bday-push" }, "forward": "push-click" } },
            { "id": "push-click", "type": "FLOW_PUSH_CLICK", "params": { "click": { "campaignId": "bday-push", "forward": null }, "timeout": { "time": "P5D", "forward": "mail" } } },
            { "id": "mail", "type": "ACTION_EMAIL_SEND", "params": { "action": { "campaignId": "bday-mail" }, "forward": null } },
            { "id": "sms", "type": "ACTION_SMS_SEND", "params": { "action": { "campaignId": "bday-sms" }, "forward": "sms-click" } },
            { "id": "sms-click", "type": "FLOW_SMS", "params": {
              "click": [ { "url": "/offer", "urlMatchMode": "CONTAINS", "forward": null }, { "url": "/shop", "urlMatchMode": "CONTAINS", "forward": null } ],
              "timeout": { "time": "P1D", "forward": "mail" } } }
          ]
        }
        """;

    [Fact]
    public void A_state_document_reads_into_the_model()
    {
        var journey = JourneyStateDocument.Read(Sample);

        Assert.Equal(("birthday", "Birthday offers", 1, JourneyStatus.Draft, "by-birthday"), (journey.Id, journey.Name, journey.Version, journey.Status, journey.StartNodeId));
        Assert.Equal(
            new FilterEntry(Condition.All(Condition.Eq("country", "ES"), Condition.Gte("age", 18), Condition.Lt("age", 65))),
            journey.Entry);
        var filter = Assert.IsType<FilterNode>(journey.FindNode("by-birthday"));
        Assert.Equal(new DateCondition("birthday", ComparisonOperator.Eq, TimeSpan.Zero, DatePart.DayAndMonth), filter.Branches[0].Condition);
        Assert.Equal(Condition.IsNull("email"), filter.Branches[1].Condition); // isnull overrides the other operators of its field
        Assert.Equal("mail", filter.Else);
        Assert.Equal(new RandomSplitNode("split", [new RandomPath(1, "push"), new RandomPath(1, "mail")]), journey.FindNode("split"));
        Assert.Equal(new SendNode("push", Channel.Push, new CampaignReference("bday-push", []), "push-click"), journey.FindNode("push"));
        Assert.Equal(new WaitForEventNode("push-click", FeedbackEvents.Clicked, TimeSpan.FromDays(5), null, "mail", "push"), journey.FindNode("push-click"));
        Assert.Equal(
            new WaitForEventNode("sms-click", FeedbackEvents.Clicked, TimeSpan.FromDays(1), null, "mail", null, Condition.Any(Condition.Contains("url", "/offer"), Condition.Contains("url", "/shop"))),
            journey.FindNode("sms-click"));
    }

    [Fact]
    public void An_imported_journey_validates_like_any_other()
    {
        var journey = JourneyStateDocument.Read(Sample);
        var schema = CustomerFieldSchema.Create(
            new FieldDefinition("country", FieldType.String),
            new FieldDefinition("age", FieldType.Number),
            new FieldDefinition("birthday", FieldType.DateTime),
            new FieldDefinition("email", FieldType.String));
        var campaigns = CampaignCatalog.Create(
            new Campaign("bday-push", Channel.Push, "Happy birthday!"),
            new Campaign("bday-mail", Channel.Email, "Happy birthday!"),
            new Campaign("bday-sms", Channel.Sms, "Happy birthday!"));

        var result = JourneyValidator.Validate(journey, schema, campaigns);

        Assert.True(result.IsValid, result.ToString());
    }

    [Fact]
    public void Writing_an_imported_document_gives_the_same_states_back()
    {
        var journey = JourneyStateDocument.Read(Sample);
        var written = JourneyStateDocument.Write(journey, indented: true);

        Assert.Equal(journey, JourneyStateDocument.Read(written));
        // Same states, same order, same params; only the overridden 'eq' beside 'isnull: true' is not written again.
        var expected = Sample.Replace(", \"eq\": \"ignored\"", string.Empty, StringComparison.Ordinal);
        Assert.True(JsonElement.DeepEquals(JsonDocument.Parse(expected).RootElement, JsonDocument.Parse(written).RootElement), written);
    }

    [Theory]
    [InlineData("""{"id": "j", "name": "J", "states": [{"id": "e", "type": "IN_SEGMENT", "params": {"cond": {"segmentIds": ["vip", "new"]}, "forward": null}}]}""")]
    [InlineData("""{"id": "j", "name": "J", "states": [{"id": "e", "type": "IN_CUSTOM_EVENT", "params": {"eventName": "cart_abandoned", "forward": null}}]}""")]
    [InlineData("""{"id": "j", "name": "J", "states": [{"id": "e", "type": "IN_LIST", "params": {"forward": null}}]}""")]
    [InlineData("""{"id": "j", "name": "J", "states": [{"id": "e", "type": "IN_ALL", "params": {"forward": "r"}}, {"id": "r", "type": "FLOW_RANDOM", "params": {"paths": [{"forward": null, "weight": 3}, {"forward": null, "weight": 1}]}}]}""")]
    public void Entries_and_weighted_paths_round_trip(string json)
    {
        var journey = JourneyStateDocument.Read(json);
        var written = JourneyStateDocument.Write(journey);
        Assert.True(JsonElement.DeepEquals(JsonDocument.Parse(json.Replace("\"e\"", "\"entry\"", StringComparison.Ordinal)).RootElement, JsonDocument.Parse(written).RootElement), written);
    }

    [Fact]
    public void Sms_links_with_different_forwards_read_as_event_branches_and_write_back()
    {
        const string json = """
            {"id": "j", "name": "J", "states": [
              {"id": "entry", "type": "IN_ALL", "params": {"forward": "s"}},
              {"id": "s", "type": "FLOW_SMS", "params": {
                "click": [{"url": "/a", "urlMatchMode": "CONTAINS", "forward": "x"}, {"url": "/b", "urlMatchMode": "CONTAINS", "forward": null}, {"url": "/c", "urlMatchMode": "CONTAINS", "forward": "x"}],
                "timeout": {"time": "P1D", "forward": "x"}}},
              {"id": "x", "type": "ACTION_EMAIL_SEND", "params": {"action": {"campaignId": "mail"}, "forward": null}}
            ]}
            """;

        var journey = JourneyStateDocument.Read(json);

        Assert.Equal(
            new WaitForEventNode(
                "s",
                FeedbackEvents.Clicked,
                TimeSpan.FromDays(1),
                null,
                "x",
                Branches: [new EventBranch(Condition.Contains("url", "/a"), "x"), new EventBranch(Condition.Contains("url", "/b"), null), new EventBranch(Condition.Contains("url", "/c"), "x")]),
            journey.FindNode("s"));
        var written = JourneyStateDocument.Write(journey);
        Assert.True(JsonElement.DeepEquals(JsonDocument.Parse(json).RootElement, JsonDocument.Parse(written).RootElement), written);
    }

    [Fact]
    public void Event_branches_without_a_state_form_are_refused_on_export_naming_the_node()
    {
        var journey = JourneyStateDocument.Read(Sample);
        var wait = (WaitForEventNode)journey.FindNode("sms-click")!;
        var branched = wait with { PropertyCondition = null, Branches = [new EventBranch(Condition.Eq("url", "/x"), "mail")] };
        var withBranches = journey with { Nodes = [.. journey.Nodes.Select(n => n.Id == "sms-click" ? branched : n)] };

        Assert.Equal("sms-click", Assert.Throws<JourneyStateExportException>(() => JourneyStateDocument.Write(withBranches)).NodeId);
    }

    [Fact]
    public void A_segment_entry_is_a_condition_on_the_segments_list()
    {
        var journey = JourneyStateDocument.Read("""{"id": "j", "name": "J", "states": [{"id": "e", "type": "IN_SEGMENT", "params": {"cond": {"segmentIds": ["vip", "new"]}}}]}""");
        Assert.Equal(new FilterEntry(Condition.In(JourneyStateDocument.SegmentsField, "vip", "new")), journey.Entry);
    }

    [Theory]
    [InlineData("""{"id": "j", "name": "J", "states": [{"id": "e", "type": "IN_ALL", "params": {}}, {"id": "x", "type": "FLOW_WAIT", "params": {}}]}""", "$.states[1].type", "'x'")]
    [InlineData("""{"id": "j", "name": "J", "states": [{"id": "e", "type": "IN_ALL", "params": {"forwrd": "x"}}]}""", "$.states[0].params.forwrd", "'e'")]
    [InlineData("""{"id": "j", "name": "J", "states": [{"id": "e", "type": "IN_ALL", "params": {}}, {"id": "p", "type": "ACTION_PUSH_SEND", "params": {"action": {}}}]}""", "$.states[1].params.action.campaignId", "'p'")]
    [InlineData("""{"id": "j", "name": "J", "states": [{"id": "e", "type": "IN_FILTER", "params": {"cond": {"age": {"like": 3}}}}]}""", "$.states[0].params.cond.age.like", "'e'")]
    [InlineData("""{"id": "j", "name": "J", "states": [{"id": "e", "type": "IN_FILTER", "params": {"cond": {"bday": {"useActualDate": {"active": true, "operator": "eq"}, "datePart": ["week"]}}}}]}""", "$.states[0].params.cond.bday.datePart[0]", "'e'")]
    [InlineData("""{"id": "j", "name": "J", "states": [{"id": "e", "type": "IN_ALL", "params": {}}, {"id": "w", "type": "FLOW_PUSH_CLICK", "params": {"click": {"campaignId": "c"}, "timeout": {"time": "5 days"}}}]}""", "$.states[1].params.timeout.time", "'w'")]
    [InlineData("""{"id": "j", "name": "J", "states": [{"id": "e", "type": "IN_ALL", "params": {}}, {"id": "w", "type": "FLOW_PUSH_CLICK", "params": {"click": {"campaignId": "c"}, "timeout": {"time": "P5D"}}}]}""", "$.states[1].params.click.campaignId", "'w'")]
    [InlineData("""{"id": "j", "name": "J", "states": [{"id": "e", "type": "IN_ALL", "params": {}}, {"id": "s", "type": "FLOW_SMS", "params": {"click": [{"url": "a", "forward": "x"}, {"url": "b", "urlMatchMode": "EXACT", "forward": "y"}], "timeout": {"time": "P1D"}}}]}""", "$.states[1].params.click[1].urlMatchMode", "'s'")]
    [InlineData("""{"id": "j", "name": "J", "states": [{"id": "e", "type": "IN_ALL", "params": {}}, {"id": "e", "type": "IN_ALL", "params": {}}]}""", "$.states[1].id", "twice")]
    [InlineData("""{"id": "j", "name": "J", "states": []}""", "$.states", "entry")]
    [InlineData("""{"id": "j", "name": "J", "states": [{"id": "e", "type": "IN_ALL" """, "$", "")]
    public void Bad_documents_are_refused_naming_the_path_and_state(string json, string path, string mention)
    {
        var ex = Assert.Throws<JourneyJsonException>(() => JourneyStateDocument.Read(json));
        Assert.Equal(path, ex.Path);
        Assert.Contains(mention, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_click_wait_whose_push_the_campaign_does_not_identify_is_refused_on_export_rather_than_read_back_tied_to_another_push()
    {
        // Two pushes of one campaign; the wait counts clicks on the first, but the second forwards to it. The state names
        // only the campaign, and the reader ties it to the push that forwards to the wait: the second one.
        var journey = new JourneyDefinition("j", "J", 1, JourneyStatus.Draft, new AllCustomersEntry(), EntryRules.Default, ExitRules.None,
        [
            new SendNode("first", Channel.Push, new CampaignReference("promo", []), "second"),
            new SendNode("second", Channel.Push, new CampaignReference("promo", []), "click"),
            new WaitForEventNode("click", FeedbackEvents.Clicked, TimeSpan.FromDays(1), null, null, CorrelatedNodeId: "first"),
        ], "first");

        Assert.Equal("click", Assert.Throws<JourneyStateExportException>(() => JourneyStateDocument.Write(journey)).NodeId);

        // Correlated to the push that forwards to it, the same journey writes and reads back as it was.
        var tied = journey with { Nodes = [.. journey.Nodes.Select(n => n is WaitForEventNode w ? w with { CorrelatedNodeId = "second" } : n)] };
        Assert.Equal(tied, JourneyStateDocument.Read(JourneyStateDocument.Write(tied)));
    }

    [Theory]
    [InlineData("""{"id": "j", "name": "\uD800", "states": []}""", "$.name")]
    [InlineData("""{"id": "j", "name": "J", "states": [{"id": "e", "type": "IN_FILTER", "params": {"cond": {"\uDC00": {"eq": 1}}}}]}""", "$")]
    [InlineData("""{"id": "j", "name": "J", "states": [{"id": "e", "type": "IN_ALL", "params": {"forward": "a\uD800"}}]}""", "$.states[0].params.forward")]
    public void A_string_with_a_lone_surrogate_escape_is_a_json_error_naming_its_path(string json, string path)
    {
        // Not an InvalidOperationException from JsonElement.GetString (a 500 over HTTP): the document is malformed.
        var ex = Assert.Throws<JourneyJsonException>(() => JourneyStateDocument.Read(json));
        Assert.Equal(path, ex.Path);
    }

    [Fact]
    public void Journeys_with_nodes_the_format_lacks_are_refused_on_export_naming_the_node()
    {
        var journey = JourneyStateDocument.Read(Sample);
        var withExit = journey with { Nodes = journey.Nodes.AsImmutableArray().Add(new ExitNode("done", "bye")) };
        Assert.Equal("done", Assert.Throws<JourneyStateExportException>(() => JourneyStateDocument.Write(withExit)).NodeId);

        var contains = journey with { Entry = new FilterEntry(Condition.StartsWith("name", "A")) };
        Assert.Null(Assert.Throws<JourneyStateExportException>(() => JourneyStateDocument.Write(contains)).NodeId);

        // An IN_LIST state reads back as a list that accepts additions: a closed empty list would come back as another audience.
        var closed = journey with { Entry = new CustomerListEntry([], AcceptsAdditions: false) };
        Assert.Null(Assert.Throws<JourneyStateExportException>(() => JourneyStateDocument.Write(closed)).NodeId);
    }

    [Fact]
    public void Random_representable_journeys_round_trip()
    {
        var property = Prop.ForAll(Journeys().ToArbitrary(), journey => journey == JourneyStateDocument.Read(JourneyStateDocument.Write(journey)));
        property.QuickCheckThrowOnFailure();
    }

    /// <summary>Chains of sends, filters and random splits on distinct fields, each edge to a later node or nowhere.</summary>
    private static Gen<JourneyDefinition> Journeys() =>
        from count in Gen.Choose(1, 8)
        from kinds in Gen.ArrayOf(Gen.Choose(0, 4), count)
        from weights in Gen.ArrayOf(Gen.Choose(1, 5), count)
        from values in Gen.ArrayOf(Gen.Choose(-100, 100), count)
        from entryKind in Gen.Choose(0, 3)
        select Build(kinds, weights, values, entryKind);

    private static JourneyDefinition Build(int[] kinds, int[] weights, int[] values, int entryKind)
    {
        var nodes = new List<JourneyNode>();
        string? Next(int i) => i + 1 < kinds.Length ? $"n{i + 1}" : null;
        for (var i = 0; i < kinds.Length; i++)
        {
            var id = $"n{i}";
            nodes.Add(kinds[i] switch
            {
                0 => new SendNode(id, Channel.Push, new CampaignReference($"c{values[i]}", []), Next(i)),
                1 => new SendNode(id, Channel.Sms, new CampaignReference("sms", []), Next(i)),
                2 => new FilterNode(id, [new FilterBranch(Condition.All(Condition.Gt($"f{i}", values[i]), Condition.IsNotNull($"g{i}")), Next(i))], values[i] % 2 == 0 ? null : Next(i)),
                3 => new RandomSplitNode(id, [new RandomPath(weights[i], Next(i)), new RandomPath(1, null)]),
                _ => new FilterNode(id, [new FilterBranch(new DateCondition($"d{i}", ComparisonOperator.Lte, TimeSpan.FromDays(values[i]), DatePart.DayAndMonth), null)], Next(i)),
            });
        }

        JourneyEntry entry = entryKind switch
        {
            0 => new AllCustomersEntry(),
            1 => new CustomerListEntry([]),
            2 => new EventEntry("signed_up"),
            _ => new FilterEntry(Condition.Eq("plan", "gold")),
        };
        return new JourneyDefinition("j", "J", 1, JourneyStatus.Draft, entry, EntryRules.Default, ExitRules.None, [.. nodes], "n0");
    }
}
