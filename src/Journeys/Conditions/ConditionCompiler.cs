using System.Collections.Frozen;
using System.Globalization;
using System.Numerics;
using Journeys.Model;

namespace Journeys.Conditions;

/// <summary>
/// Compiles a <see cref="Condition"/> against a <see cref="CustomerFieldSchema"/> into a <see cref="CompiledCondition"/>:
/// names are resolved to slots once and every comparison becomes an evaluator specialised for its operator and field
/// type, with the operand already extracted. The semantics are those of <see cref="ReferenceConditionEvaluator"/>
/// (docs/conditions.md).
/// </summary>
internal static class ConditionCompiler
{
    private const string Root = "condition";

    /// <summary>Compiles a condition on customer fields.</summary>
    /// <param name="condition">A condition that passed validation against <paramref name="schema"/>.</param>
    /// <param name="schema">The customer field schema.</param>
    /// <exception cref="ArgumentException">
    /// The condition names a field the schema does not have, uses an operator the field's type does not support,
    /// or has an operand of the wrong type (validation reports all of these first); the message names the field and where it is.
    /// </exception>
    public static CompiledCondition Compile(Condition condition, CustomerFieldSchema schema)
    {
        ArgumentNullException.ThrowIfNull(condition);
        ArgumentNullException.ThrowIfNull(schema);
        var run = new Run(schema);
        var root = run.Compile(condition, Root);
        return new CompiledCondition(condition, root, schema.Fields.Count, [.. run.Slots], run.DependsOnTime);
    }

    private sealed class Run(CustomerFieldSchema schema)
    {
        public SortedSet<int> Slots { get; } = [];

        public bool DependsOnTime { get; private set; }

        public ConditionEvaluator Compile(Condition? condition, string path) => condition switch
        {
            AllCondition all => CompileAll(all, path),
            AnyCondition any => CompileAny(any, path),
            NotCondition not => CompileNot(not, path),
            FieldCondition field => CompileField(field, path),
            InCondition inCondition => CompileIn(inCondition, path),
            DateCondition date => CompileDate(date, path),
            null => throw new ArgumentException($"The condition at {path} is null.", nameof(condition)),
            _ => throw new ArgumentException($"The condition at {path} is of an unknown kind ({condition.GetType().Name}).", nameof(condition)),
        };

        private ConditionEvaluator[] CompileGroup(EquatableArray<Condition> conditions, string path)
        {
            var evaluators = new ConditionEvaluator[conditions.Count];
            for (var i = 0; i < evaluators.Length; i++)
            {
                evaluators[i] = Compile(conditions[i], string.Create(CultureInfo.InvariantCulture, $"{path}.conditions[{i}]"));
            }

            return evaluators;
        }

        private ConditionEvaluator CompileAll(AllCondition all, string path)
        {
            var inner = CompileGroup(all.Conditions, path);
            return inner.Length switch
            {
                0 => Constant.True,
                1 => inner[0],
                _ => new AllOf(inner),
            };
        }

        private ConditionEvaluator CompileAny(AnyCondition any, string path)
        {
            var inner = CompileGroup(any.Conditions, path);
            return inner.Length switch
            {
                0 => Constant.False,
                1 => inner[0],
                _ => new AnyOf(inner),
            };
        }

        private ConditionEvaluator CompileNot(NotCondition not, string path)
        {
            var inner = Compile(not.Condition, $"{path}.condition");
            if (inner is NotOf twice)
            {
                return twice.Inner;
            }

            return ReferenceEquals(inner, Constant.True) ? Constant.False
                : ReferenceEquals(inner, Constant.False) ? Constant.True
                : new NotOf(inner);
        }

