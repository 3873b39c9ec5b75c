using BenchmarkDotNet.Attributes;
using Journeys.Model;

namespace Journeys.Benchmarks;

/// <summary>
/// Cost of value equality on the immutable model: comparing field values and comparing whole node arrays is what
/// change detection (is this update a new version?) and tests do. Both should allocate nothing.
/// </summary>
[MemoryDiagnoser]
[ShortMode(iterationMilliseconds: 100)]
public class ModelBenchmarks
{
    private const int NodeCount = 20;

    private FieldValue _string1;
    private FieldValue _string2;
    private FieldValue _number1;
    private FieldValue _number2;
    private FieldValue _list1;
    private FieldValue _list2;
    private EquatableArray<JourneyNode> _nodes1;
    private EquatableArray<JourneyNode> _nodes2;

    /// <summary>Builds two equal but distinct copies of every operand, so equality cannot short-circuit on reference.</summary>
    [GlobalSetup]
    public void Setup()
    {
        _string1 = FieldValue.FromString(new string('a', 32));
        _string2 = FieldValue.FromString(new string('a', 32));
        _number1 = FieldValue.FromNumber(42.5);
        _number2 = FieldValue.FromNumber(42.5);
        _list1 = FieldValue.FromStringList(["gold", "silver", "bronze", new string('x', 8)]);
        _list2 = FieldValue.FromStringList(["gold", "silver", "bronze", new string('x', 8)]);
        _nodes1 = CreateNodes();
        _nodes2 = CreateNodes();
    }

    /// <summary>Two equal string values (distinct string instances).</summary>
    [Benchmark(Baseline = true)]
    public bool FieldValueStringEquals() => _string1.Equals(_string2);

    /// <summary>Two equal number values.</summary>
    [Benchmark]
    public bool FieldValueNumberEquals() => _number1.Equals(_number2);

    /// <summary>Two equal string-list values (distinct lists).</summary>
    [Benchmark]
    public bool FieldValueStringListEquals() => _list1.Equals(_list2);

    /// <summary>Two equal arrays of 20 nodes (distinct node instances), compared node by node.</summary>
    [Benchmark]
    public bool NodeArrayEquals() => _nodes1.Equals(_nodes2);

    private static EquatableArray<JourneyNode> CreateNodes()
    {
        var nodes = new JourneyNode[NodeCount];
        for (var i = 0; i < NodeCount - 2; i += 2)
        {
            // Fresh strings per copy, so the comparison does real character work.
            var campaign = new CampaignReference(
                string.Concat("campaign-", i.ToString(System.Globalization.CultureInfo.InvariantCulture)),
                new VariableBinding[] { new("firstName", string.Concat("first", "Name")) });
            nodes[i] = new SendNode(NodeId(i), Channel.Email, campaign, NodeId(i + 1));
            nodes[i + 1] = new DelayNode(NodeId(i + 1), new DurationDelay(TimeSpan.FromHours(i + 1)), NodeId(i + 2));
        }

        nodes[NodeCount - 2] = new SendNode(NodeId(NodeCount - 2), Channel.Push, new CampaignReference("last", EquatableArray<VariableBinding>.Empty), NodeId(NodeCount - 1));
        nodes[NodeCount - 1] = new ExitNode(NodeId(NodeCount - 1), "done");
        return nodes;
    }

    private static string NodeId(int i) => string.Concat("node-", i.ToString(System.Globalization.CultureInfo.InvariantCulture));
}
