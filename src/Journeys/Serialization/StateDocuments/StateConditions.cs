using System.Text.Json;
using Journeys.Model;
using Journeys.Serialization.Converters;

namespace Journeys.Serialization.StateDocuments;

/// <summary>
/// The <c>cond</c> objects of state documents: field → operators (<c>lt gt eq gte lte neq isnull isnotnull</c>, or
/// <c>useActualDate</c> with <c>datePart</c>); fields are ANDed, and <c>isnull: true</c> overrides the other operators of its field.
/// </summary>
internal static class StateConditions
{
    private static readonly string[] Operators = ["lt", "gt", "eq", "gte", "lte", "neq", "isnull", "isnotnull", "useActualDate", "datePart"];

    /// <summary>The condition, or <see langword="null"/> for an empty <c>cond</c> (matches everyone).</summary>
    public static Condition? Read(JsonElement cond, string path, string stateId)
    {
        if (cond.ValueKind != JsonValueKind.Object)
        {
            throw StateJson.Error(path, $"Expected a condition object (field → operators), found {StateJson.Kind(cond)}.", stateId);
        }

        var conditions = new List<Condition>();
        foreach (var field in cond.EnumerateObject())
        {
            conditions.AddRange(ReadField(field.Name, field.Value, $"{path}.{field.Name}", stateId));
        }

        return conditions.Count switch
        {
            0 => null,
            1 => conditions[0],
            _ => new AllCondition([.. conditions]),
        };
    }

    private static List<Condition> ReadField(string field, JsonElement operators, string path, string stateId)
    {
        StateJson.Object(operators, path, stateId, Operators);
        if (string.IsNullOrWhiteSpace(field))
        {
            throw StateJson.Error(path, "A condition field name is empty.", stateId);
        }

        if (StateJson.Optional(operators, "isnull") is { } isNull && Flag(isNull, $"{path}.isnull", stateId))
        {
            return [Condition.IsNull(field)];
        }

        var result = new List<Condition>();
        var part = DatePart.Instant;
        if (StateJson.Optional(operators, "datePart") is { } datePart)
        {
            if (StateJson.Optional(operators, "useActualDate") is null)
            {
                throw StateJson.Error($"{path}.datePart", "'datePart' is only meaningful with 'useActualDate'.", stateId);
            }

            part = ReadDatePart(datePart, $"{path}.datePart", stateId);
        }

        foreach (var op in operators.EnumerateObject())
        {
            var opPath = $"{path}.{op.Name}";
            switch (op.Name)
            {
                case "isnull" or "datePart":
                    break;
                case "isnotnull":
                    if (Flag(op.Value, opPath, stateId))
                    {
                        result.Add(Condition.IsNotNull(field));
                    }

                    break;
                case "useActualDate":
                    StateJson.Object(op.Value, opPath, stateId, "active", "offset", "operator");
                    if (StateJson.RequiredBoolean(op.Value, "active", opPath, stateId))
                    {
                        var offset = StateJson.Optional(op.Value, "offset") is null ? TimeSpan.Zero : StateJson.Duration(op.Value, "offset", opPath, stateId);
                        var comparison = Operator(StateJson.RequiredString(op.Value, "operator", opPath, stateId), $"{opPath}.operator", stateId);
                        result.Add(new DateCondition(field, comparison, offset, part));
                    }

                    break;
                default:
                    result.Add(new FieldCondition(field, Operator(op.Name, opPath, stateId), StateJson.Scalar(op.Value, opPath, stateId)));
                    break;
            }
        }

        return result;
    }

    public static void Write(Utf8JsonWriter writer, Condition? condition, string? nodeId)
    {
        writer.WriteStartObject();
        if (condition is not null)
        {
            var byField = new List<(string Field, List<Condition> Conditions)>();
            foreach (var part in Flatten(condition, nodeId))
            {
                var field = part switch
                {
                    FieldCondition f => f.Field,
                    DateCondition d => d.Field,
                    _ => throw Unsupported(nodeId, part),
                };
                var index = byField.FindIndex(g => string.Equals(g.Field, field, StringComparison.Ordinal));
                if (index < 0)
                {
                    byField.Add((field, [part]));
                }
                else
                {
                    byField[index].Conditions.Add(part);
                }
            }

            foreach (var (field, conditions) in byField)
            {
                writer.WritePropertyName(field);
                WriteField(writer, field, conditions, nodeId);
            }
        }

        writer.WriteEndObject();
    }

    private static void WriteField(Utf8JsonWriter writer, string field, List<Condition> conditions, string? nodeId)
    {
        var written = new HashSet<string>(StringComparer.Ordinal);
        void Once(string op)
        {
            if (!written.Add(op))
            {
                throw new JourneyStateExportException(nodeId, $"{Where(nodeId)}: field '{field}' has two '{op}' comparisons; a state condition holds one per operator and field.");
            }
        }

        if (conditions.Count > 1 && conditions.Exists(static c => c is FieldCondition { Operator: ComparisonOperator.IsNull }))
        {
            throw new JourneyStateExportException(nodeId, $"{Where(nodeId)}: field '{field}' combines 'isnull' with other comparisons; in a state condition 'isnull' overrides them.");
        }

        writer.WriteStartObject();
        foreach (var condition in conditions)
        {
            switch (condition)
            {
                case FieldCondition { Operator: ComparisonOperator.IsNull }:
                    Once("isnull");
                    writer.WriteBoolean("isnull", true);
                    break;
                case FieldCondition { Operator: ComparisonOperator.IsNotNull }:
                    Once("isnotnull");
                    writer.WriteBoolean("isnotnull", true);
                    break;
                case FieldCondition f when Name(f.Operator) is { } op:
                    Once(op);
                    writer.WritePropertyName(op);
                    WriteScalar(writer, f.Value, nodeId, field);
                    break;
                case DateCondition d when Name(d.Operator) is { } op:
                    Once("useActualDate");
                    writer.WriteStartObject("useActualDate");
                    writer.WriteBoolean("active", true);
                    writer.WriteString("offset", IsoDuration.Format(d.Offset));
                    writer.WriteString("operator", op);
                    writer.WriteEndObject();
                    if (DatePartNames(d.Part) is { } parts)
                    {
                        writer.WriteStartArray("datePart");
                        foreach (var p in parts)
                        {
                            writer.WriteStringValue(p);
                        }

                        writer.WriteEndArray();
                    }

                    break;
                default:
                    throw Unsupported(nodeId, condition);
            }
        }

        writer.WriteEndObject();
    }

