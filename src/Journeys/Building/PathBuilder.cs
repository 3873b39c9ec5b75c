using Journeys.Model;

namespace Journeys.Building;

/// <summary>
/// Appends nodes to one path of a journey. Each node added becomes the target of the path's open ends: the
/// previous node's next edge, or every open branch of the previous branching node (branches that ended without
/// an exit or <see cref="GoTo"/> join the path again here). A path whose last nodes leave optional edges open
/// completes the enrollment there. Every <c>id</c> parameter is optional: omitted ids are generated
/// deterministically (<c>send-1</c>, <c>filter-1</c>, ...).
/// </summary>
public sealed class PathBuilder
{
    private readonly BuilderState _state;
    private List<OpenEnd> _openEnds;
    private bool _closed;

    internal PathBuilder(BuilderState state, IEnumerable<OpenEnd> openEnds)
    {
        _state = state;
        _openEnds = [.. openEnds];
    }

    internal IReadOnlyList<OpenEnd> OpenEnds => _openEnds;

    /// <summary>Sends a campaign on a channel, binding its template variables (if any) to customer fields.</summary>
    /// <param name="channel">The channel.</param>
    /// <param name="campaignId">The campaign id in the campaign catalog.</param>
    /// <param name="variables">Binds each template variable, e.g. <c>v =&gt; v.Bind("name", "firstName", "friend")</c>; <see langword="null"/> when the template has none.</param>
    /// <param name="id">The node id, or <see langword="null"/> to generate one.</param>
    /// <returns>This path.</returns>
    public PathBuilder Send(Channel channel, string campaignId, Action<VariableBindingsBuilder>? variables = null, string? id = null)
    {
        var campaign = VariableBindingsBuilder.BuildReference(campaignId, variables);
        var nodeId = Begin(id, "send");
        Append(new SendNode(nodeId, channel, campaign, null), [new OpenEnd(nodeId, EdgeKind.Next)]);
        return this;
    }

    /// <summary>Holds the customer for a duration.</summary>
    /// <param name="duration">A positive duration.</param>
    /// <param name="id">The node id, or <see langword="null"/> to generate one.</param>
    /// <returns>This path.</returns>
    public PathBuilder Delay(TimeSpan duration, string? id = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(duration, TimeSpan.Zero);
        return AddDelay(new DurationDelay(duration), id);
    }

    /// <summary>Holds the customer until an instant (customers arriving after it continue at once).</summary>
    /// <param name="until">The instant.</param>
    /// <param name="id">The node id, or <see langword="null"/> to generate one.</param>
    /// <returns>This path.</returns>
    public PathBuilder DelayUntil(DateTimeOffset until, string? id = null) => AddDelay(new UntilDateDelay(until), id);

    /// <summary>Holds the customer until the next local time of day in their time zone (the journey's when they have none).</summary>
    /// <param name="timeOfDay">The local time, such as 09:00.</param>
    /// <param name="id">The node id, or <see langword="null"/> to generate one.</param>
    /// <returns>This path.</returns>
    public PathBuilder DelayUntilTimeOfDay(TimeOnly timeOfDay, string? id = null) => AddDelay(new UntilTimeOfDayDelay(timeOfDay), id);

    /// <summary>Holds the customer until a date-time field of theirs plus an offset (a moment already past continues at once).</summary>
    /// <param name="field">The customer's date-time field.</param>
    /// <param name="offset">Added to the field's value; negative for "before".</param>
    /// <param name="id">The node id, or <see langword="null"/> to generate one.</param>
    /// <returns>This path.</returns>
    public PathBuilder DelayUntilField(string field, TimeSpan offset, string? id = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(field);
        return AddDelay(new UntilFieldDelay(field, offset), id);
    }

