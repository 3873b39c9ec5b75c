using System.Collections.Immutable;
using System.Runtime.CompilerServices;
using Journeys.Model;

namespace Journeys.Conditions;

/// <summary>
/// A condition compiled against a <see cref="CustomerFieldSchema"/> by <see cref="ConditionCompiler"/>: field names are
/// resolved to slots and each comparison is a specialised evaluator, so evaluating it for a customer allocates nothing
/// and interprets nothing.
/// </summary>
/// <remarks>
/// The contract for <c>fields</c>: <c>fields[slot]</c> is the customer's value of the schema field at that slot (see
/// <see cref="CustomerFieldSchema.GetSlot"/>), with the schema default already applied where the customer has no value
/// or a null one (<see cref="CustomerSlots.Fill"/> does exactly that); the span is at least <see cref="FieldCount"/>
/// long. A value whose type is not the field's type compares like null.
/// </remarks>
internal sealed class CompiledCondition
{
    private readonly ConditionEvaluator _root;

    internal CompiledCondition(Condition source, ConditionEvaluator root, int fieldCount, ImmutableArray<int> slots, bool dependsOnTime)
    {
        Source = source;
        _root = root;
        FieldCount = fieldCount;
        Slots = slots;
        DependsOnTime = dependsOnTime;
    }

    /// <summary>The condition that was compiled.</summary>
    public Condition Source { get; }

    /// <summary>The number of fields of the schema it was compiled against: the least length of the field span.</summary>
    public int FieldCount { get; }

    /// <summary>The slots the condition reads, ascending: a change to other fields cannot change its result.</summary>
    public ImmutableArray<int> Slots { get; }

    /// <summary>True when the result can change with the time or the time zone (it has a date condition other than isnull/isnotnull).</summary>
    public bool DependsOnTime { get; }

    /// <summary>Evaluates the condition for one customer.</summary>
    /// <param name="fields">The customer's values by schema slot, schema defaults applied (see the remarks).</param>
    /// <param name="context">The current instant and the customer's (else the journey's) time zone.</param>
    /// <exception cref="ArgumentException">The span is shorter than <see cref="FieldCount"/>.</exception>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public bool Evaluate(ReadOnlySpan<FieldValue> fields, in EvaluationContext context)
    {
        if (fields.Length < FieldCount)
        {
            ThrowTooFewFields(fields.Length);
        }

        return _root.Evaluate(fields, in context);
    }

    /// <summary>The evaluator tree (for tests and benchmarks).</summary>
    internal ConditionEvaluator Root => _root;

    private void ThrowTooFewFields(int length) =>
        throw new ArgumentException($"The condition was compiled against a schema of {FieldCount} fields but {length} field values were given; pass the customer's values for every schema slot.");
}