        private ConditionEvaluator CompileField(FieldCondition condition, string path)
        {
            var (slot, field) = Resolve(condition.Field, path);
            var op = condition.Operator;
            switch (op)
            {
                case ComparisonOperator.IsNull:
                    return new FieldIsNull<Polarity.Is>(slot);
                case ComparisonOperator.IsNotNull:
                    return new FieldIsNull<Polarity.IsNot>(slot);
            }

            var operand = condition.Value;
            var operandType = OperandType(field.Type);
            if (operand.Type != operandType)
            {
                throw new ArgumentException($"The condition at {path} compares the {field.Type} field '{field.Name}' with the {TypeName(operand)} value '{operand}'; a {operandType} value is needed.", nameof(condition));
            }

            var evaluator = field.Type switch
            {
                FieldType.String => op switch
                {
                    ComparisonOperator.Eq => new StringEquality<Polarity.Is>(slot, operand.AsString()),
                    ComparisonOperator.Neq => new StringEquality<Polarity.IsNot>(slot, operand.AsString()),
                    ComparisonOperator.Contains => new StringContains(slot, operand.AsString()),
                    ComparisonOperator.StartsWith => new StringStartsWith(slot, operand.AsString()),
                    _ => StringOrder(op, slot, operand.AsString()),
                },
                FieldType.Number => Ordered<FieldReaders.Number, double>(op, slot, operand.AsNumber()),
                FieldType.DateTime => Ordered<FieldReaders.Instant, long>(op, slot, operand.AsDateTime().UtcTicks),
                FieldType.Boolean => op switch
                {
                    ComparisonOperator.Eq => new BooleanEquality<Polarity.Is>(slot, operand.AsBoolean()),
                    ComparisonOperator.Neq => new BooleanEquality<Polarity.IsNot>(slot, operand.AsBoolean()),
                    _ => null,
                },
                FieldType.StringList => op switch
                {
                    ComparisonOperator.Eq or ComparisonOperator.Contains => new StringListContains<Polarity.Is>(slot, operand.AsString()),
                    ComparisonOperator.Neq => new StringListContains<Polarity.IsNot>(slot, operand.AsString()),
                    _ => null,
                },
                _ => null,
            };

            return evaluator ?? throw new ArgumentException($"The condition at {path} uses the operator {op} on the {field.Type} field '{field.Name}', which that type does not support.", nameof(condition));
        }

        private ConditionEvaluator CompileIn(InCondition condition, string path)
        {
            var (slot, field) = Resolve(condition.Field, path);
            var operandType = OperandType(field.Type);
            var values = condition.Values;
            for (var i = 0; i < values.Count; i++)
            {
                if (values[i].Type != operandType)
                {
                    throw new ArgumentException(string.Create(CultureInfo.InvariantCulture, $"The 'in' condition at {path} on the {field.Type} field '{field.Name}' lists the {TypeName(values[i])} value '{values[i]}' (value {i + 1}); {operandType} values are needed."), nameof(condition));
                }
            }

            if (values.IsEmpty)
            {
                return Constant.False;
            }

            return field.Type switch
            {
                FieldType.String => new InStrings(slot, Strings(values)),
                FieldType.StringList => new StringListIntersects(slot, Strings(values)),
                FieldType.Number => new InScalars<FieldReaders.Number, double>(slot, values.Select(static v => v.AsNumber()).ToFrozenSet()),
                FieldType.DateTime => new InScalars<FieldReaders.Instant, long>(slot, values.Select(static v => v.AsDateTime().UtcTicks).ToFrozenSet()),
                FieldType.Boolean => new InScalars<FieldReaders.Boolean, bool>(slot, values.Select(static v => v.AsBoolean()).ToFrozenSet()),
                _ => throw new ArgumentException($"The 'in' condition at {path} is on the field '{field.Name}' of unknown type {field.Type}.", nameof(condition)),
            };
        }

        private ConditionEvaluator CompileDate(DateCondition condition, string path)
        {
            var (slot, field) = Resolve(condition.Field, path);
            if (field.Type != FieldType.DateTime)
            {
                throw new ArgumentException($"The date condition at {path} uses '{field.Name}', a {field.Type} field; date conditions need a DateTime field.", nameof(condition));
            }

            var op = condition.Operator;
            switch (op)
            {
                case ComparisonOperator.IsNull:
                    return new FieldIsNull<Polarity.Is>(slot);
                case ComparisonOperator.IsNotNull:
                    return new FieldIsNull<Polarity.IsNot>(slot);
            }

            DependsOnTime = true;
            var offset = condition.Offset.Ticks;
            var evaluator = condition.Part switch
            {
                DatePart.Instant => FromNow(op, slot, offset),
                DatePart.Date => Calendar<CalendarParts.Date>(op, slot, offset),
                DatePart.DayAndMonth => Calendar<CalendarParts.DayAndMonth>(op, slot, offset),
                DatePart.Month => Calendar<CalendarParts.Month>(op, slot, offset),
                DatePart.Year => Calendar<CalendarParts.Year>(op, slot, offset),
                _ => throw new ArgumentException($"The date condition at {path} on '{field.Name}' compares an unknown date part ({condition.Part}).", nameof(condition)),
            };

            return evaluator ?? throw new ArgumentException($"The date condition at {path} on '{field.Name}' uses the operator {op}; date conditions use Eq, Neq, Lt, Gt, Lte, Gte, IsNull or IsNotNull.", nameof(condition));
        }