    /// <summary>Routes customers by ordered conditions: the first that matches wins, else the otherwise path.</summary>
    /// <param name="configure">Adds the branches with <see cref="FilterBuilder.When"/> and <see cref="FilterBuilder.Otherwise"/>.</param>
    /// <param name="id">The node id, or <see langword="null"/> to generate one.</param>
    /// <returns>This path; branches that stay open continue with the next node added to it.</returns>
    public PathBuilder Filter(Action<FilterBuilder> configure, string? id = null)
    {
        ArgumentNullException.ThrowIfNull(configure);
        var nodeId = Begin(id, "filter");
        var filter = new FilterBuilder(_state, nodeId);
        _state.Add(new FilterNode(nodeId, EquatableArray<FilterBranch>.Empty, null));
        ConnectOpenEnds(nodeId);
        configure(filter);
        _openEnds = filter.Complete();
        return this;
    }

    /// <summary>Waits for an event of the customer ("push events"), with a timeout.</summary>
    /// <param name="eventName">The event, such as <c>click</c>.</param>
    /// <param name="timeout">How long to wait (positive).</param>
    /// <param name="configure">Correlation, property condition and the on-event / on-timeout paths.</param>
    /// <param name="id">The node id, or <see langword="null"/> to generate one.</param>
    /// <returns>This path; paths that stay open (by default both) continue with the next node added to it.</returns>
    public PathBuilder WaitForEvent(string eventName, TimeSpan timeout, Action<WaitForEventBuilder>? configure = null, string? id = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(eventName);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(timeout, TimeSpan.Zero);
        var nodeId = Begin(id, "wait");
        _state.Add(new WaitForEventNode(nodeId, eventName, timeout, null, null));
        ConnectOpenEnds(nodeId);
        var wait = new WaitForEventBuilder(_state, nodeId);
        configure?.Invoke(wait);
        _openEnds = wait.Complete();
        return this;
    }

    /// <summary>Sends each customer down one weighted path, sticky per customer.</summary>
    /// <param name="configure">Adds the paths with <see cref="RandomSplitBuilder.Path"/>.</param>
    /// <param name="id">The node id, or <see langword="null"/> to generate one.</param>
    /// <returns>This path; paths that stay open continue with the next node added to it.</returns>
    public PathBuilder RandomSplit(Action<RandomSplitBuilder> configure, string? id = null)
    {
        ArgumentNullException.ThrowIfNull(configure);
        var nodeId = Begin(id, "split");
        _state.Add(new RandomSplitNode(nodeId, EquatableArray<RandomPath>.Empty));
        ConnectOpenEnds(nodeId);
        var split = new RandomSplitBuilder(_state, nodeId);
        configure(split);
        _openEnds = split.Complete();
        return this;
    }

    /// <summary>The abandoned-cart pattern: waits for a conversion event, sending reminders while it has not come.</summary>
    /// <param name="conversionEvent">The conversion event, such as <c>purchase</c>.</param>
    /// <param name="window">How long the customer has to convert (positive).</param>
    /// <param name="configure">The reminders and the converted / exhausted paths.</param>
    /// <param name="id">The node id, or <see langword="null"/> to generate one.</param>
    /// <returns>This path; paths that stay open continue with the next node added to it.</returns>
    public PathBuilder Retargeting(string conversionEvent, TimeSpan window, Action<RetargetingBuilder> configure, string? id = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(conversionEvent);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(window, TimeSpan.Zero);
        ArgumentNullException.ThrowIfNull(configure);
        var nodeId = Begin(id, "retarget");
        _state.Add(new RetargetingNode(nodeId, conversionEvent, window, EquatableArray<RetargetingReminder>.Empty, null, null));
        ConnectOpenEnds(nodeId);
        var retargeting = new RetargetingBuilder(_state, nodeId, window);
        configure(retargeting);
        _openEnds = retargeting.Complete();
        return this;
    }

