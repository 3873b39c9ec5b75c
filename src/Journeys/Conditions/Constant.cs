using Journeys.Model;

namespace Journeys.Conditions;

/// <summary>A condition with a fixed result: an empty <c>all</c> (true) or an empty <c>any</c> or <c>in</c> (false).</summary>
internal sealed class Constant : ConditionEvaluator
{
    private readonly bool _result;

    private Constant(bool result) => _result = result;

    /// <summary>Always true.</summary>
    public static Constant True { get; } = new(true);

    /// <summary>Always false.</summary>
    public static Constant False { get; } = new(false);

    public override bool Evaluate(ReadOnlySpan<FieldValue> fields, in EvaluationContext context) => _result;
}
