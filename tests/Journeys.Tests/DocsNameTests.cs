using System.Reflection;
using System.Text.RegularExpressions;
using Journeys.Messaging;
using Journeys.Runtime;

namespace Journeys.Tests;

/// <summary>
/// README.md and docs/*.md name types and members of the library as <c>Type.Member</c> (options, exceptions, store
/// calls, statistics counters). A rename that forgets the docs fails here: every such name whose type is a type of the
/// Journeys assembly must still be a member of it. The pages are copied next to the tests (the project file).
/// </summary>
public sealed partial class DocsNameTests
{
    private const BindingFlags Any = BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Instance | BindingFlags.Static;

    [Fact]
    public void Every_Type_Member_the_docs_name_exists_in_the_library()
    {
        var types = typeof(JourneysOptions).Assembly.GetTypes()
            .Where(static t => !t.Name.Contains('<', StringComparison.Ordinal))
            .GroupBy(static t => t.Name.Split('`')[0], StringComparer.Ordinal)
            .ToDictionary(static g => g.Key, static g => g.ToList(), StringComparer.Ordinal);
        var pages = Directory.GetFiles(Path.Combine(AppContext.BaseDirectory, "docs"), "*.md");
        Assert.Contains(pages, static p => Path.GetFileName(p) == "README.md");

        var checkedNames = 0;
        var missing = new List<string>();
        foreach (var page in pages)
        {
            var lines = File.ReadAllLines(page);
            for (var i = 0; i < lines.Length; i++)
            {
                foreach (Match match in TypeMember().Matches(lines[i]))
                {
                    if (!types.TryGetValue(match.Groups["type"].Value, out var candidates))
                    {
                        continue; // not a type of the library (a BCL type, a benchmark, prose)
                    }

                    checkedNames++;
                    if (!candidates.Any(t => HasMember(t, match.Groups["member"].Value)))
                    {
                        missing.Add($"{Path.GetFileName(page)}:{i + 1}: {match.Value}");
                    }
                }
            }
        }

        Assert.True(checkedNames >= 80, $"Only {checkedNames} names were checked: did the pages stop being copied?");
        Assert.True(missing.Count == 0, "Names the docs give that the library does not have:\n" + string.Join('\n', missing));
    }

    [Theory]
    [InlineData("engine.md", typeof(JourneysOptions), typeof(SendPolicyOptions))]
    [InlineData("messaging.md", typeof(ChannelPolicyOptions), null)]
    public void An_options_table_names_every_option_and_only_options(string page, Type options, Type? nested)
    {
        var rows = OptionsTable(page);
        var properties = new[] { options, nested }.OfType<Type>()
            .SelectMany(static t => t.GetProperties(BindingFlags.Public | BindingFlags.Instance))
            .Where(static p => p.PropertyType != typeof(SendPolicyOptions))
            .Select(static p => p.Name)
            .ToHashSet(StringComparer.Ordinal);
        var named = new HashSet<string>(StringComparer.Ordinal);
        foreach (var row in rows)
        {
            var names = CodeName().Matches(row).Select(static m => m.Groups["name"].Value).ToList();
            Assert.True(names.Count > 0 && properties.Contains(names[0]), $"{page}: the row '{row}' does not start with an option of {options.Name}");
            named.UnionWith(names);
        }

        properties.ExceptWith(named);
        Assert.True(properties.Count == 0, $"{page}: options missing from the table: {string.Join(", ", properties)}");
    }

    // The first cells of the table headed "| option | default | allowed |".
    private static List<string> OptionsTable(string page)
    {
        var lines = File.ReadAllLines(Path.Combine(AppContext.BaseDirectory, "docs", page));
        var start = Array.FindIndex(lines, static l => l.StartsWith("| option | default | allowed |", StringComparison.Ordinal));
        Assert.True(start >= 0, $"{page} has no options table");
        return [.. lines.Skip(start + 2).TakeWhile(static l => l.StartsWith('|')).Select(static l => l.Split('|')[1])];
    }

    // `Name`, `Name.Member` (the member is the name) or `Name[key]`.
    [GeneratedRegex(@"`(?:[A-Za-z]+\.)?(?<name>[A-Z][A-Za-z]+)(?:\[[a-z]+\])?`")]
    private static partial Regex CodeName();

    private static bool HasMember(Type type, string name)
    {
        for (var t = type; t is not null; t = t.BaseType)
        {
            if (t.GetMember(name, Any | BindingFlags.DeclaredOnly).Length > 0)
            {
                return true;
            }
        }

        return type.GetInterfaces().Any(i => i.GetMember(name, Any).Length > 0);
    }

    [GeneratedRegex(@"\b(?<type>[A-Z][A-Za-z0-9]+)\.(?<member>[A-Z][A-Za-z0-9]+)\b")]
    private static partial Regex TypeMember();
}
