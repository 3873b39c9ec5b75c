using System.Collections.Immutable;
using Journeys.Messaging;

namespace Journeys.Tests.Messaging;

public sealed class CompiledTemplateTests
{
    private static readonly CustomerFieldSchema Schema = CustomerFieldSchema.Create(
        new FieldDefinition("firstName", FieldType.String),
        new FieldDefinition("points", FieldType.Number),
        new FieldDefinition("vip", FieldType.Boolean),
        new FieldDefinition("birthDate", FieldType.DateTime),
        new FieldDefinition("tags", FieldType.StringList),
        new FieldDefinition("tier", FieldType.String, "bronze"));

    private static CompiledTemplate Compile(string template, params VariableBinding[] bindings) =>
        CompiledTemplate.Compile(new Campaign("c1", Channel.Email, template), new CampaignReference("c1", ImmutableArray.Create(bindings)), Schema);

    private static FieldValue[] Values(FieldValue firstName = default, FieldValue points = default, FieldValue vip = default, FieldValue birthDate = default, FieldValue tags = default, FieldValue tier = default) =>
        [firstName, points, vip, birthDate, tags, tier];

    [Fact]
    public void Renders_literals_and_every_field_type_invariantly()
    {
        var template = Compile(
            "Hi {{ name }}! You have {{points}} points (vip: {{vip}}), born {{born}}, tags: {{tags}}.",
            new VariableBinding("name", "FIRSTNAME"),
            new VariableBinding("points", "points"),
            new VariableBinding("vip", "vip"),
            new VariableBinding("born", "birthDate"),
            new VariableBinding("tags", "tags"));
        var previous = Thread.CurrentThread.CurrentCulture;
        Thread.CurrentThread.CurrentCulture = new System.Globalization.CultureInfo("de-DE");
        try
        {
            var ok = template.TryRender(
                Values("Ada", 1234.5, true, new DateTimeOffset(1990, 12, 10, 8, 30, 0, TimeSpan.FromHours(2)), FieldValue.FromStringList(["a", "b"])),
                out var body,
                out var missing);
            Assert.True(ok);
            Assert.Null(missing);
            Assert.Equal("Hi Ada! You have 1234.5 points (vip: true), born 1990-12-10T06:30:00Z, tags: a, b.", body);
        }
        finally
        {
            Thread.CurrentThread.CurrentCulture = previous;
        }
    }

    [Theory]
    [InlineData(0d)]
    [InlineData(420d)]
    [InlineData(-17d)]
    [InlineData(1234.5)]
    [InlineData(999_999_999_999_999d)]
    [InlineData(-999_999_999_999_999d)]
    [InlineData(1e15)]
    [InlineData(-1e15)]
    [InlineData(1e20)]
    [InlineData(4.9e-324)]
    public void Numbers_render_as_the_double_prints_them_whole_ones_included(double points)
    {
        var template = Compile("{{points}}", new VariableBinding("points", "points"));

        Assert.True(template.TryRender(Values(points: points), out var body, out _));
        Assert.Equal(points.ToString(System.Globalization.CultureInfo.InvariantCulture), body);
    }

    [Fact]
    public void Whole_numbers_render_as_the_double_prints_them_across_magnitudes()
    {
        var template = Compile("{{points}}", new VariableBinding("points", "points"));
        // A field value never holds -0 (FieldValue normalises it), but the integer path must not print it as "0" either.
        Assert.False(CompiledTemplate.IsSmallInteger(-0d));
        Assert.True(CompiledTemplate.IsSmallInteger(0d));
        var random = new Random(7);
        for (var i = 0; i < 20_000; i++)
        {
            var magnitude = Math.Pow(10, random.Next(0, 17));
            FieldValue points = Math.Truncate((random.NextDouble() - 0.5) * 2 * magnitude);
            Assert.True(template.TryRender(Values(points: points), out var body, out _));
            Assert.Equal(points.AsNumber().ToString(System.Globalization.CultureInfo.InvariantCulture), body);
        }
    }

