using Journeys.Model;

namespace Journeys.Serialization.Converters;

/// <summary>Reads and writes <see cref="ComparisonOperator"/> as <c>eq</c>, <c>neq</c>, <c>lt</c>, <c>gt</c>, <c>lte</c>, <c>gte</c>, <c>isnull</c>, <c>isnotnull</c>, <c>contains</c>, <c>startswith</c>.</summary>
internal sealed class ComparisonOperatorConverter() : EnumNameConverter<ComparisonOperator>(
        "comparison operator",
        (ComparisonOperator.Eq, "eq"),
        (ComparisonOperator.Neq, "neq"),
        (ComparisonOperator.Lt, "lt"),
        (ComparisonOperator.Gt, "gt"),
        (ComparisonOperator.Lte, "lte"),
        (ComparisonOperator.Gte, "gte"),
        (ComparisonOperator.IsNull, "isnull"),
        (ComparisonOperator.IsNotNull, "isnotnull"),
        (ComparisonOperator.Contains, "contains"),
        (ComparisonOperator.StartsWith, "startswith"));
