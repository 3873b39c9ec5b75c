using BenchmarkDotNet.Attributes;
using Journeys.Conditions;
using Journeys.Messaging;
using Journeys.Model;
using Journeys.Runtime;
using Journeys.Storage;

namespace Journeys.Benchmarks;

/// <summary>
/// What the engine does per customer per node, in isolation: compiled filter conditions, a birthday condition in
/// Europe/Madrid, a sticky random split, rendering a template, and deciding the next node of a compiled journey.
/// The customer has 20 fields laid out by schema slot. Targets: a 3-comparison filter ≤ 25 ns, a split ≤ 15 ns,
/// 0 B allocated per evaluation (rendering allocates its result string; a whole <see cref="StepExecutor"/> run
/// allocates its checkpoint).
/// </summary>
[MemoryDiagnoser]
[ShortMode(iterationMilliseconds: 100)]
public class NodeEvaluationBenchmarks
{
    private FieldValue[] _fields = [];
    private EvaluationContext _madrid;
    private CompiledCondition _filter1 = null!;
    private CompiledCondition _filter3 = null!;
    private CompiledCondition _filter10 = null!;
    private CompiledCondition _birthday = null!;
    private CompiledCondition _birthdayInAWeek = null!;
    private CompiledJourney _journey = null!;
    private CompiledFilter _filterNode = null!;
    private CompiledSplit _split = null!;
    private CompiledTemplate _template = null!;
    private WorkItem _item = null!;
    private string _customerId = string.Empty;

    /// <summary>Compiles everything once, as activation does.</summary>
    [GlobalSetup]
    public void Setup()
    {
        var schema = BenchmarkData.Schema;
        var customer = BenchmarkData.CreateCustomer(0);
        _customerId = customer.Id;
        _fields = CustomerSlots.ToArray(customer, schema);
        _madrid = new EvaluationContext(BenchmarkData.Now, TimeZoneInfo.FindSystemTimeZoneById("Europe/Madrid"));
        _filter1 = ConditionCompiler.Compile(BenchmarkData.Filter1, schema);
        _filter3 = ConditionCompiler.Compile(BenchmarkData.Filter3, schema);
        _filter10 = ConditionCompiler.Compile(BenchmarkData.Filter10, schema);
        _birthday = ConditionCompiler.Compile(Condition.Anniversary("birthDate"), schema);
        _birthdayInAWeek = ConditionCompiler.Compile(Condition.Anniversary("birthDate", 7), schema);

        _journey = JourneyCompiler.Compile(BenchmarkData.DecisionJourney(), schema, BenchmarkData.Campaigns);
        _filterNode = (CompiledFilter)_journey.Nodes[_journey.IndexById["filter"]];
        _split = (CompiledSplit)_journey.Nodes[_journey.IndexById["split"]];
        BenchmarkData.Campaigns.TryGet("welcome", out var campaign);
        _template = CompiledTemplate.Compile(
            campaign!,
            [new VariableBinding("name", "firstName", "friend"), new VariableBinding("plan", "plan"), new VariableBinding("points", "points")],
            schema);

        var enrollment = new Enrollment(
            Guid.Parse("0195a0c0-0000-7000-8000-000000000001"),
            _journey.Id,
            _journey.Version,
            customer.Id,
            _journey.Definition.StartNodeId,
            EnrollmentStatus.Active,
            WakeAt: null,
            AwaitedEvent: null,
            Visit: 0,
            EnteredAt: BenchmarkData.Now,
            UpdatedAt: BenchmarkData.Now,
            ConcurrencyToken: 1)
        { WakeEvents = _journey.GoalEvents, NodeEnteredAt = BenchmarkData.Now };
        _item = new WorkItem(enrollment, [], BenchmarkData.Now.AddMinutes(5));

        if (!_filter1.Evaluate(_fields, _madrid) || !_filter3.Evaluate(_fields, _madrid) || !_filter10.Evaluate(_fields, _madrid) || !_birthday.Evaluate(_fields, _madrid))
        {
            throw new InvalidOperationException("The sample customer must match every filter (so no comparison short-circuits) and have a birthday today.");
        }
    }

    /// <summary>A filter with one comparison (string equality, ignoring case).</summary>
    [Benchmark]
    public bool Filter1Comparison() => _filter1.Evaluate(_fields, _madrid);

    /// <summary>A filter with three comparisons (string, number, boolean), all evaluated. Target ≤ 25 ns.</summary>
    [Benchmark(Baseline = true)]
    public bool Filter3Comparisons() => _filter3.Evaluate(_fields, _madrid);

    /// <summary>A filter with ten comparisons over strings, numbers, booleans, dates and an <c>in</c> list, all evaluated.</summary>
    [Benchmark]
    public bool Filter10Comparisons() => _filter10.Evaluate(_fields, _madrid);

    /// <summary><c>Condition.Anniversary("birthDate")</c> in Europe/Madrid: today's date is in the context, no zone conversion.</summary>
    [Benchmark]
    public bool BirthdayTodayMadrid() => _birthday.Evaluate(_fields, _madrid);

    /// <summary><c>Condition.Anniversary("birthDate", 7)</c> in Europe/Madrid: one zone conversion of now + 7 days.</summary>
    [Benchmark]
    public bool BirthdayInAWeekMadrid() => _birthdayInAWeek.Evaluate(_fields, _madrid);

    /// <summary>A sticky 50/50 random split: XxHash3 of the customer id with the node seed. Target ≤ 15 ns.</summary>
    [Benchmark]
    public int RandomSplitChoosePath() => _split.ChoosePath(_customerId);

    /// <summary>Renders "Hi {{name}}, your {{plan}} plan has {{points}} points." (string, string, number); allocates the result.</summary>
    [Benchmark]
    public string RenderTemplate3Variables()
    {
        _template.TryRender(_fields, out var body, out _);
        return body;
    }

    /// <summary>
    /// The filter node's choice of the next node, exactly as <see cref="StepExecutor"/> makes it: the first branch
    /// whose compiled condition (3 comparisons) matches, else the else edge.
    /// </summary>
    [Benchmark]
    public int NextNodeFilterChoice()
    {
        var filter = _filterNode;
        var conditions = filter.Conditions;
        for (var i = 0; i < conditions.Length; i++)
        {
            if (conditions[i].Evaluate(_fields, _madrid))
            {
                return filter.Targets[i];
            }
        }

        return filter.Else;
    }

    /// <summary>
    /// A whole <see cref="StepExecutor.Execute"/> run of one new enrollment through filter → split → exit (3 nodes):
    /// state transitions, statistic deltas and the checkpoint. This allocates (records, lists, the checkpoint).
    /// </summary>
    [Benchmark]
    public EnrollmentCheckpoint StepExecutorFilterSplitExit() => StepExecutor.Execute(_journey, _item, _fields, _journey.Zone, BenchmarkData.Now);
}