    [Fact]
    public void Dates_with_a_fraction_of_a_second_keep_it()
    {
        var template = Compile("{{d}}", new VariableBinding("d", "birthDate"));
        Assert.True(template.TryRender(Values(birthDate: new DateTimeOffset(2024, 1, 2, 3, 4, 5, 678, TimeSpan.Zero)), out var body, out _));
        Assert.Equal("2024-01-02T03:04:05.6780000Z", body);
    }

    [Fact]
    public void A_repeated_variable_is_rendered_each_time()
    {
        var template = Compile("{{n}}-{{n}}", new VariableBinding("n", "firstName"));
        Assert.True(template.TryRender(Values("x"), out var body, out _));
        Assert.Equal("x-x", body);
    }

    [Fact]
    public void A_missing_value_uses_the_binding_default()
    {
        var template = Compile("Hi {{name}}", new VariableBinding("name", "firstName", "friend"));
        Assert.True(template.TryRender(Values(), out var body, out _));
        Assert.Equal("Hi friend", body);
    }

    [Fact]
    public void A_missing_value_uses_the_schema_default_before_the_binding_default()
    {
        var template = Compile("Tier {{t}}", new VariableBinding("t", "tier", "none"));
        Assert.True(template.TryRender(Values(), out var body, out _));
        Assert.Equal("Tier bronze", body);
    }

    [Fact]
    public void A_missing_value_without_default_names_the_variable()
    {
        var template = Compile("Hi {{name}}, {{points}}", new VariableBinding("name", "firstName", "friend"), new VariableBinding("points", "points"));
        Assert.False(template.TryRender(Values("Ada"), out _, out var missing));
        Assert.Equal("points", missing);
    }

    [Fact]
    public void A_short_field_array_counts_as_missing_values()
    {
        var template = Compile("{{p}}", new VariableBinding("p", "points"));
        Assert.False(template.TryRender([], out _, out var missing));
        Assert.Equal("p", missing);
    }

    [Fact]
    public void A_template_without_variables_renders_as_is()
    {
        var template = Compile("Plain text");
        Assert.True(template.TryRender([], out var body, out _));
        Assert.Equal("Plain text", body);
    }

    [Fact]
    public void Long_bodies_grow_past_the_stack_buffer()
    {
        var longText = new string('x', 3000);
        var template = Compile("{{a}}|{{a}}|" + new string('y', 700), new VariableBinding("a", "firstName"));
        Assert.True(template.TryRender(Values(longText), out var body, out _));
        Assert.Equal(longText + "|" + longText + "|" + new string('y', 700), body);
    }

    [Theory]
    [InlineData(@"Use \{{ to open", "Use {{ to open", new string[0])]
    [InlineData(@"\{{name}} is {{name}}", "{{name}} is Ada", new[] { "name" })]
    [InlineData(@"Hi {{name}}\{{", "Hi Ada{{", new[] { "name" })]
    [InlineData(@"\{{{{name}}", "{{Ada", new[] { "name" })]
    [InlineData(@"{{name}}\{{name}}", "Ada{{name}}", new[] { "name" })]
    [InlineData(@"\{{ not }} a {{points}}, \{{ nor }}}} this", "{{ not }} a 7, {{ nor }}}} this", new[] { "points" })]
    [InlineData(@"\{{\{{{{points}}\{{", "{{{{7{{", new[] { "points" })]
    [InlineData(@"\{{a}} {{name}} \{{b}} {{points}}", "{{a}} Ada {{b}} 7", new[] { "name", "points" })]
    [InlineData(@"\{{ no closing here", "{{ no closing here", new string[0])]
    [InlineData(@"\{{}}", "{{}}", new string[0])]
    public void A_backslash_before_double_braces_renders_them_literally_and_opens_no_variable(string text, string expected, string[] variables)
    {
        Assert.Equal(variables, new Campaign("c1", Channel.Email, text).Variables.AsImmutableArray());
        var template = Compile(text, new VariableBinding("name", "firstName"), new VariableBinding("points", "points"));

        Assert.True(template.TryRender(Values("Ada", 7), out var body, out _));
        Assert.Equal(expected, body);
    }

