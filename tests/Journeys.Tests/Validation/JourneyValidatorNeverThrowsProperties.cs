using FsCheck.Xunit;
using Journeys.Validation;

namespace Journeys.Tests.Validation;

/// <summary>
/// Validation never throws, whatever the input: FsCheck supplies seeds, and each seed builds a chaotic journey full
/// of nulls, default arrays, out-of-range enums, dangling ids and odd values.
/// </summary>
public sealed class JourneyValidatorNeverThrowsProperties
{
    [Property(MaxTest = 500)]
    public bool Validation_never_throws_and_reports_well_formed_diagnostics(int seed)
    {
        var chaos = new Chaos(seed);
        var journey = chaos.Journey();
        var schema = chaos.Pick(ValidationTestData.Schema, CustomerFieldSchema.Empty, null);
        var campaigns = chaos.Pick(ValidationTestData.Campaigns, CampaignCatalog.Empty, null);

        var result = JourneyValidator.Validate(journey!, schema!, campaigns!);

        _ = result.ToString();
        return result.IsValid == result.Diagnostics.All(d => d.Severity != DiagnosticSeverity.Error)
            && result.Diagnostics.All(d => !string.IsNullOrEmpty(d.Code) && !string.IsNullOrWhiteSpace(d.Message));
    }

    private sealed class Chaos(int seed)
    {
        private static readonly string?[] Ids = ["a", "b", "c", "d", "e", null, "", " ", "x y", new string('z', 200)];
        private static readonly string?[] Fields = ["firstName", "age", "vip", "birthDate", "tags", "unknown", null, ""];
        private static readonly string?[] Words = ["click", "purchase", "welcome", "reminder", "plain-sms", "nope", null, "", "https://x.example/h", "http://x", "UTC", "Nowhere/Zone"];

        private readonly Random _random = new(seed);

        public T Pick<T>(params T[] items) => items[_random.Next(items.Length)];

        public JourneyDefinition? Journey()
        {
            if (_random.Next(20) == 0)
            {
                return null;
            }

            var nodes = _random.Next(8) == 0 ? default : Array(() => Node()!, 0, 8);
            return new JourneyDefinition(
                Pick(Words)!,
                Pick(Words)!,
                _random.Next(-1, 3),
                (JourneyStatus)_random.Next(-1, 6),
                Entry()!,
                Maybe(() => new EntryRules((ReEntryMode)_random.Next(-1, 4), MaybeStruct(Span), MaybeStruct(() => _random.Next(-2, 3)), MaybeStruct(Instant), MaybeStruct(Instant)))!,
                Maybe(() => new ExitRules(Array(() => Maybe(() => new GoalEvent(Pick(Words)!, MaybeCondition(3))), 0, 3)))!,
                nodes,
                Pick(Ids)!,
                Pick(Words)!);
        }

        private JourneyEntry? Entry() => _random.Next(6) switch
        {
            0 => null,
            1 => new AllCustomersEntry(),
            2 => new CustomerListEntry(_random.Next(3) == 0 ? default : Array(() => Pick(Ids)!, 0, 3), _random.Next(2) == 0),
            3 => new FilterEntry(MaybeCondition(4)!),
            _ => new EventEntry(Pick(Words)!, MaybeCondition(3)),
        };

