using System.Globalization;
using Journeys.Conditions;
using Journeys.Messaging;
using Journeys.Model;
using Journeys.Runtime;
using WorkflowCore.Interface;
using WorkflowCore.Models;

namespace Journeys.Benchmarks;

/// <summary>
/// The WorkflowCore side's step bodies: the same compiled filter, split, templates and update as the Journeys engine
/// runs (compiled once from <see cref="BenchmarkData.ThroughputJourney"/>), the same <see cref="NullChannelSender"/>,
/// the same clock. A step after a filter that did not match does nothing (the journey's else edge ends the
/// enrollment), so an unmatched customer ends completed with no sends, as in the journey.
/// </summary>
internal sealed class PeerSteps
{
    private readonly CompiledFilter _filter;
    private readonly CompiledSend _welcome;
    private readonly CompiledUpdate _update;
    private readonly CompiledSend _followUp;
    private readonly TimeZoneInfo _zone;
    private readonly TimeProvider _time;
    private long _finished;

    public PeerSteps(TimeSpan? delay, TimeProvider time)
    {
        var journey = JourneyCompiler.Compile(BenchmarkData.ThroughputJourney([BenchmarkData.CustomerId(0)]), BenchmarkData.Schema, BenchmarkData.Campaigns);
        _filter = (CompiledFilter)journey.Nodes[journey.IndexById["filter"]];
        Split = (CompiledSplit)journey.Nodes[journey.IndexById["split"]];
        _welcome = (CompiledSend)journey.Nodes[journey.IndexById["send-welcome"]];
        _update = (CompiledUpdate)journey.Nodes[journey.IndexById["update-segment"]];
        _followUp = (CompiledSend)journey.Nodes[journey.IndexById["send-follow-up"]];
        _zone = journey.Zone;
        Delay = delay;
        _time = time;
    }

    public CompiledSplit Split { get; }

    public TimeSpan? Delay { get; }

    public int SegmentSlot => _update.Slot;

    public FieldValue SegmentValue => _update.Value;

    /// <summary>Instances whose last step ran.</summary>
    public long Finished => Interlocked.Read(ref _finished);

    public ExecutionResult Filter(IStepExecutionContext context)
    {
        var data = Data(context);
        var evaluation = new EvaluationContext(_time.GetUtcNow(), _zone);
        var conditions = _filter.Conditions;
        data.Matched = false;
        for (var b = 0; b < conditions.Length; b++)
        {
            if (conditions[b].Evaluate(data.Fields, evaluation))
            {
                data.Matched = true;
                break;
            }
        }

        return ExecutionResult.Next();
    }

    public ExecutionResult ChoosePath(IStepExecutionContext context)
    {
        var data = Data(context);
        if (data.Matched)
        {
            data.Path = Split.ChoosePath(data.CustomerId);
        }

        return ExecutionResult.Next();
    }

    public ExecutionResult SendWelcome(IStepExecutionContext context) => Send(context, _welcome, "send-welcome", "welcome");

    /// <summary>WorkflowCore's own <c>Delay</c> logic (sleep on the first run, go on when run again), with the due and resume times recorded.</summary>
    public ExecutionResult Wait(IStepExecutionContext context)
    {
        var data = Data(context);
        if (!data.Matched || Delay is not { } delay)
        {
            return ExecutionResult.Next();
        }

        if (context.PersistenceData is null)
        {
            data.DueAt = _time.GetUtcNow() + delay;
            return ExecutionResult.Sleep(delay, true);
        }

        data.ResumedAt = _time.GetUtcNow();
        return ExecutionResult.Next();
    }

    public ExecutionResult Update(IStepExecutionContext context)
    {
        var data = Data(context);
        if (data.Matched)
        {
            data.Fields[_update.Slot] = _update.Value;
        }

        return ExecutionResult.Next();
    }

    public ExecutionResult SendFollowUp(IStepExecutionContext context)
    {
        // The moment TimerLatenessRecorder takes for Journeys: the follow-up handed to the channel sender.
        Data(context).FollowUpSentAt = _time.GetUtcNow();
        var result = Send(context, _followUp, TimerLatenessRecorder.FollowUpNode, "follow-up");
        Interlocked.Increment(ref _finished);
        return result;
    }

    private static PeerCustomerData Data(IStepExecutionContext context) =>
        context.Workflow.Data as PeerCustomerData ?? throw new InvalidOperationException($"Workflow {context.Workflow.Id} has no {nameof(PeerCustomerData)}.");

    private static ExecutionResult Send(IStepExecutionContext context, CompiledSend send, string nodeId, string campaignId)
    {
        var data = Data(context);
        if (!data.Matched)
        {
            return ExecutionResult.Next();
        }

        if (!send.Template.TryRender(data.Fields, out var body, out var missing))
        {
            throw new InvalidOperationException($"Step {nodeId}: template variable '{missing}' has no value.");
        }

        // The same strings the engine makes per send: a message id and an idempotency key.
        var key = string.Create(CultureInfo.InvariantCulture, $"{WorkflowCoreScenario.WorkflowId}:1:{context.Workflow.Id}:{nodeId}");
        var message = new OutboundMessage(Guid.NewGuid().ToString("N"), key, send.Channel, campaignId, data.CustomerId, body, WorkflowCoreScenario.WorkflowId, 1, nodeId);
        var pending = NullChannelSender.Instance.SendAsync(message, CancellationToken.None);
        var result = pending.IsCompletedSuccessfully ? pending.Result : pending.AsTask().GetAwaiter().GetResult();
        if (result.Outcome != SendOutcome.Sent)
        {
            throw new InvalidOperationException($"Step {nodeId}: the sender answered {result.Outcome}.");
        }

        data.Sends++;
        return ExecutionResult.Next();
    }
}
