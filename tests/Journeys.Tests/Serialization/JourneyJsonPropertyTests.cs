using FsCheck.Xunit;
using Journeys.Serialization;

namespace Journeys.Tests.Serialization;

public sealed class JourneyJsonPropertyTests
{
    [Fact]
    public void The_round_trip_sample_uses_every_kind_of_the_model()
    {
        // Fails when the model gains a node, entry, delay or condition kind that the sample (and so the round trip) misses.
        var journey = SampleJourneys.Everything();
        var used = new HashSet<Type>();
        foreach (var node in journey.Nodes)
        {
            used.Add(node.GetType());
            if (node is DelayNode delay)
            {
                used.Add(delay.Delay.GetType());
            }
        }

        foreach (var entry in SampleJourneys.AllEntries)
        {
            used.Add(entry.GetType());
        }

        AddConditions(SampleJourneys.EveryCondition, used);

        var kinds = typeof(JourneyNode).Assembly.GetTypes()
            .Where(t => !t.IsAbstract && (t.IsSubclassOf(typeof(JourneyNode)) || t.IsSubclassOf(typeof(JourneyEntry)) || t.IsSubclassOf(typeof(DelaySpec)) || t.IsSubclassOf(typeof(Condition))));
        Assert.All(kinds, kind => Assert.Contains(kind, used));

        var operators = new HashSet<ComparisonOperator>();
        CollectOperators(SampleJourneys.EveryCondition, operators);
        Assert.Equal(Enum.GetValues<ComparisonOperator>().Order(), operators.Order());
    }

    [Property]
    public bool Any_duration_round_trips(long ticks)
    {
        var node = new WaitForEventNode("w", "click", TimeSpan.FromTicks(ticks), null, "t");
        return node == JourneyJson.DeserializeNode(JourneyJson.SerializeNode(node));
    }

    [Theory]
    [InlineData(long.MaxValue)]
    [InlineData(long.MinValue)]
    [InlineData(long.MinValue + 1)]
    [InlineData(8_640_001_234_567_891)]
    [InlineData(-1)]
    [InlineData(0)]
    public void Extreme_durations_round_trip(long ticks) => Assert.True(Any_duration_round_trips(ticks));

    [Property]
    public bool Any_finite_number_and_string_round_trips(double number, string? text)
    {
        if (!double.IsFinite(number))
        {
            return true;
        }

        var condition = Condition.Any(Condition.Eq("n", number), Condition.Eq("s", text));
        return condition == JourneyJson.DeserializeCondition(JourneyJson.SerializeCondition(condition));
    }

    [Property]
    public bool Any_instant_and_offset_round_trips(DateTime dateTime, short offsetMinutes)
    {
        var offset = TimeSpan.FromMinutes(offsetMinutes % (14 * 60));
        var ticks = Math.Clamp(dateTime.Ticks, DateTimeOffset.MinValue.Ticks + TimeSpan.TicksPerDay, DateTimeOffset.MaxValue.Ticks - TimeSpan.TicksPerDay);
        var instant = new DateTimeOffset(ticks, offset);
        var node = new DelayNode("d", new UntilDateDelay(instant), null);

        var read = Assert.IsType<UntilDateDelay>(Assert.IsType<DelayNode>(JourneyJson.DeserializeNode(JourneyJson.SerializeNode(node))).Delay);
        return read.Until == instant && read.Until.Offset == instant.Offset
            && JourneyJson.DeserializeCondition(JourneyJson.SerializeCondition(Condition.Eq("t", instant))) == Condition.Eq("t", instant);
    }

    [Property]
    public bool Any_time_of_day_round_trips(long ticks)
    {
        var node = new DelayNode("d", new UntilTimeOfDayDelay(new TimeOnly((long)((ulong)ticks % (ulong)TimeOnly.MaxValue.Ticks))), null);
        return node == JourneyJson.DeserializeNode(JourneyJson.SerializeNode(node));
    }

    private static void AddConditions(Condition condition, HashSet<Type> used)
    {
        used.Add(condition.GetType());
        switch (condition)
        {
            case AllCondition all:
                all.Conditions.ToList().ForEach(c => AddConditions(c, used));
                break;
            case AnyCondition any:
                any.Conditions.ToList().ForEach(c => AddConditions(c, used));
                break;
            case NotCondition not:
                AddConditions(not.Condition, used);
                break;
        }
    }

    private static void CollectOperators(Condition condition, HashSet<ComparisonOperator> operators)
    {
        switch (condition)
        {
            case FieldCondition field:
                operators.Add(field.Operator);
                break;
            case AllCondition all:
                all.Conditions.ToList().ForEach(c => CollectOperators(c, operators));
                break;
            case AnyCondition any:
                any.Conditions.ToList().ForEach(c => CollectOperators(c, operators));
                break;
            case NotCondition not:
                CollectOperators(not.Condition, operators);
                break;
        }
    }
}