    /// <summary>Calls an HTTPS endpoint with the customer's fields.</summary>
    /// <param name="url">
    /// An absolute https URL; or an http URL, which validation accepts only for hosts the application allow-lists
    /// (<see cref="Journeys.Messaging.WebhookOptions.AllowedHttpHosts"/>).
    /// </param>
    /// <param name="configure">Fields, timeout, retries and the success / failure paths.</param>
    /// <param name="id">The node id, or <see langword="null"/> to generate one.</param>
    /// <returns>This path; paths that stay open continue with the next node added to it.</returns>
    public PathBuilder Webhook(string url, Action<WebhookBuilder>? configure = null, string? id = null)
    {
        if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttps && uri.Scheme != Uri.UriSchemeHttp))
        {
            throw new ArgumentException($"Webhook URL '{url}' must be an absolute https URL (or http to a host the application allow-lists).", nameof(url));
        }

        var nodeId = Begin(id, "webhook");
        _state.Add(new WebhookNode(nodeId, url, EquatableArray<string>.Empty, WebhookBuilder.DefaultTimeout, WebhookBuilder.DefaultRetries, null, null));
        ConnectOpenEnds(nodeId);
        var webhook = new WebhookBuilder(_state, nodeId);
        configure?.Invoke(webhook);
        _openEnds = webhook.Complete();
        return this;
    }

    /// <summary>Sets a customer field (or clears it with <see cref="FieldValue.Null"/>).</summary>
    /// <param name="field">The field.</param>
    /// <param name="value">The value.</param>
    /// <param name="id">The node id, or <see langword="null"/> to generate one.</param>
    /// <returns>This path.</returns>
    public PathBuilder UpdateCustomer(string field, FieldValue value, string? id = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(field);
        var nodeId = Begin(id, "update");
        Append(new UpdateCustomerNode(nodeId, field, value, null), [new OpenEnd(nodeId, EdgeKind.Next)]);
        return this;
    }

    /// <summary>Ends the enrollment with a reason; the path is closed.</summary>
    /// <param name="reason">Why the customer leaves, such as <c>not-interested</c>.</param>
    /// <param name="id">The node id, or <see langword="null"/> to generate one.</param>
    /// <returns>This path (closed: nothing more can be appended).</returns>
    public PathBuilder Exit(string reason, string? id = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(reason);
        var nodeId = Begin(id, "exit");
        Append(new ExitNode(nodeId, reason), []);
        _closed = true;
        return this;
    }

    /// <summary>Continues at another node of the journey (added before or after); the path is closed.</summary>
    /// <param name="nodeId">The target node id; checked when the journey is built.</param>
    /// <returns>This path (closed: nothing more can be appended).</returns>
    public PathBuilder GoTo(string nodeId)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(nodeId);
        ThrowIfUnusable();
        if (_openEnds.Count == 0)
        {
            throw new InvalidOperationException($"GoTo('{nodeId}'): this path has no open edge to connect (it already ended).");
        }

        ConnectOpenEnds(nodeId);
        _openEnds = [];
        _closed = true;
        return this;
    }

    private PathBuilder AddDelay(DelaySpec delay, string? id)
    {
        var nodeId = Begin(id, "delay");
        Append(new DelayNode(nodeId, delay, null), [new OpenEnd(nodeId, EdgeKind.Next)]);
        return this;
    }

    private string Begin(string? id, string prefix)
    {
        ThrowIfUnusable();
        if (_closed || _openEnds.Count == 0)
        {
            throw new InvalidOperationException(
                $"Journey '{_state.JourneyId}': this path already ended (at an exit or a GoTo, or every branch before was closed); nothing can follow it.");
        }

        return _state.ReserveId(id, prefix);
    }

    private void Append(JourneyNode node, List<OpenEnd> newOpenEnds)
    {
        _state.Add(node);
        ConnectOpenEnds(node.Id);
        _openEnds = newOpenEnds;
    }

    private void ConnectOpenEnds(string target)
    {
        foreach (var end in _openEnds)
        {
            _state.Connect(end, target);
        }

        _openEnds = [];
    }

    private void ThrowIfUnusable()
    {
        _state.ThrowIfBuilt();
        if (Sealed)
        {
            throw new InvalidOperationException(
                $"Journey '{_state.JourneyId}': this path builder belongs to a branch that is already configured; add nodes inside its lambda only.");
        }
    }

    internal bool Sealed { get; set; }
}
