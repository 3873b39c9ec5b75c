using Journeys.Model;

namespace Journeys.Conditions;

/// <summary>
/// The specification of condition semantics (docs/conditions.md), written as plainly as possible: a direct walk over the
/// condition tree that reads fields by name. The compiled evaluators must agree with it (a property test checks that).
/// It is also the evaluator for conditions on event properties, which have no schema and are not a hot path.
/// </summary>
/// <remarks>
/// In short: a null field fails every comparison except <c>neq</c> (exactly <c>not eq</c>) and <c>isnull</c>; a value of
/// the wrong type compares like null but is not null. Strings: <c>eq neq in contains startswith</c> ignore case
/// (ordinal), <c>lt gt lte gte</c> are ordinal and case-sensitive. A string list equals (and contains) a string when it has
/// an item equal to it. Date conditions compare with now + offset: <see cref="DatePart.Instant"/> as instants; the
/// calendar parts take the target's date in the given zone (the offset's whole days as calendar days from today there,
/// the rest as elapsed time, with the UTC offset in force then) and the field's date in UTC
/// (date-only values are stored as midnight UTC); a 29 February field counts as 28 February in a common target year.
/// </remarks>
internal static class ReferenceConditionEvaluator
{
    /// <summary>Evaluates a condition on a customer's fields.</summary>
    /// <param name="condition">The condition.</param>
    /// <param name="customer">The customer.</param>
    /// <param name="schema">
    /// The schema: a field the customer has no value for (or a null one) reads as its default, and a value whose type is
    /// not the field's compares like null (it is still not null for isnull/isnotnull).
    /// </param>
    /// <param name="now">The current instant.</param>
    /// <param name="zone">The customer's time zone, else the journey's.</param>
    public static bool Evaluate(Condition condition, Customer customer, CustomerFieldSchema schema, DateTimeOffset now, TimeZoneInfo zone)
    {
        ArgumentNullException.ThrowIfNull(customer);
        ArgumentNullException.ThrowIfNull(schema);
        return Evaluate(condition, name => ReadCustomerField(customer, schema, name), now, zone);
    }

    /// <summary>Evaluates a condition on event properties (no schema: a missing property is null).</summary>
    /// <param name="condition">The condition.</param>
    /// <param name="properties">The event's properties.</param>
    /// <param name="now">The current instant.</param>
    /// <param name="zone">The customer's time zone, else the journey's.</param>
    public static bool Evaluate(Condition condition, IReadOnlyDictionary<string, FieldValue> properties, DateTimeOffset now, TimeZoneInfo zone)
    {
        ArgumentNullException.ThrowIfNull(properties);
        return Evaluate(condition, name => properties.TryGetValue(name, out var value) ? new Read(value, value) : new Read(FieldValue.Null, FieldValue.Null), now, zone);
    }

    private static Read ReadCustomerField(Customer customer, CustomerFieldSchema schema, string name)
    {
        var value = customer.GetField(name);
        if (!schema.TryGetField(name, out var field))
        {
            return new Read(value, value);
        }

        if (value.IsNull)
        {
            value = field.Default;
        }

        return new Read(value, value.IsNull || value.Type == field.Type ? value : FieldValue.Null);
    }

    private static bool Evaluate(Condition condition, Func<string, Read> read, DateTimeOffset now, TimeZoneInfo zone)
    {
        ArgumentNullException.ThrowIfNull(condition);
        ArgumentNullException.ThrowIfNull(zone);
        switch (condition)
        {
            case AllCondition all:
                foreach (var inner in all.Conditions)
                {
                    if (!Evaluate(inner, read, now, zone))
                    {
                        return false;
                    }
                }

                return true;

            case AnyCondition any:
                foreach (var inner in any.Conditions)
                {
                    if (Evaluate(inner, read, now, zone))
                    {
                        return true;
                    }
                }

                return false;

            case NotCondition not:
                return !Evaluate(not.Condition, read, now, zone);

            case FieldCondition field:
                return CompareField(read(field.Field), field.Operator, field.Value);

            case InCondition inCondition:
                var value = read(inCondition.Field).Comparable;
                foreach (var candidate in inCondition.Values)
                {
                    if (AreEqual(value, candidate))
                    {
                        return true;
                    }
                }

                return false;

            case DateCondition date:
                return CompareDate(read(date.Field), date, now, zone);

            default:
                throw new ArgumentException($"Unknown condition kind {condition.GetType().Name}.", nameof(condition));
        }
    }

    private static bool CompareField(Read field, ComparisonOperator op, FieldValue operand)
    {
        var value = field.Comparable;
        switch (op)
        {
            case ComparisonOperator.IsNull:
                return field.Value.IsNull;
            case ComparisonOperator.IsNotNull:
                return !field.Value.IsNull;
            case ComparisonOperator.Eq:
                return AreEqual(value, operand);
            case ComparisonOperator.Neq:
                return !AreEqual(value, operand);
            case ComparisonOperator.Contains:
                if (value.Type == FieldType.String && operand.Type == FieldType.String)
                {
                    return value.AsString().Contains(operand.AsString(), StringComparison.OrdinalIgnoreCase);
                }

                // A string list contains an item: the same test as eq.
                return value.Type == FieldType.StringList && AreEqual(value, operand);
            case ComparisonOperator.StartsWith:
                return value.Type == FieldType.String && operand.Type == FieldType.String
                    && value.AsString().StartsWith(operand.AsString(), StringComparison.OrdinalIgnoreCase);
            default:
                var order = Order(value, operand);
                return order is { } c && Holds(op, c);
        }
    }

