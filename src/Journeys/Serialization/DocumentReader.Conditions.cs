using Journeys.Model;
using Journeys.Serialization.Documents;

namespace Journeys.Serialization;

internal static partial class DocumentReader
{
    public static Condition ReadCondition(ConditionDocument d, string path) => d switch
    {
        FieldConditionDocument x => new FieldCondition(Required(x.Field, path, "field"), Required(x.Op, path, "op"), x.Value),
        InConditionDocument x => new InCondition(Required(x.Field, path, "field"), [.. Required(x.Values, path, "values")]),
        DateConditionDocument x => new DateCondition(
            Required(x.Field, path, "field"),
            ReadDateOperator(Required(x.Op, path, "op"), path),
            x.Offset ?? TimeSpan.Zero,
            x.Part ?? DatePart.Instant),
        AllConditionDocument x => new AllCondition(ReadList(Required(x.Conditions, path, "conditions"), path + ".conditions", ReadCondition)),
        AnyConditionDocument x => new AnyCondition(ReadList(Required(x.Conditions, path, "conditions"), path + ".conditions", ReadCondition)),
        NotConditionDocument x => new NotCondition(ReadCondition(Required(x.Condition, path, "condition"), path + ".condition")),
        _ => throw MissingType(path, ConditionTypes),
    };

    private static Condition? ReadOptionalCondition(ConditionDocument? d, string path) =>
        d is null ? null : ReadCondition(d, path);

    private static ComparisonOperator ReadDateOperator(ComparisonOperator op, string path) =>
        op is ComparisonOperator.Contains or ComparisonOperator.StartsWith
            ? throw new JourneyJsonException(path + ".op", "A date condition compares with eq, neq, lt, gt, lte, gte, isnull or isnotnull.", null)
            : op;
}
