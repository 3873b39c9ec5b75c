using System.Threading.Channels;
using Channel = System.Threading.Channels.Channel;
using Journeys.Conditions;
using Journeys.Model;
using Journeys.Runtime;

namespace Journeys.Benchmarks;

/// <summary>
/// The limit the engine is compared with: the same five compiled steps (filter → split → send → update → send) as a
/// hand-written loop, customers routed by the engine's hash to bounded <see cref="Channel"/>
/// shards, with no store, no claims or leases, no checkpoints, no statistics, no outbox and no senders. The customers'
/// field values are laid out by slot once, up front (no customer loading). A send renders its template (the string is
/// allocated, as the engine's is) and nothing else.
/// </summary>
internal sealed class LimitPipeline
{
    private const int InboxCapacity = 4096;

    private readonly string[] _ids;
    private readonly FieldValue[][] _fields;
    private readonly CompiledFilter _filter;
    private readonly CompiledSplit _split;
    private readonly CompiledSend _welcome;
    private readonly CompiledUpdate _update;
    private readonly CompiledSend _followUp;
    private readonly EvaluationContext _context;

    public LimitPipeline(int customers)
    {
        _ids = new string[customers];
        _fields = new FieldValue[customers][];
        for (var i = 0; i < customers; i++)
        {
            var customer = BenchmarkData.CreateCustomer(i);
            _ids[i] = customer.Id;
            _fields[i] = CustomerSlots.ToArray(customer, BenchmarkData.Schema);
        }

        // The list audience does not change the compiled nodes; one id keeps the definition small.
        var journey = JourneyCompiler.Compile(BenchmarkData.ThroughputJourney([_ids[0]]), BenchmarkData.Schema, BenchmarkData.Campaigns);
        _filter = (CompiledFilter)journey.Nodes[journey.IndexById["filter"]];
        _split = (CompiledSplit)journey.Nodes[journey.IndexById["split"]];
        _welcome = (CompiledSend)journey.Nodes[journey.IndexById["send-welcome"]];
        _update = (CompiledUpdate)journey.Nodes[journey.IndexById["update-segment"]];
        _followUp = (CompiledSend)journey.Nodes[journey.IndexById["send-follow-up"]];
        _context = new EvaluationContext(DateTimeOffset.UtcNow, journey.Zone);
    }

    public int Customers => _ids.Length;

    /// <summary>Runs every customer through the five steps on <paramref name="shardCount"/> shards; returns the node steps taken.</summary>
    public async Task<long> RunAsync(int shardCount)
    {
        var shards = new Channel<int>[shardCount];
        var workers = new Task<long>[shardCount];
        for (var s = 0; s < shardCount; s++)
        {
            shards[s] = Channel.CreateBounded<int>(new BoundedChannelOptions(InboxCapacity) { SingleReader = true, SingleWriter = true });
            var reader = shards[s].Reader;
            workers[s] = Task.Run(() => WorkAsync(reader));
        }

        for (var i = 0; i < _ids.Length; i++)
        {
            var shard = shards[(int)(StableHash.Hash(_ids[i], 0) % (ulong)shardCount)];
            await shard.Writer.WriteAsync(i).ConfigureAwait(false);
        }

        foreach (var shard in shards)
        {
            shard.Writer.Complete();
        }

        long steps = 0;
        foreach (var worker in workers)
        {
            steps += await worker.ConfigureAwait(false);
        }

        if (steps != (long)_ids.Length * BenchmarkData.StepsPerCustomer)
        {
            throw new InvalidOperationException($"{steps} steps for {_ids.Length} customers.");
        }

        return steps;
    }

    private async Task<long> WorkAsync(ChannelReader<int> inbox)
    {
        long steps = 0;
        while (await inbox.WaitToReadAsync().ConfigureAwait(false))
        {
            while (inbox.TryRead(out var i))
            {
                steps += Run(i);
            }
        }

        return steps;
    }

    private int Run(int customer)
    {
        var fields = _fields[customer];
        var steps = 0;

        // 1. filter: the first matching branch, else the else edge.
        var next = _filter.Else;
        var conditions = _filter.Conditions;
        for (var b = 0; b < conditions.Length; b++)
        {
            if (conditions[b].Evaluate(fields, _context))
            {
                next = _filter.Targets[b];
                break;
            }
        }

        steps++;

        // 2. random split.
        next = _split.Targets[_split.ChoosePath(_ids[customer])];
        steps++;

        // 3. send: render.
        if (next >= 0 && _welcome.Template.TryRender(fields, out var body, out _) && body.Length > 0)
        {
            steps++;
        }

        // 4. update customer.
        fields[_update.Slot] = _update.Value;
        steps++;

        // 5. send: render.
        if (_followUp.Template.TryRender(fields, out body, out _) && body.Length > 0)
        {
            steps++;
        }

        return steps;
    }
}