    /// <summary>eq: strings ignoring case; a string list equals a string when it has an item equal to it; null equals nothing.</summary>
    private static bool AreEqual(FieldValue value, FieldValue operand)
    {
        if (value.Type == FieldType.StringList && operand.Type == FieldType.String)
        {
            foreach (var item in value.AsStringList())
            {
                if (string.Equals(item, operand.AsString(), StringComparison.OrdinalIgnoreCase))
                {
                    return true;
                }
            }

            return false;
        }

        if (value.IsNull || value.Type != operand.Type)
        {
            return false;
        }

        return value.Type switch
        {
            FieldType.String => string.Equals(value.AsString(), operand.AsString(), StringComparison.OrdinalIgnoreCase),
            FieldType.Number => value.AsNumber() == operand.AsNumber(),
            FieldType.Boolean => value.AsBoolean() == operand.AsBoolean(),
            FieldType.DateTime => value.AsDateTime() == operand.AsDateTime(),
            _ => false,
        };
    }

    /// <summary>The order of a value and an operand of the same type: strings ordinally (case-sensitive), numbers, instants; else none.</summary>
    private static int? Order(FieldValue value, FieldValue operand)
    {
        if (value.IsNull || value.Type != operand.Type)
        {
            return null;
        }

        return value.Type switch
        {
            FieldType.String => string.CompareOrdinal(value.AsString(), operand.AsString()),
            FieldType.Number => value.AsNumber().CompareTo(operand.AsNumber()),
            FieldType.DateTime => value.AsDateTime().CompareTo(operand.AsDateTime()),
            _ => null,
        };
    }

    private static bool CompareDate(Read field, DateCondition condition, DateTimeOffset now, TimeZoneInfo zone)
    {
        if (condition.Operator == ComparisonOperator.IsNull)
        {
            return field.Value.IsNull;
        }

        if (condition.Operator == ComparisonOperator.IsNotNull)
        {
            return !field.Value.IsNull;
        }

        if (field.Comparable.Type != FieldType.DateTime)
        {
            return condition.Operator == ComparisonOperator.Neq;
        }

        // now + offset, held at the first or last representable instant rather than overflowing.
        var nowUtc = now.ToUniversalTime();
        var target = condition.Offset > DateTimeOffset.MaxValue - nowUtc ? DateTimeOffset.MaxValue
            : condition.Offset < DateTimeOffset.MinValue - nowUtc ? DateTimeOffset.MinValue
            : nowUtc + condition.Offset;

        var fieldInstant = field.Comparable.AsDateTime();
        if (condition.Part == DatePart.Instant)
        {
            return Holds(condition.Operator, fieldInstant.CompareTo(target));
        }

        // The target's calendar date: the offset's whole days are calendar days in the zone ("a day from today" is
        // tomorrow's date whatever the hour, also on a night when the clocks change around midnight), the rest of it is
        // elapsed time (read with the UTC offset in force then); the field's date is read in UTC, where date-only values
        // such as birthdays are stored as midnight.
        var days = condition.Offset.Ticks / TimeSpan.TicksPerDay;
        var rest = TimeSpan.FromTicks(condition.Offset.Ticks % TimeSpan.TicksPerDay);
        var restTarget = rest > DateTimeOffset.MaxValue - nowUtc ? DateTimeOffset.MaxValue
            : rest < DateTimeOffset.MinValue - nowUtc ? DateTimeOffset.MinValue
            : nowUtc + rest;
        var localDate = TimeZoneInfo.ConvertTimeFromUtc(restTarget.UtcDateTime, zone).Date;
        var targetDate = days > (DateTime.MaxValue.Date - localDate).Days ? DateTime.MaxValue.Date
            : days < -(localDate - DateTime.MinValue).Days ? DateTime.MinValue
            : localDate.AddDays(days);
        var fieldDate = fieldInstant.UtcDateTime;
        var order = condition.Part switch
        {
            DatePart.Date => fieldDate.Date.CompareTo(targetDate.Date),
            DatePart.DayAndMonth => CompareDayAndMonth(fieldDate, targetDate),
            DatePart.Month => fieldDate.Month.CompareTo(targetDate.Month),
            DatePart.Year => fieldDate.Year.CompareTo(targetDate.Year),
            _ => throw new ArgumentException($"Unknown date part {condition.Part}.", nameof(condition)),
        };
        return Holds(condition.Operator, order);
    }

    /// <summary>Compares (month, day) pairs; a February 29 field counts as February 28 in a target year that is not a leap year.</summary>
    private static int CompareDayAndMonth(DateTime field, DateTime target)
    {
        var day = field.Day;
        if (field.Month == 2 && day == 29 && !DateTime.IsLeapYear(target.Year))
        {
            day = 28;
        }

        return field.Month != target.Month ? field.Month.CompareTo(target.Month) : day.CompareTo(target.Day);
    }

    private static bool Holds(ComparisonOperator op, int order) => op switch
    {
        ComparisonOperator.Eq => order == 0,
        ComparisonOperator.Neq => order != 0,
        ComparisonOperator.Lt => order < 0,
        ComparisonOperator.Gt => order > 0,
        ComparisonOperator.Lte => order <= 0,
        ComparisonOperator.Gte => order >= 0,
        _ => false,
    };

    /// <summary>A field as read: its value (for isnull/isnotnull) and the value comparisons see (null when of the wrong type).</summary>
    private readonly record struct Read(FieldValue Value, FieldValue Comparable);
}
