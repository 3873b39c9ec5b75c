using System.Reflection;
using System.Text.RegularExpressions;
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