        private JourneyNode? Node() => _random.Next(11) switch
        {
            0 => null,
            1 => new SendNode(Pick(Ids)!, RandomChannel(), Reference()!, Pick(Ids)),
            2 => new FilterNode(Pick(Ids)!, Array(() => Maybe(() => new FilterBranch(MaybeCondition(4)!, Pick(Ids))), 0, 3), Pick(Ids)),
            3 => new WaitForEventNode(Pick(Ids)!, Pick(Words)!, Span(), Pick(Ids), Pick(Ids), Pick(Ids), MaybeCondition(3)),
            4 => new RandomSplitNode(Pick(Ids)!, Array(() => Maybe(() => new RandomPath(Pick(1d, 0d, -1d, double.NaN, double.PositiveInfinity), Pick(Ids))), 0, 3)),
            5 => new RetargetingNode(Pick(Ids)!, Pick(Words)!, Span(), Array(() => Maybe(() => new RetargetingReminder(Span(), RandomChannel(), Reference()!)), 0, 3), Pick(Ids), Pick(Ids)),
            6 => new DelayNode(Pick(Ids)!, Delay()!, Pick(Ids)),
            7 => new WebhookNode(Pick(Ids)!, Pick(Words)!, _random.Next(4) == 0 ? default : Array(() => Pick(Fields)!, 0, 3), Span(), _random.Next(-2, 13), Pick(Ids), Pick(Ids)),
            8 => new UpdateCustomerNode(Pick(Ids)!, Pick(Fields)!, Value(), Pick(Ids)),
            9 => new ExitNode(Pick(Ids)!, Pick(Words)!),
            _ => new DelayNode(Pick(Ids)!, new DurationDelay(TimeSpan.FromHours(1)), Pick(Ids)),
        };

        private DelaySpec? Delay() => _random.Next(5) switch
        {
            0 => null,
            1 => new DurationDelay(Span()),
            2 => new UntilDateDelay(Instant()),
            3 => new UntilFieldDelay(Pick(Fields)!, Span()),
            _ => new UntilTimeOfDayDelay(new TimeOnly(_random.Next(24), 0)),
        };

        private CampaignReference? Reference() => Maybe(() => new CampaignReference(
            Pick(Words)!,
            _random.Next(4) == 0 ? default : Array(() => Maybe(() => new VariableBinding(Pick("name", "email", "", null)!, Pick(Fields)!)), 0, 3)));

        private Channel RandomChannel() => Pick(Channel.Push, Channel.Email, Channel.Sms, default, new Channel("custom"));

        private Condition? MaybeCondition(int depth) => _random.Next(3) == 0 ? null : Condition(depth);

        private Condition? Condition(int depth)
        {
            var choice = depth <= 0 ? _random.Next(5) : _random.Next(9);
            return choice switch
            {
                0 => null,
                1 => new FieldCondition(Pick(Fields)!, (ComparisonOperator)_random.Next(-1, 11), Value()),
                2 => new InCondition(Pick(Fields)!, _random.Next(4) == 0 ? default : Array(Value, 0, 3)),
                3 => new DateCondition(Pick(Fields)!, (ComparisonOperator)_random.Next(-1, 11), Span(), (DatePart)_random.Next(-1, 6)),
                4 => new FieldCondition(Pick(Fields)!, ComparisonOperator.IsNull, FieldValue.Null),
                5 => new AllCondition(_random.Next(4) == 0 ? default : Array(() => Condition(depth - 1)!, 0, 3)),
                6 => new AnyCondition(Array(() => Condition(depth - 1)!, 0, 3)),
                _ => new NotCondition(Condition(depth - 1)!),
            };
        }

        private FieldValue Value() => _random.Next(6) switch
        {
            0 => FieldValue.Null,
            1 => "text",
            2 => 42d,
            3 => true,
            4 => FieldValue.FromDateTime(Instant()),
            _ => FieldValue.FromStringList(["a", "b"]),
        };

        private TimeSpan Span() => Pick(TimeSpan.Zero, TimeSpan.FromHours(1), TimeSpan.FromDays(2), TimeSpan.FromHours(-1), TimeSpan.MinValue, TimeSpan.MaxValue);

        private DateTimeOffset Instant() => Pick(DateTimeOffset.MinValue, DateTimeOffset.MaxValue, new DateTimeOffset(2025, 1, 1, 0, 0, 0, TimeSpan.Zero));

        /// <summary>Sometimes null, despite the non-nullable annotation, as deserialised input can be.</summary>
        private T Maybe<T>(Func<T> create)
            where T : class => _random.Next(5) == 0 ? null! : create();

        private T? MaybeStruct<T>(Func<T> create)
            where T : struct => _random.Next(2) == 0 ? null : create();

        private T[] Array<T>(Func<T> create, int min, int max)
        {
            var items = new T[_random.Next(min, max + 1)];
            for (var i = 0; i < items.Length; i++)
            {
                items[i] = create();
            }

            return items;
        }
    }
}
