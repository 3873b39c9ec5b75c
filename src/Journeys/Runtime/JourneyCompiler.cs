using System.Collections.Frozen;
using System.Collections.Immutable;
using Journeys.Conditions;
using Journeys.Messaging;
using Journeys.Model;
using Journeys.Validation;

namespace Journeys.Runtime;

/// <summary>Compiles a validated journey version into a <see cref="CompiledJourney"/>.</summary>
internal static class JourneyCompiler
{
    /// <summary>Validates, then compiles.</summary>
    /// <exception cref="JourneyValidationException">The journey does not validate; every diagnostic is listed.</exception>
    public static CompiledJourney Compile(JourneyDefinition journey, CustomerFieldSchema schema, CampaignCatalog campaigns, JourneyValidationOptions? options = null)
    {
        JourneyValidator.Validate(journey, schema, campaigns, options).ThrowIfInvalid();

        var indexById = new Dictionary<string, int>(StringComparer.Ordinal);
        for (var i = 0; i < journey.Nodes.Count; i++)
        {
            indexById.Add(journey.Nodes[i].Id, i);
        }

        int Target(string? id) => id is null ? -1 : indexById[id];

        // Whether the node can be reached again from itself (a journey is small: a walk per correlated wait).
        bool OnLoop(int start)
        {
            var seen = new bool[journey.Nodes.Count];
            var pending = new Stack<int>();
            pending.Push(start);
            while (pending.Count > 0)
            {
                foreach (var edge in journey.Nodes[pending.Pop()].GetEdges())
                {
                    if (edge.Target is null || !indexById.TryGetValue(edge.Target, out var next))
                    {
                        continue;
                    }

                    if (next == start)
                    {
                        return true;
                    }

                    if (!seen[next])
                    {
                        seen[next] = true;
                        pending.Push(next);
                    }
                }
            }

            return false;
        }

        CompiledTemplate Template(CampaignReference reference)
        {
            campaigns.TryGet(reference.CampaignId, out var campaign);
            return CompiledTemplate.Compile(campaign!, reference, schema);
        }

        var nodes = ImmutableArray.CreateBuilder<CompiledNode>(journey.Nodes.Count);
        for (var i = 0; i < journey.Nodes.Count; i++)
        {
            nodes.Add(journey.Nodes[i] switch
            {
                SendNode n => new CompiledSend(n.Id, i, n.Channel, Template(n.Campaign), Target(n.Next)),
                FilterNode n => new CompiledFilter(
                    n.Id,
                    i,
                    [.. n.Branches.Select(b => ConditionCompiler.Compile(b.Condition, schema))],
                    [.. n.Branches.Select(b => Target(b.Next))],
                    Target(n.Else)),
                WaitForEventNode n => new CompiledWait(
                    n.Id,
                    i,
                    n.EventName,
                    n.Timeout,
                    Target(n.OnEvent),
                    Target(n.OnTimeout),
                    n.CorrelatedNodeId,
                    n.PropertyCondition,
                    [.. n.Branches.Select(b => b.Condition)],
                    [.. n.Branches.Select(b => Target(b.Target))],
                    n.CorrelatedNodeId is { } correlated && OnLoop(indexById[correlated])),
                RandomSplitNode n => new CompiledSplit(n.Id, i, Thresholds(n.Paths), [.. n.Paths.Select(p => Target(p.Next))], StableHash.Seed(journey.Id, n.Id)),
                RetargetingNode n => new CompiledRetargeting(
                    n.Id,
                    i,
                    n.ConversionEvent,
                    n.Window,
                    [.. n.Reminders.Select(r => new CompiledReminder(r.After, r.Channel, Template(r.Campaign)))],
                    Target(n.OnConverted),
                    Target(n.OnExhausted)),
                DelayNode n => new CompiledDelay(n.Id, i, n.Delay, n.Delay is UntilFieldDelay f ? schema.GetSlot(f.Field) : -1, Target(n.Next)),
                WebhookNode n => new CompiledWebhook(
                    n.Id, i, n.Url, [.. n.Fields.Select(f => (f, schema.GetSlot(f)))], n.Timeout, n.MaxRetries, Target(n.OnSuccess), Target(n.OnFailure)),
                UpdateCustomerNode n => new CompiledUpdate(n.Id, i, schema.TryGetField(n.Field, out var field) ? field.Name : n.Field, schema.GetSlot(n.Field), n.Value, Target(n.Next)),
                ExitNode n => new CompiledExit(n.Id, i, n.Reason),
                var other => throw new InvalidOperationException($"Node '{other.Id}' has an unknown kind {other.GetType().Name}."),
            });
        }

        var goals = new Dictionary<string, Condition?>(StringComparer.Ordinal);
        foreach (var goal in journey.ExitRules.Goals)
        {
            // Several goals on one event: the event converts when any of them matches; one without a condition always does.
            goals[goal.EventName] = goals.TryGetValue(goal.EventName, out var existing)
                ? existing is null || goal.PropertyCondition is null ? null : new AnyCondition([existing, goal.PropertyCondition])
                : goal.PropertyCondition;
        }

        return new CompiledJourney(
            journey,
            schema,
            nodes.MoveToImmutable(),
            indexById.ToFrozenDictionary(StringComparer.Ordinal),
            TimeZoneInfo.FindSystemTimeZoneById(journey.TimeZoneId),
            goals.ToFrozenDictionary(StringComparer.Ordinal));
    }

    /// <summary>Cumulative shares of the 64-bit hash space, the last one closed at <see cref="ulong.MaxValue"/>.</summary>
    internal static ImmutableArray<ulong> Thresholds(EquatableArray<RandomPath> paths)
    {
        var total = paths.Sum(p => p.Weight);

        // Valid weights are finite and positive, but their sum may overflow (two of 1e308): then they are taken relative
        // to the largest, which keeps their ratios. Otherwise unscaled, so existing splits keep their exact thresholds.
        var scale = double.IsFinite(total) ? 1d : paths.Max(p => p.Weight);
        total = scale == 1d ? total : paths.Sum(p => p.Weight / scale);
        var thresholds = ImmutableArray.CreateBuilder<ulong>(paths.Count);
        var cumulative = 0d;
        for (var i = 0; i < paths.Count; i++)
        {
            cumulative += paths[i].Weight / scale;
            thresholds.Add(i == paths.Count - 1 ? ulong.MaxValue : (ulong)Math.Min(cumulative / total * ulong.MaxValue, ulong.MaxValue));
        }

        return thresholds.MoveToImmutable();
    }
}