    [Theory]
    [InlineData(@"\\{{name}}", @"\{{name}}")]
    [InlineData(@"a\b \ c\}} {{name}}\", @"a\b \ c\}} Ada\")]
    [InlineData(@"\{name}} \ {{name}}", @"\{name}} \ Ada")]
    [InlineData(@"{\{{name}}", "{{{name}}")]
    [InlineData(@"{{name\}}", "Ada")]
    public void Only_a_backslash_right_before_double_braces_escapes_and_every_other_backslash_stays(string text, string expected)
    {
        // {{name\}} is the variable "name\": its value renders (bound below), the backslash does not escape "}}".
        var template = Compile(text, new VariableBinding("name", "firstName"), new VariableBinding(@"name\", "firstName"));

        Assert.True(template.TryRender(Values("Ada"), out var body, out _));
        Assert.Equal(expected, body);
    }

    [Theory]
    [InlineData(@"\{{ok}} {{name", "'{{' at index 8 with no closing '}}'")]
    [InlineData(@"\{{ok}} {{ }}", "an empty variable '{{}}' at index 8")]
    [InlineData(@"{{a \{{b", "'{{' at index 0 with no closing '}}'")]
    [InlineData("Hi {{{name}}}", "a brace in the name of the variable '{name' at index 3 (write '{{name}}': values are inserted as they are, so Handlebars' '{{{name}}}' has no use here)")]
    [InlineData("{{a}b}}", "a brace in the name of the variable 'a}b' at index 0 (write '{{name}}': values are inserted as they are, so Handlebars' '{{{name}}}' has no use here)")]
    public void A_malformed_template_after_an_escape_is_refused_naming_the_campaign_and_the_index(string text, string problem)
    {
        var ex = Assert.Throws<ArgumentException>(() => new Campaign("c9", Channel.Email, text));

        Assert.Equal($"Campaign 'c9': the template has {problem}. (Parameter 'template')", ex.Message);
    }

    [Fact]
    public void Rendering_a_template_with_escapes_allocates_only_the_result()
    {
        var template = Compile(@"\{{x}} Hi {{name}}, \{{ {{points}} points\{{", new VariableBinding("name", "firstName"), new VariableBinding("points", "points"));
        var fields = Values("Ada", 42);
        Assert.True(template.TryRender(fields, out var body, out _));
        Assert.Equal("{{x}} Hi Ada, {{ 42 points{{", body);

        var before = GC.GetAllocatedBytesForCurrentThread();
        GC.KeepAlive(new string('x', body.Length));
        var oneResult = GC.GetAllocatedBytesForCurrentThread() - before;

        // The least of three runs, so that a runtime allocation on the thread now and then does not fail the test.
        var allocated = long.MaxValue;
        for (var attempt = 0; attempt < 3 && allocated > 1000 * oneResult; attempt++)
        {
            before = GC.GetAllocatedBytesForCurrentThread();
            for (var i = 0; i < 1000; i++)
            {
                template.TryRender(fields, out body, out _);
            }

            allocated = Math.Min(allocated, GC.GetAllocatedBytesForCurrentThread() - before);
        }

        Assert.Equal(1000 * oneResult, allocated);
    }

    [Fact]
    public void An_unbound_variable_is_refused_at_compile_time()
    {
        var ex = Assert.Throws<ArgumentException>(() => Compile("Hi {{name}}"));
        Assert.Contains("'name'", ex.Message, StringComparison.Ordinal);
        Assert.Contains("c1", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_binding_to_an_unknown_field_is_refused_at_compile_time()
    {
        var ex = Assert.Throws<ArgumentException>(() => Compile("Hi {{name}}", new VariableBinding("name", "nickname")));
        Assert.Contains("'nickname'", ex.Message, StringComparison.Ordinal);
    }
}
