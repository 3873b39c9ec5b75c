using FsCheck;
using FsCheck.Fluent;

namespace Journeys.Tests.Conditions;

/// <summary>A generated case: a condition well-typed against <see cref="ConditionGenerators.Schema"/>, a customer, an instant and a zone.</summary>
public sealed record ConditionCase(Condition Condition, Customer Customer, DateTimeOffset Now, string ZoneId)
{
    public override string ToString() =>
        $"{Condition} | customer {{{string.Join(", ", Customer.Fields.Select(f => $"{f.Key}={f.Value}"))}}} | now {Now:O} in {ZoneId}";
}

public static class ConditionGenerators
{
    /// <summary>Two fields of every type, one without and one with a default.</summary>
    public static CustomerFieldSchema Schema { get; } = CustomerFieldSchema.Create(
        new FieldDefinition("s1", FieldType.String),
        new FieldDefinition("s2", FieldType.String, "Beta"),
        new FieldDefinition("n1", FieldType.Number),
        new FieldDefinition("n2", FieldType.Number, 10.0),
        new FieldDefinition("b1", FieldType.Boolean),
        new FieldDefinition("b2", FieldType.Boolean, true),
        new FieldDefinition("d1", FieldType.DateTime),
        new FieldDefinition("d2", FieldType.DateTime, new DateTimeOffset(2000, 2, 29, 0, 0, 0, TimeSpan.Zero)),
        new FieldDefinition("l1", FieldType.StringList),
        new FieldDefinition("l2", FieldType.StringList, FieldValue.FromStringList(["a"])));

    public static readonly string[] Zones =
    [
        "UTC", "Europe/Madrid", "America/Los_Angeles", "Pacific/Kiritimati", "Etc/GMT+12", "America/Santiago",
        "Australia/Lord_Howe", "Asia/Kathmandu", "America/St_Johns", "Pacific/Apia",
    ];

    private static readonly DateTime[] Days =
    [
        new(2024, 2, 28), new(2024, 2, 29), new(2024, 3, 1), new(2025, 2, 28), new(2025, 3, 1), new(2025, 3, 30),
        new(2025, 10, 26), new(2025, 4, 5), new(2025, 4, 6), new(2024, 9, 8), new(2025, 12, 31), new(2026, 1, 1),
        new(1990, 3, 15), new(2000, 2, 29), new(2025, 3, 9), new(2025, 11, 2), new(2023, 2, 28), new(2026, 2, 28),
        new(2023, 3, 1),
    ];

    public static Arbitrary<ConditionCase> Cases() => Case().ToArbitrary();

    public static Gen<ConditionCase> Case() =>
        from now in Instant()
        from condition in Gen.Sized(size => ConditionGen(Math.Min(3, size / 20), now))
        from customer in CustomerGen(now)
        from zone in Gen.Elements(Zones)
        select new ConditionCase(condition, customer, now, zone);

    /// <summary>Instants clustered around midnights, leap days and daylight saving changes, sometimes at the ends of time.</summary>
    public static Gen<DateTimeOffset> Instant() =>
        Gen.Frequency(
            (12, from day in Gen.Elements(Days)
                 from hours in Gen.Frequency((3, Gen.Constant(0)), (4, Gen.Choose(-15, 15)), (1, Gen.Choose(-60, 60)))
                 from minutes in Gen.Elements(0, 0, 1, 30, 45, 59)
                 select new DateTimeOffset(day, TimeSpan.Zero).AddHours(hours).AddMinutes(minutes)),
            (1, Gen.Elements(DateTimeOffset.MinValue, DateTimeOffset.MaxValue, new DateTimeOffset(1, 1, 1, 12, 0, 0, TimeSpan.Zero), new DateTimeOffset(9999, 12, 31, 12, 0, 0, TimeSpan.Zero))));

    /// <summary>
    /// Instants near <paramref name="now"/> so that date parts often coincide: midnight UTC (how date-only values are
    /// stored) of a day around now's, in now's year or another (leap or not), or now shifted by a few hours.
    /// </summary>
    public static Gen<DateTimeOffset> Related(DateTimeOffset now) =>
        Gen.Frequency(
            (2, Instant()),
            (3, from days in Gen.Choose(-2, 2)
                from year in Gen.Elements(0, 1990, 2000, 2003, 2004)
                select AtYear(Shift(now.UtcDateTime.Date, days * TimeSpan.TicksPerDay), year)),
            (1, Gen.Elements(2000, 2004, 1996).Select(year => new DateTimeOffset(year, 2, 29, 0, 0, 0, TimeSpan.Zero))),
            (1, from hours in Gen.Choose(-30, 30) select new DateTimeOffset(Shift(now.UtcDateTime, hours * TimeSpan.TicksPerHour), TimeSpan.Zero)));

    private static DateTime Shift(DateTime value, long ticks) =>
        value.Ticks + ticks >= 0 && value.Ticks + ticks <= DateTime.MaxValue.Ticks ? value.AddTicks(ticks) : value;

    private static DateTimeOffset AtYear(DateTime date, int year)
    {
        if (year == 0 || (date.Month == 2 && date.Day == 29 && !DateTime.IsLeapYear(year)))
        {
            return new DateTimeOffset(date, TimeSpan.Zero);
        }

        return new DateTimeOffset(new DateTime(year, date.Month, date.Day), TimeSpan.Zero);
    }