        private (int Slot, FieldDefinition Field) Resolve(string name, string path)
        {
            var slot = schema.GetSlot(name);
            if (slot < 0)
            {
                throw new ArgumentException($"The condition at {path} uses the field '{name}', which is not in the customer field schema.");
            }

            Slots.Add(slot);
            return (slot, schema.Fields[slot]);
        }
    }

    /// <summary>The type of the operand a field is compared with: a string list is compared with one of its items.</summary>
    private static FieldType OperandType(FieldType fieldType) => fieldType == FieldType.StringList ? FieldType.String : fieldType;

    private static string TypeName(FieldValue value) => value.Type?.ToString() ?? "null";

    private static FrozenSet<string> Strings(EquatableArray<FieldValue> values) =>
        values.Select(static v => v.AsString()).ToFrozenSet(StringComparer.OrdinalIgnoreCase);

    private static ConditionEvaluator? Ordered<TReader, T>(ComparisonOperator op, int slot, T operand)
        where TReader : struct, IFieldReader<T>
        where T : IComparisonOperators<T, T, bool> => op switch
        {
            ComparisonOperator.Eq => new ScalarComparison<TReader, T, Ordering.Eq>(slot, operand),
            ComparisonOperator.Neq => new ScalarComparison<TReader, T, Ordering.Neq>(slot, operand),
            ComparisonOperator.Lt => new ScalarComparison<TReader, T, Ordering.Lt>(slot, operand),
            ComparisonOperator.Gt => new ScalarComparison<TReader, T, Ordering.Gt>(slot, operand),
            ComparisonOperator.Lte => new ScalarComparison<TReader, T, Ordering.Lte>(slot, operand),
            ComparisonOperator.Gte => new ScalarComparison<TReader, T, Ordering.Gte>(slot, operand),
            _ => null,
        };

    private static ConditionEvaluator? StringOrder(ComparisonOperator op, int slot, string operand) => op switch
    {
        ComparisonOperator.Lt => new StringOrdinalComparison<Ordering.Lt>(slot, operand),
        ComparisonOperator.Gt => new StringOrdinalComparison<Ordering.Gt>(slot, operand),
        ComparisonOperator.Lte => new StringOrdinalComparison<Ordering.Lte>(slot, operand),
        ComparisonOperator.Gte => new StringOrdinalComparison<Ordering.Gte>(slot, operand),
        _ => null,
    };

    private static ConditionEvaluator? FromNow(ComparisonOperator op, int slot, long offsetTicks) => op switch
    {
        ComparisonOperator.Eq => new InstantFromNow<Ordering.Eq>(slot, offsetTicks),
        ComparisonOperator.Neq => new InstantFromNow<Ordering.Neq>(slot, offsetTicks),
        ComparisonOperator.Lt => new InstantFromNow<Ordering.Lt>(slot, offsetTicks),
        ComparisonOperator.Gt => new InstantFromNow<Ordering.Gt>(slot, offsetTicks),
        ComparisonOperator.Lte => new InstantFromNow<Ordering.Lte>(slot, offsetTicks),
        ComparisonOperator.Gte => new InstantFromNow<Ordering.Gte>(slot, offsetTicks),
        _ => null,
    };

    private static ConditionEvaluator? Calendar<TPart>(ComparisonOperator op, int slot, long offsetTicks)
        where TPart : struct, ICalendarPart => op switch
        {
            ComparisonOperator.Eq => new CalendarComparison<TPart, Ordering.Eq>(slot, offsetTicks),
            ComparisonOperator.Neq => new CalendarComparison<TPart, Ordering.Neq>(slot, offsetTicks),
            ComparisonOperator.Lt => new CalendarComparison<TPart, Ordering.Lt>(slot, offsetTicks),
            ComparisonOperator.Gt => new CalendarComparison<TPart, Ordering.Gt>(slot, offsetTicks),
            ComparisonOperator.Lte => new CalendarComparison<TPart, Ordering.Lte>(slot, offsetTicks),
            ComparisonOperator.Gte => new CalendarComparison<TPart, Ordering.Gte>(slot, offsetTicks),
            _ => null,
        };
}
