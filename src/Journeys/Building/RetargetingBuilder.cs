using Journeys.Model;

namespace Journeys.Building;

/// <summary>Configures a retargeting node: its reminders and the converted / exhausted paths.</summary>
public sealed class RetargetingBuilder
{
    private readonly BranchCollector _branches;
    private readonly TimeSpan _window;
    private TimeSpan _lastReminder;

    internal RetargetingBuilder(BuilderState state, string nodeId, TimeSpan window)
    {
        _branches = new BranchCollector(state, nodeId);
        _window = window;
    }

    /// <summary>Sends a reminder <paramref name="after"/> the customer arrived, if they have not converted by then.</summary>
    /// <param name="after">Positive, less than the window, and later than the previous reminder.</param>
    /// <param name="channel">The channel.</param>
    /// <param name="campaignId">The campaign id.</param>
    /// <param name="variables">Binds the campaign's template variables, or <see langword="null"/> when it has none.</param>
    /// <returns>This builder.</returns>
    public RetargetingBuilder Remind(TimeSpan after, Channel channel, string campaignId, Action<VariableBindingsBuilder>? variables = null)
    {
        _branches.ThrowIfCompleted();
        if (after <= _lastReminder || after >= _window)
        {
            throw new ArgumentOutOfRangeException(
                nameof(after),
                after,
                $"Retargeting '{_branches.NodeId}': a reminder must come after the previous one ({_lastReminder}) and before the window ends ({_window}).");
        }

        var campaign = VariableBindingsBuilder.BuildReference(campaignId, variables);
        _lastReminder = after;
        _branches.State.Update(_branches.NodeId, node =>
        {
            var retargeting = (RetargetingNode)node;
            return retargeting with { Reminders = retargeting.Reminders.AsImmutableArray().Add(new RetargetingReminder(after, channel, campaign)) };
        });
        return this;
    }

    /// <summary>The path of customers who converted. Without it they continue on the path after the node.</summary>
    /// <param name="path">The path.</param>
    /// <returns>This builder.</returns>
    public RetargetingBuilder OnConverted(Action<PathBuilder> path)
    {
        ArgumentNullException.ThrowIfNull(path);
        _branches.Claim(EdgeKind.OnConverted, nameof(OnConverted));
        _branches.Run(new OpenEnd(_branches.NodeId, EdgeKind.OnConverted), path);
        return this;
    }

    /// <summary>The path of customers who did not convert in the window. Without it they continue on the path after the node.</summary>
    /// <param name="path">The path.</param>
    /// <returns>This builder.</returns>
    public RetargetingBuilder OnExhausted(Action<PathBuilder> path)
    {
        ArgumentNullException.ThrowIfNull(path);
        _branches.Claim(EdgeKind.OnExhausted, nameof(OnExhausted));
        _branches.Run(new OpenEnd(_branches.NodeId, EdgeKind.OnExhausted), path);
        return this;
    }

    internal List<OpenEnd> Complete() => _branches.Complete(EdgeKind.OnConverted, EdgeKind.OnExhausted);
}