    public static Gen<TimeSpan> Offset() =>
        Gen.Frequency(
            (4, Gen.Constant(TimeSpan.Zero)),
            (6, Gen.Elements(1, -1, 7, -7, 30, -30, 365, -365, -365 * 18).Select(d => TimeSpan.FromDays(d))),
            (4, from days in Gen.Choose(-3, 3) from hours in Gen.Choose(-23, 23) from minutes in Gen.Elements(0, 30, 59) select new TimeSpan(days, hours, minutes, 0)),
            (1, Gen.Elements(TimeSpan.MaxValue, TimeSpan.MinValue, TimeSpan.FromDays(365 * 20000), TimeSpan.FromDays(-365 * 20000))));

    private static Gen<string> Text() => Gen.Elements("", "a", "A", "ab", "aB", "b", "Beta", "beta", "BETA", "gamma", "é", "É", "alpha beta", "Ana María");

    private static Gen<double> Number() =>
        Gen.Frequency((3, Gen.Elements(-1.0, 0.0, 0.5, 1.0, 10.0, 1e9, -1e-9)), (2, Gen.Choose(-20, 20).Select(i => (double)i)));

    private static Gen<FieldValue> StringList() =>
        from count in Gen.Choose(0, 3)
        from items in Text().ArrayOf(count)
        select FieldValue.FromStringList(items);

    private static Gen<FieldValue> ValueOf(FieldType type, DateTimeOffset now) => type switch
    {
        FieldType.String => Text().Select(s => (FieldValue)s),
        FieldType.Number => Number().Select(n => (FieldValue)n),
        FieldType.Boolean => Gen.Elements(true, false).Select(b => (FieldValue)b),
        FieldType.DateTime => Related(now).Select(d => (FieldValue)d),
        _ => StringList(),
    };

    private static Gen<FieldValue> OperandOf(FieldType fieldType, DateTimeOffset now) => ValueOf(fieldType == FieldType.StringList ? FieldType.String : fieldType, now);

    /// <summary>A customer: each field missing, null, a value of its type, or (rarely) a value of another type.</summary>
    public static Gen<Customer> CustomerGen(DateTimeOffset now)
    {
        var fieldGens = Schema.Fields.Select(field =>
            Gen.Frequency(
                (3, Gen.Constant<FieldValue?>(null)),
                (1, Gen.Constant<FieldValue?>(FieldValue.Null)),
                (16, ValueOf(field.Type, now).Select(v => (FieldValue?)v)),
                (1, Gen.Elements(Enum.GetValues<FieldType>()).SelectMany(t => ValueOf(t, now)).Select(v => (FieldValue?)v)))
            .Select(v => (Name: field.Name, Value: v))).ToArray();
        return from values in Gen.CollectToArray(fieldGens)
               from upper in Gen.Elements(true, false)
               select new Customer(
                   "c",
                   values.Where(v => v.Value is not null)
                       .Select(v => KeyValuePair.Create(upper ? v.Name.ToUpperInvariant() : v.Name, v.Value!.Value)));
    }

    public static Gen<Condition> ConditionGen(int depth, DateTimeOffset now)
    {
        // Date fields are picked more often: they have the most rules.
        var leaf = Gen.Frequency(Schema.Fields.Select(f => (f.Type == FieldType.DateTime ? 8 : 1, Leaf(f, now))));
        if (depth <= 0)
        {
            return leaf;
        }

        var inner = ConditionGen(depth - 1, now);
        return Gen.Frequency(
            (5, leaf),
            (1, Gen.Choose(0, 4).SelectMany(n => inner.ArrayOf(n)).Select(c => (Condition)new AllCondition(c))),
            (1, Gen.Choose(0, 4).SelectMany(n => inner.ArrayOf(n)).Select(c => (Condition)new AnyCondition(c))),
            (1, inner.Select(c => (Condition)new NotCondition(c))));
    }

    private static Gen<Condition> Leaf(FieldDefinition field, DateTimeOffset now)
    {
        var operators = field.Type switch
        {
            FieldType.String => Enum.GetValues<ComparisonOperator>(),
            FieldType.Number or FieldType.DateTime =>
            [
                ComparisonOperator.Eq, ComparisonOperator.Neq, ComparisonOperator.Lt, ComparisonOperator.Gt,
                ComparisonOperator.Lte, ComparisonOperator.Gte, ComparisonOperator.IsNull, ComparisonOperator.IsNotNull,
            ],
            FieldType.Boolean => [ComparisonOperator.Eq, ComparisonOperator.Neq, ComparisonOperator.IsNull, ComparisonOperator.IsNotNull],
            _ => [ComparisonOperator.Eq, ComparisonOperator.Neq, ComparisonOperator.Contains, ComparisonOperator.IsNull, ComparisonOperator.IsNotNull],
        };
        var name = Gen.Elements(field.Name, field.Name.ToUpperInvariant());
        var comparison =
            from n in name
            from op in Gen.Elements(operators)
            from operand in OperandOf(field.Type, now)
            select (Condition)new FieldCondition(n, op, op is ComparisonOperator.IsNull or ComparisonOperator.IsNotNull ? FieldValue.Null : operand);
        var inList =
            from n in name
            from count in Gen.Choose(0, 4)
            from values in OperandOf(field.Type, now).ArrayOf(count)
            select (Condition)new InCondition(n, values);
        if (field.Type != FieldType.DateTime)
        {
            return Gen.Frequency((3, comparison), (1, inList));
        }

        var date =
            from n in name
            from op in Gen.Elements(
                ComparisonOperator.Eq, ComparisonOperator.Neq, ComparisonOperator.Lt, ComparisonOperator.Gt,
                ComparisonOperator.Lte, ComparisonOperator.Gte, ComparisonOperator.IsNull, ComparisonOperator.IsNotNull)
            from offset in Offset()
            from part in Gen.Elements(Enum.GetValues<DatePart>())
            select (Condition)new DateCondition(n, op, offset, part);
        return Gen.Frequency((2, comparison), (1, inList), (5, date));
    }
}
