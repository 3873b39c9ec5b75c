using System.Collections.Immutable;
using System.Globalization;
using System.Text.Json;
using Journeys.AspNetCore.Contracts;
using Journeys.Model;
using Journeys.Storage;
using Journeys.Validation;

namespace Journeys.AspNetCore;

/// <summary>Conversions between the HTTP contracts and the model.</summary>
internal static class ApiMapping
{
    public static string Name(JourneyStatus status) => status.ToString().ToLowerInvariant();

    public static string Name(StatisticCounter counter)
    {
        var name = counter.ToString();
        return string.Concat(name[..1].ToLowerInvariant(), name[1..]);
    }

    public static JourneySummary Summary(JourneyRecord record) => new(
        record.Journey.Id,
        record.Journey.Name,
        record.Journey.Version,
        Name(record.Journey.Status),
        ETags.Format(record),
        record.UpdatedAt,
        record.Journey.Nodes.Count);

    public static List<DiagnosticResponse> Diagnostics(IEnumerable<JourneyDiagnostic> diagnostics) =>
        [.. diagnostics.Select(static d => new DiagnosticResponse(
            d.Code,
            d.Severity == DiagnosticSeverity.Error ? "error" : "warning",
            d.NodeId,
            d.Path,
            d.Message))];

    public static StatisticsResponse Statistics(JourneyStatistics statistics, JourneyDefinition? journey)
    {
        var nodes = new List<NodeStatistics>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        if (journey is not null)
        {
            // Every node of the journey, in its order, even those nobody has reached yet.
            foreach (var node in journey.Nodes)
            {
                if (node is not null && seen.Add(node.Id))
                {
                    nodes.Add(Node(statistics, node.Id));
                }
            }
        }

        foreach (var nodeId in statistics.Nodes.Keys.Order(StringComparer.Ordinal))
        {
            if (seen.Add(nodeId))
            {
                nodes.Add(Node(statistics, nodeId));
            }
        }

        return new StatisticsResponse(statistics.JourneyId, statistics.Version, Counters(statistics.Journey), statistics.Waiting(), nodes);
    }

    public static FieldValue FieldValue(JsonElement element, string path) => element.ValueKind switch
    {
        JsonValueKind.Null or JsonValueKind.Undefined => Model.FieldValue.Null,
        JsonValueKind.String => Model.FieldValue.FromString(element.GetString()),
        JsonValueKind.Number when element.TryGetDouble(out var number) && double.IsFinite(number) => Model.FieldValue.FromNumber(number),
        JsonValueKind.True => Model.FieldValue.FromBoolean(true),
        JsonValueKind.False => Model.FieldValue.FromBoolean(false),
        JsonValueKind.Array => StringList(element, path),
        JsonValueKind.Object => DateTime(element, path),
        _ => throw ApiProblemException.BadRequest($"Invalid JSON at {path}: the number is not a finite double.", path),
    };

    public static ImmutableDictionary<string, FieldValue> Fields(Dictionary<string, JsonElement>? fields, string path)
    {
        var builder = ImmutableDictionary.CreateBuilder<string, FieldValue>(StringComparer.OrdinalIgnoreCase);
        if (fields is null)
        {
            return builder.ToImmutable();
        }

        foreach (var (name, value) in fields)
        {
            if (string.IsNullOrWhiteSpace(name))
            {
                throw ApiProblemException.BadRequest($"Invalid JSON at {path}: a field name is empty.", path);
            }

            if (!builder.TryAdd(name, FieldValue(value, $"{path}.{name}")))
            {
                throw ApiProblemException.BadRequest($"Invalid JSON at {path}.{name}: the field is given twice (names ignore case).", $"{path}.{name}");
            }
        }

        return builder.ToImmutable();
    }

    private static FieldValue StringList(JsonElement element, string path)
    {
        var items = new List<string>(element.GetArrayLength());
        var index = 0;
        foreach (var item in element.EnumerateArray())
        {
            if (item.ValueKind != JsonValueKind.String)
            {
                throw ApiProblemException.BadRequest($"Invalid JSON at {path}[{index}]: a list value holds strings only.", $"{path}[{index}]");
            }

            items.Add(item.GetString()!);
            index++;
        }

        return Model.FieldValue.FromStringList(items);
    }

    private static FieldValue DateTime(JsonElement element, string path)
    {
        var count = 0;
        JsonElement value = default;
        foreach (var property in element.EnumerateObject())
        {
            count++;
            value = property.Value;
            if (property.Name != "dateTime")
            {
                throw ApiProblemException.BadRequest($"Invalid JSON at {path}.{property.Name}: an object value must be {{\"dateTime\": \"2026-01-01T00:00:00Z\"}}.", $"{path}.{property.Name}");
            }
        }

        if (count != 1 || value.ValueKind != JsonValueKind.String
            || !DateTimeOffset.TryParse(value.GetString(), CultureInfo.InvariantCulture, DateTimeStyles.None, out var instant)
            || !HasOffset(value.GetString()!))
        {
            throw ApiProblemException.BadRequest($"Invalid JSON at {path}.dateTime: expected an ISO 8601 date-time with an offset, such as \"2026-01-01T09:00:00Z\".", $"{path}.dateTime");
        }

        return Model.FieldValue.FromDateTime(instant);
    }

    /// <summary>Whether an ISO 8601 date-time text gives its offset (<c>Z</c> or <c>±hh:mm</c> after the time).</summary>
    internal static bool HasOffset(string text)
    {
        var time = text.IndexOf('T', StringComparison.Ordinal);
        return time > 0 && (text.EndsWith('Z') || text.EndsWith('z') || text.IndexOf('+', time) > 0 || text.IndexOf('-', time) > 0);
    }

    private static NodeStatistics Node(JourneyStatistics statistics, string nodeId) => new(
        nodeId,
        Counters(statistics.Nodes.GetValueOrDefault(nodeId) ?? ImmutableDictionary<StatisticCounter, long>.Empty),
        statistics.ClickRate(nodeId),
        statistics.Waiting(nodeId));

    private static SortedDictionary<string, long> Counters(ImmutableDictionary<StatisticCounter, long> counters)
    {
        // Every counter, zero included, so that a client can read any of them without checking it exists.
        var result = new SortedDictionary<string, long>(StringComparer.Ordinal);
        foreach (var counter in Enum.GetValues<StatisticCounter>())
        {
            result[Name(counter)] = counters.GetValueOrDefault(counter);
        }

        return result;
    }
}
