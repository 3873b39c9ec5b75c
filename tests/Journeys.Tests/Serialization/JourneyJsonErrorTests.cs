using System.Text;
using Journeys.Serialization;

namespace Journeys.Tests.Serialization;

public sealed class JourneyJsonErrorTests
{
    private const string ExitNode = """{"type": "exit", "id": "x", "reason": "done"}""";

    [Fact]
    public void Text_that_is_not_json_is_refused_at_the_root_with_its_line()
    {
        var ex = Fails("hello");
        Assert.Equal("$", ex.Path);
        Assert.Equal(1, ex.LineNumber);
        Assert.StartsWith("Invalid JSON at $ (line 1): ", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Truncated_json_is_refused_with_the_path_and_line_where_it_stops()
    {
        var json = Document(ExitNode);
        var ex = Fails(json[..json.IndexOf("\"reason\"", StringComparison.Ordinal)]);
        Assert.StartsWith("$.nodes[0]", ex.Path, StringComparison.Ordinal);
        Assert.Equal(3, ex.LineNumber);
    }

    [Fact]
    public void A_null_document_is_refused()
    {
        Assert.Equal("$", Fails("null").Path);
        Assert.Equal("$", Assert.Throws<JourneyJsonException>(() => JourneyJson.DeserializeNode("null")).Path);
    }

    [Fact]
    public void Another_schema_version_is_refused_before_anything_else()
    {
        // Version 2 may have properties this version does not know: the version is what gets reported.
        var ex = Fails(Document(ExitNode).Replace("\"schemaVersion\": 1", "\"schemaVersion\": 2, \"futureThing\": true", StringComparison.Ordinal));
        Assert.Equal("$.schemaVersion", ex.Path);
        Assert.Contains("schemaVersion 2 is not supported", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_missing_schema_version_is_refused()
    {
        var ex = Fails(Document(ExitNode).Replace("\"schemaVersion\": 1,", string.Empty, StringComparison.Ordinal));
        Assert.Equal("$.schemaVersion", ex.Path);
        Assert.Contains("'schemaVersion' is missing", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_schema_version_that_is_not_a_number_is_refused()
    {
        Assert.Equal("$.schemaVersion", Fails(Document(ExitNode).Replace("\"schemaVersion\": 1", "\"schemaVersion\": \"1\"", StringComparison.Ordinal)).Path);
    }

    [Fact]
    public void An_unknown_property_is_refused_with_its_path()
    {
        var top = Fails(Document(ExitNode).Replace("\"name\"", "\"nmae\"", StringComparison.Ordinal));
        Assert.Equal("$.nmae", top.Path);
        Assert.Contains("Unknown property 'nmae'", top.Message, StringComparison.Ordinal);

        var inNode = Fails(Document("""{"type": "send", "id": "s", "channel": "email", "campaignId": "c", "nxt": "x"}"""));
        Assert.Equal("$.nodes[0].nxt", inNode.Path);
    }

    [Fact]
    public void An_unknown_node_type_is_refused_with_the_allowed_types()
    {
        var ex = Fails(Document("""{"type": "sned", "id": "s"}"""));
        Assert.Equal("$.nodes[0].type", ex.Path);
        Assert.Contains("'sned'", ex.Message, StringComparison.Ordinal);
        Assert.Contains("send, filter, waitForEvent, randomSplit, retargeting, delay, webhook, updateCustomer, exit", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void An_unknown_entry_delay_or_condition_type_names_its_own_allowed_types()
    {
        var entry = Fails(Document(ExitNode).Replace("allCustomers", "everyone", StringComparison.Ordinal));
        Assert.Equal("$.entry.type", entry.Path);
        Assert.Contains("allCustomers, customerList, filter, event", entry.Message, StringComparison.Ordinal);

        var delay = Fails(Document("""{"type": "delay", "id": "d", "delay": {"type": "forever"}}"""));
        Assert.Equal("$.nodes[0].delay.type", delay.Path);
        Assert.Contains("duration, untilDate, untilTimeOfDay, untilField", delay.Message, StringComparison.Ordinal);

        var condition = Fails(Document(Filter("""{"type": "all", "conditions": [{"type": "field", "field": "a", "op": "eq", "value": 1}, {"type": "xor"}]}""")));
        Assert.Equal("$.nodes[0].branches[0].condition.conditions[1].type", condition.Path);
        Assert.Contains("field, in, date, all, any, not", condition.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_missing_type_is_refused()
    {
        var ex = Fails(Document("""{"id": "s", "channel": "email"}"""));
        Assert.Equal("$.nodes[0].type", ex.Path);
        Assert.Contains("'type' is missing", ex.Message, StringComparison.Ordinal);

        Assert.Equal("$.nodes[0].branches[0].condition.type", Fails(Document(Filter("""{"field": "a"}"""))).Path);
    }

    [Fact]
    public void A_type_that_is_not_a_string_or_a_reserved_dollar_property_is_refused_with_its_path()
    {
        var nullType = Fails(Document("""{"type": null, "id": "x"}"""));
        Assert.Equal("$.nodes[0].type", nullType.Path);
        Assert.Contains("'type' property must be a string", nullType.Message, StringComparison.Ordinal);

        var dollar = Fails(Document("""{"type": "exit", "$id": "1", "id": "x", "reason": "r"}"""));
        Assert.Equal("$.nodes[0].$id", dollar.Path);
        Assert.Contains("Unknown property '$id'", dollar.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Trailing_content_commas_and_comments_are_refused()
    {
        Assert.Equal("$", Fails(Document(ExitNode) + "x").Path);
        Assert.NotNull(Fails(Document(ExitNode + ",")).LineNumber);
        Assert.StartsWith("$", Fails(Document("/* note */ " + ExitNode)).Path, StringComparison.Ordinal);
    }

    [Fact]
    public void A_missing_required_property_is_refused_with_its_path()
    {
        Assert.Equal("$.name", Fails(Document(ExitNode).Replace("\"name\": \"J\",", string.Empty, StringComparison.Ordinal)).Path);
        Assert.Equal("$.nodes[0].id", Fails(Document("""{"type": "exit", "reason": "done"}""")).Path);
        Assert.Equal("$.nodes[0].reason", Fails(Document("""{"type": "exit", "id": "x", "reason": null}""")).Path);
        Assert.Equal("$.nodes[0].paths[1].weight", Fails(Document("""{"type": "randomSplit", "id": "r", "paths": [{"weight": 1}, {"next": "x"}]}""")).Path);
        Assert.Equal("$.nodes", Fails(Top("\"startNodeId\": \"x\"")).Path);
    }

    [Fact]
    public void A_value_of_the_wrong_kind_is_refused_with_its_path()
    {
        var ex = Fails(Document(ExitNode).Replace("\"version\": 1", "\"version\": \"1\"", StringComparison.Ordinal));
        Assert.Equal("$.version", ex.Path);
        Assert.Contains("whole number", ex.Message, StringComparison.Ordinal);
        Assert.Equal(1, ex.LineNumber);

        Assert.Equal("$.nodes[0].reason", Fails(Document("""{"type": "exit", "id": "x", "reason": 5}""")).Path);
        Assert.Equal("$.nodes", Fails(Top("\"startNodeId\": \"x\", \"nodes\": {}")).Path);
    }

    [Theory]
    [InlineData("\"1 hour\"")]
    [InlineData("\"PT\"")]
    [InlineData("\"P\"")]
    [InlineData("\"\"")]
    [InlineData("\" PT1H\"")]
    [InlineData("3600")]
    [InlineData("\"01:00:00\"")]
    [InlineData("\"PT1.S\"")]
    [InlineData("\"P1DT1H1M1.S\"")]
    public void A_bad_duration_is_refused(string duration)
    {
        var ex = Fails(Document($$$"""{"type": "delay", "id": "d", "delay": {"type": "duration", "duration": {{{duration}}}}}"""));
        Assert.Equal("$.nodes[0].delay.duration", ex.Path);
        Assert.Contains("ISO 8601 duration", ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("P1Y")]
    [InlineData("P1M")]
    [InlineData("-P2M3D")]
    [InlineData("P1YT1H")]
    public void A_duration_in_years_or_months_is_refused(string duration)
    {
        var ex = Fails(Document($$"""{"type": "waitForEvent", "id": "w", "event": "click", "timeout": "{{duration}}"}"""));
        Assert.Equal("$.nodes[0].timeout", ex.Path);
        Assert.Contains("years or months", ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("\"2026-13-01T00:00:00Z\"")]
    [InlineData("\"2026-01-01T00:00:00\"")]
    [InlineData("\"2026-01-01\"")]
    [InlineData("\"tomorrow\"")]
    [InlineData("1767225600")]
    [InlineData("\"2026-01-01T09:00:00.Z\"")]
    [InlineData("\"2026-01-01T09:00:00.+02:00\"")]
    public void A_bad_date_is_refused(string date)
    {
        var ex = Fails(Document($$$"""{"type": "delay", "id": "d", "delay": {"type": "untilDate", "until": {{{date}}}}}"""));
        Assert.Equal("$.nodes[0].delay.until", ex.Path);
        Assert.Contains("date-time", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_bad_date_in_the_entry_window_or_a_field_value_is_refused()
    {
        Assert.Equal("$.entryRules.windowStart", Fails(Document(ExitNode).Replace("\"startNodeId\"", "\"entryRules\": {\"windowStart\": \"2026-02-30T00:00:00Z\"}, \"startNodeId\"", StringComparison.Ordinal)).Path);
        var value = Fails(Document("""{"type": "updateCustomer", "id": "u", "field": "f", "value": {"dateTime": "2026-01-01"}}"""));
        Assert.Equal("$.nodes[0].value", value.Path);
    }

    [Theory]
    [InlineData("\"25:00\"")]
    [InlineData("\"9:00\"")]
    [InlineData("\"09:00 AM\"")]
    [InlineData("900")]
    [InlineData("\"18:30:15.\"")]
    public void A_bad_time_of_day_is_refused(string time)
    {
        var ex = Fails(Document($$$"""{"type": "delay", "id": "d", "delay": {"type": "untilTimeOfDay", "timeOfDay": {{{time}}}}}"""));
        Assert.Equal("$.nodes[0].delay.timeOfDay", ex.Path);
        Assert.Contains("time of day", ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("\"e mail\"")]
    [InlineData("\"\"")]
    [InlineData("3")]
    public void A_bad_channel_is_refused(string channel)
    {
        var ex = Fails(Document($$"""{"type": "send", "id": "s", "channel": {{channel}}, "campaignId": "c"}"""));
        Assert.Equal("$.nodes[0].channel", ex.Path);
        Assert.Contains("channel", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_null_item_is_refused_with_its_index()
    {
        Assert.Equal("$.nodes[1]", Fails(Document(ExitNode + ", null")).Path);
        Assert.Equal("$.nodes[0].fields[1]", Fails(Document("""{"type": "webhook", "id": "w", "url": "https://x", "timeout": "PT1S", "fields": ["a", null]}""")).Path);
        Assert.Equal("$.nodes[0].branches[0].condition.conditions[0]", Fails(Document(Filter("""{"type": "any", "conditions": [null]}"""))).Path);
    }

    [Theory]
    [InlineData("1e400")]
    [InlineData("-1e400")]
    [InlineData("\"NaN\"")]
    [InlineData("\"Infinity\"")]
    [InlineData("\"1\"")]
    public void A_weight_that_is_not_a_finite_number_is_refused(string weight)
    {
        var ex = Fails(Document($$"""{"type": "randomSplit", "id": "r", "paths": [{"weight": 1}, {"weight": {{weight}}}]}"""));
        Assert.Equal("$.nodes[0].paths[1].weight", ex.Path);
    }

    [Fact]
    public void A_field_value_number_out_of_range_is_refused()
    {
        Assert.Equal("$.nodes[0].value", Fails(Document("""{"type": "updateCustomer", "id": "u", "field": "f", "value": 1e999}""")).Path);
    }

    [Fact]
    public void A_malformed_field_value_is_refused()
    {
        Assert.Equal("$.nodes[0].value", Fails(Document("""{"type": "updateCustomer", "id": "u", "field": "f", "value": {"date": "2026-01-01T00:00:00Z"}}""")).Path);
        Assert.Equal("$.nodes[0].value", Fails(Document("""{"type": "updateCustomer", "id": "u", "field": "f", "value": {"dateTime": "2026-01-01T00:00:00Z", "x": 1}}""")).Path);
        var list = Fails(Document("""{"type": "updateCustomer", "id": "u", "field": "f", "value": ["a", 1]}"""));
        Assert.Equal("$.nodes[0].value", list.Path);
        Assert.Contains("only contain strings", list.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void An_unknown_operator_status_or_enum_name_is_refused_with_the_allowed_names()
    {
        var op = Fails(Document(Filter("""{"type": "field", "field": "a", "op": "like", "value": "x"}""")));
        Assert.Equal("$.nodes[0].branches[0].condition.op", op.Path);
        Assert.Contains("eq, neq, lt, gt, lte, gte, isnull, isnotnull, contains, startswith", op.Message, StringComparison.Ordinal);

        var status = Fails(Document(ExitNode).Replace("\"draft\"", "\"Draft\"", StringComparison.Ordinal));
        Assert.Equal("$.status", status.Path);
        Assert.Contains("draft, validated, active, stopped, archived", status.Message, StringComparison.Ordinal);

        Assert.Equal("$.status", Fails(Document(ExitNode).Replace("\"draft\"", "0", StringComparison.Ordinal)).Path);
        Assert.Equal("$.nodes[0].branches[0].condition.part", Fails(Document(Filter("""{"type": "date", "field": "a", "op": "eq", "part": "week"}"""))).Path);
        Assert.Equal("$.nodes[0].branches[0].condition.op", Fails(Document(Filter("""{"type": "date", "field": "a", "op": "contains"}"""))).Path);
    }

    [Fact]
    public void A_negative_max_retries_is_refused()
    {
        Assert.Equal("$.nodes[0].maxRetries", Fails(Document("""{"type": "webhook", "id": "w", "url": "https://x", "timeout": "PT1S", "maxRetries": -1}""")).Path);
    }

    [Fact]
    public void A_property_given_twice_is_refused()
    {
        var ex = Fails(Document(ExitNode).Replace("\"name\": \"J\"", "\"name\": \"J\", \"name\": \"K\"", StringComparison.Ordinal));
        Assert.StartsWith("$", ex.Path, StringComparison.Ordinal);
        Assert.Contains("name", ex.Path + ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Node_and_condition_documents_report_paths_from_their_own_root()
    {
        var node = Assert.Throws<JourneyJsonException>(() => JourneyJson.DeserializeNode("""{"type": "teleport", "id": "t"}"""));
        Assert.Equal("$.type", node.Path);
        Assert.Contains("send, filter", node.Message, StringComparison.Ordinal);

        var condition = Assert.Throws<JourneyJsonException>(() => JourneyJson.DeserializeCondition(Encoding.UTF8.GetBytes("""{"type": "maybe"}""")));
        Assert.Equal("$.type", condition.Path);
        Assert.Contains("field, in, date", condition.Message, StringComparison.Ordinal);

        Assert.Equal("$.conditions[0].value", Assert.Throws<JourneyJsonException>(() => JourneyJson.DeserializeCondition("""{"type": "all", "conditions": [{"type": "field", "field": "a", "op": "eq", "value": {}}]}""")).Path);
    }

    [Fact]
    public void Schema_documents_refuse_bad_and_repeated_fields_with_their_path()
    {
        Assert.Equal("$.fields[1].name", Assert.Throws<JourneyJsonException>(() => JourneyJson.DeserializeSchema(
            """{"schemaVersion": 1, "fields": [{"name": "email", "type": "string"}, {"name": "EMAIL", "type": "string"}]}""")).Path);
        Assert.Equal("$.fields[0].name", Assert.Throws<JourneyJsonException>(() => JourneyJson.DeserializeSchema(
            """{"schemaVersion": 1, "fields": [{"name": "1st", "type": "string"}]}""")).Path);
        Assert.Equal("$.fields[0].default", Assert.Throws<JourneyJsonException>(() => JourneyJson.DeserializeSchema(
            """{"schemaVersion": 1, "fields": [{"name": "age", "type": "number", "default": "ten"}]}""")).Path);
        Assert.Equal("$.fields[0].type", Assert.Throws<JourneyJsonException>(() => JourneyJson.DeserializeSchema(
            """{"schemaVersion": 1, "fields": [{"name": "age", "type": "integer"}]}""")).Path);
        Assert.Equal("$.schemaVersion", Assert.Throws<JourneyJsonException>(() => JourneyJson.DeserializeSchema("""{"fields": []}""")).Path);
    }

    [Fact]
    public void Campaign_documents_refuse_a_bad_template_with_its_path()
    {
        var ex = Assert.Throws<JourneyJsonException>(() => JourneyJson.DeserializeCampaigns(
            """{"schemaVersion": 1, "campaigns": [{"id": "a", "channel": "sms", "template": "ok"}, {"id": "b", "channel": "sms", "template": "Hi {{name"}]}"""));
        Assert.Equal("$.campaigns[1].template", ex.Path);
        Assert.DoesNotContain("(Parameter", ex.Message, StringComparison.Ordinal);
        Assert.IsType<ArgumentException>(ex.InnerException);

        Assert.Equal("$.id", Assert.Throws<JourneyJsonException>(() => JourneyJson.DeserializeCampaign("""{"channel": "sms", "template": "x"}""")).Path);
    }

    [Fact]
    public void Errors_never_leak_other_exception_types()
    {
        // A sweep of truncations of a full document: every prefix is refused with the documented exception only.
        var json = JourneyJson.Serialize(SampleJourneys.Everything(), indented: true);
        for (var length = 0; length < json.Length; length += 7)
        {
            var ex = Fails(json[..length]);
            Assert.StartsWith("$", ex.Path, StringComparison.Ordinal);
        }
    }

    private static JourneyJsonException Fails(string json) =>
        Assert.Throws<JourneyJsonException>(() => JourneyJson.Deserialize(json));

    private static string Top(string rest) =>
        $$"""{"schemaVersion": 1, "id": "j", "name": "J", "version": 1, "status": "draft", "entry": {"type": "allCustomers"}, {{rest}}}""";

    private static string Filter(string condition) =>
        $$"""{"type": "filter", "id": "f", "branches": [{"condition": {{condition}}, "next": null}], "else": null}""";

    private static string Document(string nodes) => $$"""
        {"schemaVersion": 1, "id": "j", "name": "J", "version": 1, "status": "draft",
         "entry": {"type": "allCustomers"}, "startNodeId": "x",
         "nodes": [{{nodes}}]
        }
        """;
}