    private static IEnumerable<Condition> Flatten(Condition condition, string? nodeId)
    {
        if (condition is AllCondition all)
        {
            if (all.Conditions.IsEmpty)
            {
                throw new JourneyStateExportException(nodeId, $"{Where(nodeId)}: an empty 'all' condition would be read back as 'everyone'; remove it.");
            }

            foreach (var inner in all.Conditions)
            {
                foreach (var part in Flatten(inner, nodeId))
                {
                    yield return part;
                }
            }
        }
        else
        {
            yield return condition;
        }
    }

    private static void WriteScalar(Utf8JsonWriter writer, FieldValue value, string? nodeId, string field)
    {
        switch (value.Type)
        {
            case FieldType.String:
                writer.WriteStringValue(value.AsString());
                break;
            case FieldType.Number:
                writer.WriteNumberValue(value.AsNumber());
                break;
            case FieldType.Boolean:
                writer.WriteBooleanValue(value.AsBoolean());
                break;
            default:
                throw new JourneyStateExportException(nodeId, $"{Where(nodeId)}: field '{field}' is compared with a {(value.Type is null ? "null" : value.Type.ToString())} value; state conditions compare with strings, numbers and booleans.");
        }
    }

    private static bool Flag(JsonElement value, string path, string stateId) =>
        value.ValueKind is JsonValueKind.True or JsonValueKind.False
            ? value.GetBoolean()
            : throw StateJson.Error(path, $"Expected true or false, found {StateJson.Kind(value)}.", stateId);

    private static ComparisonOperator Operator(string name, string path, string stateId) => name switch
    {
        "lt" => ComparisonOperator.Lt,
        "gt" => ComparisonOperator.Gt,
        "eq" => ComparisonOperator.Eq,
        "gte" => ComparisonOperator.Gte,
        "lte" => ComparisonOperator.Lte,
        "neq" => ComparisonOperator.Neq,
        _ => throw StateJson.Error(path, $"'{name}' is not a comparison operator; expected one of: lt, gt, eq, gte, lte, neq.", stateId),
    };

    private static string? Name(ComparisonOperator op) => op switch
    {
        ComparisonOperator.Lt => "lt",
        ComparisonOperator.Gt => "gt",
        ComparisonOperator.Eq => "eq",
        ComparisonOperator.Gte => "gte",
        ComparisonOperator.Lte => "lte",
        ComparisonOperator.Neq => "neq",
        _ => null,
    };

    private static DatePart ReadDatePart(JsonElement value, string path, string stateId)
    {
        if (value.ValueKind != JsonValueKind.Array)
        {
            throw StateJson.Error(path, $"Expected an array such as [\"day\", \"month\"], found {StateJson.Kind(value)}.", stateId);
        }

        bool day = false, month = false, year = false;
        var index = 0;
        foreach (var item in value.EnumerateArray())
        {
            var name = item.ValueKind == JsonValueKind.String ? item.GetString() : null;
            var seen = name switch
            {
                "day" => Set(ref day),
                "month" => Set(ref month),
                "year" => Set(ref year),
                _ => throw StateJson.Error($"{path}[{index}]", $"Expected \"day\", \"month\" or \"year\", found {StateJson.Kind(item)}.", stateId),
            };
            if (seen)
            {
                throw StateJson.Error($"{path}[{index}]", $"\"{name}\" is given twice.", stateId);
            }

            index++;
        }

        return (day, month, year) switch
        {
            (true, true, true) => DatePart.Date,
            (true, true, false) => DatePart.DayAndMonth,
            (false, true, false) => DatePart.Month,
            (false, false, true) => DatePart.Year,
            (false, false, false) => DatePart.Instant,
            _ => throw StateJson.Error(path, "Compare the day with the month ([\"day\", \"month\"]), the month, the year, or all three.", stateId),
        };
    }

    private static bool Set(ref bool flag)
    {
        var was = flag;
        flag = true;
        return was;
    }

    private static string[]? DatePartNames(DatePart part) => part switch
    {
        DatePart.Date => ["day", "month", "year"],
        DatePart.DayAndMonth => ["day", "month"],
        DatePart.Month => ["month"],
        DatePart.Year => ["year"],
        _ => null,
    };

    private static string Where(string? nodeId) => nodeId is null ? "The journey's entry" : $"Node '{nodeId}'";

    private static JourneyStateExportException Unsupported(string? nodeId, Condition condition) => new(
        nodeId,
        $"{Where(nodeId)}: the condition {condition.GetType().Name} has no form in a state document, which holds field comparisons (lt gt eq gte lte neq isnull isnotnull) and actual-date comparisons, ANDed.");
}
