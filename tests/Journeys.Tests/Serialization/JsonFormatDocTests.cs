using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Journeys.Serialization;

namespace Journeys.Tests.Serialization;

/// <summary>
/// docs/json-format.md read as the library reads documents: its example and its error messages must be what the reader
/// and writer do, so the page fails this test when it drifts from the code (the file is copied next to the tests).
/// </summary>
public sealed partial class JsonFormatDocTests
{
    private static readonly string Page = File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "docs", "json-format.md"));

    [Fact]
    public void The_example_reads_and_is_written_back_exactly_as_the_page_shows_it()
    {
        var example = Example();

        var journey = JourneyJson.Deserialize(example);

        Assert.Equal("welcome", journey.Id);
        Assert.Equal(5, journey.Nodes.Count);
        Assert.Equal(example, JourneyJson.Serialize(journey, indented: true));
    }

    [Fact]
    public void Each_error_message_on_the_page_is_the_one_the_reader_gives()
    {
        var documented = ErrorLines();
        Assert.Equal(4, documented.Count);
        foreach (var (path, hasLine, problem) in documented)
        {
            var ex = Assert.Throws<JourneyJsonException>(() => JourneyJson.Deserialize(Breaking(path)));
            Assert.Equal(path, ex.Path);
            Assert.Equal(problem, ex.Problem);
            Assert.Equal(hasLine, ex.LineNumber is not null);
        }
    }

    [Fact]
    public void The_snippet_reads_one_node()
    {
        var snippet = SnippetNode().Match(Page);
        Assert.True(snippet.Success, "json-format.md lost its DeserializeNode snippet");

        var node = Assert.IsType<ExitNode>(JourneyJson.DeserializeNode(snippet.Groups["json"].Value));
        Assert.Equal("x", node.Id);
        Assert.Equal("done", node.Reason);
    }

    // The page's example with the one change that gives the error documented at that path.
    private static string Breaking(string path)
    {
        var document = JsonNode.Parse(Example())!.AsObject();
        var nodes = document["nodes"]!.AsArray();
        switch (path)
        {
            case "$.schemaVersion":
                document["schemaVersion"] = 2;
                break;
            case "$.nodes[2].type":
                nodes[2]!["type"] = "sned";
                break;
            case "$.nodes[0].branches[0].condition.op":
                nodes[0] = JsonNode.Parse("""
                    {"type": "filter", "id": "hello", "branches": [{"condition": {"type": "field", "field": "score", "op": "like", "value": 80}, "next": "vip"}], "else": "bye"}
                    """);
                break;
            case "$.nodes[1].timeout":
                nodes[1] = JsonNode.Parse("""{"type": "waitForEvent", "id": "wait", "event": "clicked", "timeout": "P1M", "onTimeout": "vip"}""");
                break;
            default:
                Assert.Fail($"json-format.md documents an error at {path}, which this test does not know how to cause: add it here.");
                break;
        }

        return document.ToJsonString(new System.Text.Json.JsonSerializerOptions { WriteIndented = true });
    }

    private static string Example()
    {
        var section = Page[Page.IndexOf("\n## Example", StringComparison.Ordinal)..];
        var match = JsonBlock().Match(section);
        Assert.True(match.Success, "json-format.md has no json block under '## Example'");
        return match.Groups["json"].Value.TrimEnd('\n');
    }

    private static List<(string Path, bool HasLine, string Problem)> ErrorLines() =>
        [.. ErrorLine().Matches(Page).Select(m => (m.Groups["path"].Value, m.Groups["line"].Success, m.Groups["problem"].Value))];

    [GeneratedRegex(@"```json\n(?<json>.*?)```", RegexOptions.Singleline)]
    private static partial Regex JsonBlock();

    [GeneratedRegex(@"^Invalid JSON at (?<path>\S+?)(?: \(line (?<line>\d+)\))?: (?<problem>.+)$", RegexOptions.Multiline)]
    private static partial Regex ErrorLine();

    [GeneratedRegex(@"JourneyJson\.DeserializeNode\(""""""(?<json>.*?)""""""\)")]
    private static partial Regex SnippetNode();
}
