using Journeys.Model;

namespace Journeys.Building;

/// <summary>
/// Builds a <see cref="JourneyDefinition"/> fluently: its audience, entry and exit rules, then its nodes with
/// <see cref="Steps"/>. One-shot: after <see cref="Build"/> every call throws. Arguments are checked as they are
/// given; the graph as a whole (GoTo targets, required paths, loops without a wait) is checked by <see cref="Build"/>.
/// </summary>
/// <example>
/// <code>
/// var journey = JourneyBuilder.Create("welcome", "Welcome")
///     .EnterOnEvent("signed_up")
///     .Steps(p =&gt; p.Send(Channel.Email, "welcome-email").Delay(TimeSpan.FromDays(1)).Send(Channel.Push, "tips"))
///     .Build();
/// </code>
/// </example>
public sealed class JourneyBuilder
{
    private readonly BuilderState _state;
    private readonly string _name;
    private JourneyEntry? _entry;
    private EntryRules _entryRules = EntryRules.Default;
    private readonly List<GoalEvent> _goals = [];
    private int _version = 1;
    private string _timeZoneId = "UTC";
    private bool _stepsGiven;

    private JourneyBuilder(string id, string name)
    {
        _state = new BuilderState(id);
        _name = name;
    }

    /// <summary>Starts a journey.</summary>
    /// <param name="id">The journey id: letters, digits, '-', '_', '.' or ':'.</param>
    /// <param name="name">The name marketers see.</param>
    /// <returns>A new builder.</returns>
    /// <exception cref="ArgumentException">The id is invalid or the name empty.</exception>
    public static JourneyBuilder Create(string id, string name)
    {
        NodeIdRules.ThrowIfInvalidJourneyId(id, nameof(id));
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        return new JourneyBuilder(id, name);
    }

    /// <summary>Sets the version (default 1).</summary>
    /// <param name="version">1 or more.</param>
    /// <returns>This builder.</returns>
    public JourneyBuilder WithVersion(int version)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(version, 1);
        _state.ThrowIfBuilt();
        _version = version;
        return this;
    }

    /// <summary>Sets the IANA time zone used for customers who have none (default <c>UTC</c>).</summary>
    /// <param name="timeZoneId">An IANA time zone id, such as <c>Europe/Madrid</c>.</param>
    /// <returns>This builder.</returns>
    public JourneyBuilder WithTimeZone(string timeZoneId)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(timeZoneId);
        if (!TimeZoneInfo.TryFindSystemTimeZoneById(timeZoneId, out _))
        {
            throw new ArgumentException($"Time zone '{timeZoneId}' is not known on this system.", nameof(timeZoneId));
        }

        _state.ThrowIfBuilt();
        _timeZoneId = timeZoneId;
        return this;
    }

    /// <summary>Every customer enters (those in the store at activation and those added later).</summary>
    /// <returns>This builder.</returns>
    public JourneyBuilder EnterAllCustomers() => SetEntry(new AllCustomersEntry());

    /// <summary>A list of customer ids enters ("input with list"); more can be put later unless <paramref name="acceptsAdditions"/> is false.</summary>
    /// <param name="customerIds">The ids given now (may be empty when ids are put later).</param>
    /// <param name="acceptsAdditions">Whether ids can be added later by API or CSV.</param>
    /// <returns>This builder.</returns>
    public JourneyBuilder EnterFromList(IEnumerable<string> customerIds, bool acceptsAdditions = true)
    {
        ArgumentNullException.ThrowIfNull(customerIds);
        var ids = customerIds.ToEquatableArray();
        for (var i = 0; i < ids.Count; i++)
        {
            ArgumentException.ThrowIfNullOrWhiteSpace(ids[i], nameof(customerIds));
            if (IdLimits.IsCustomerIdTooLong(ids[i]))
            {
                throw new ArgumentException($"The customer id at index {i} {IdLimits.CustomerIdTooLong(ids[i].Length)}.", nameof(customerIds));
            }
        }

        if (ids.IsEmpty && !acceptsAdditions)
        {
            throw new ArgumentException("An empty customer list that accepts no additions can never match anyone.", nameof(customerIds));
        }

        return SetEntry(new CustomerListEntry(ids, acceptsAdditions));
    }

    /// <summary>Customers whose fields match enter: those who match at activation and those who come to match later.</summary>
    /// <param name="condition">The condition on customer fields.</param>
    /// <returns>This builder.</returns>
    public JourneyBuilder EnterWhen(Condition condition)
    {
        ArgumentNullException.ThrowIfNull(condition);
        return SetEntry(new FilterEntry(condition));
    }

    /// <summary>A customer enters when they emit the event (optionally only when its properties match).</summary>
    /// <param name="eventName">The event, such as <c>cart_abandoned</c>.</param>
    /// <param name="propertyCondition">A condition on the event's properties, or <see langword="null"/>.</param>
    /// <returns>This builder.</returns>
    public JourneyBuilder EnterOnEvent(string eventName, Condition? propertyCondition = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(eventName);
        return SetEntry(new EventEntry(eventName, propertyCondition));
    }

    /// <summary>Customers may enter again once their previous enrollment has ended.</summary>
    /// <returns>This builder.</returns>
    public JourneyBuilder ReEnterAfterExit() => SetRules(_entryRules with { ReEntry = ReEntryMode.AfterExit, Cooldown = null });

    /// <summary>Customers may enter again once their previous enrollment ended at least <paramref name="cooldown"/> ago.</summary>
    /// <param name="cooldown">A positive duration.</param>
    /// <returns>This builder.</returns>
    public JourneyBuilder ReEnterAfterCooldown(TimeSpan cooldown)
    {
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(cooldown, TimeSpan.Zero);
        return SetRules(_entryRules with { ReEntry = ReEntryMode.AfterCooldown, Cooldown = cooldown });
    }

    /// <summary>Customers enter at most once (the default).</summary>
    /// <returns>This builder.</returns>
    public JourneyBuilder NeverReEnter() => SetRules(_entryRules with { ReEntry = ReEntryMode.Never, Cooldown = null });

    /// <summary>At most <paramref name="cap"/> enrollments are created.</summary>
    /// <param name="cap">A positive number.</param>
    /// <returns>This builder.</returns>
    public JourneyBuilder LimitEntries(int cap)
    {
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(cap, 0);
        return SetRules(_entryRules with { EntryCap = cap });
    }

    /// <summary>Entries are accepted only from <paramref name="start"/> (inclusive) to <paramref name="end"/> (exclusive).</summary>
    /// <param name="start">The first instant, or <see langword="null"/> for no start.</param>
    /// <param name="end">The end, or <see langword="null"/> for no end; after <paramref name="start"/>.</param>
    /// <returns>This builder.</returns>
    public JourneyBuilder EntryWindow(DateTimeOffset? start, DateTimeOffset? end)
    {
        if (start is { } s && end is { } e && e <= s)
        {
            throw new ArgumentOutOfRangeException(nameof(end), end, $"The entry window must end after it starts ({s:O}).");
        }

        return SetRules(_entryRules with { WindowStart = start, WindowEnd = end });
    }

    /// <summary>When the customer emits this goal event, their enrollment ends as converted, wherever it is.</summary>
    /// <param name="goalEvent">The goal event, such as <c>purchase</c>.</param>
    /// <param name="propertyCondition">A condition on the event's properties, or <see langword="null"/>.</param>
    /// <returns>This builder.</returns>
    public JourneyBuilder ConvertOn(string goalEvent, Condition? propertyCondition = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(goalEvent);
        _state.ThrowIfBuilt();
        _goals.Add(new GoalEvent(goalEvent, propertyCondition));
        return this;
    }

    /// <summary>Adds the journey's nodes, starting with the first node added to <paramref name="path"/>.</summary>
    /// <param name="path">Appends the nodes of the main path (and, inside branching nodes, of their paths).</param>
    /// <returns>This builder.</returns>
    public JourneyBuilder Steps(Action<PathBuilder> path)
    {
        ArgumentNullException.ThrowIfNull(path);
        _state.ThrowIfBuilt();
        if (_stepsGiven)
        {
            throw new InvalidOperationException($"Journey '{_state.JourneyId}': Steps(...) was already called; give the whole graph in one call (use GoTo to join paths).");
        }

        _stepsGiven = true;
        var main = new PathBuilder(_state, [new OpenEnd(null, EdgeKind.Start)]);
        path(main);
        main.Sealed = true;
        return this;
    }

    /// <summary>Builds the journey (a draft). The builder cannot be used afterwards.</summary>
    /// <returns>The immutable journey definition.</returns>
    /// <exception cref="InvalidOperationException">No audience or no steps were given, or the builder was already used.</exception>
    /// <exception cref="Validation.JourneyValidationException">The graph is inconsistent (GoTo to an unknown node, a required path left open, a loop with no wait); it lists every problem.</exception>
    public JourneyDefinition Build()
    {
        _state.ThrowIfBuilt();
        if (_entry is null)
        {
            throw new InvalidOperationException(
                $"Journey '{_state.JourneyId}' has no audience: call EnterAllCustomers, EnterFromList, EnterWhen or EnterOnEvent.");
        }

        if (_state.StartNodeId is null)
        {
            throw new InvalidOperationException($"Journey '{_state.JourneyId}' has no nodes: add them with Steps(p => ...).");
        }

        var journey = new JourneyDefinition(
            _state.JourneyId,
            _name,
            _version,
            JourneyStatus.Draft,
            _entry,
            _entryRules,
            new ExitRules(_goals.ToEquatableArray()),
            _state.Nodes,
            _state.StartNodeId,
            _timeZoneId);
        _state.MarkBuilt();
        StructureCheck.ThrowIfInvalid(journey);
        return journey;
    }

    private JourneyBuilder SetEntry(JourneyEntry entry)
    {
        _state.ThrowIfBuilt();
        if (_entry is not null)
        {
            throw new InvalidOperationException($"Journey '{_state.JourneyId}' already has an audience ({_entry.GetType().Name}); a journey has one.");
        }

        _entry = entry;
        return this;
    }

    private JourneyBuilder SetRules(EntryRules rules)
    {
        _state.ThrowIfBuilt();
        _entryRules = rules;
        return this;
    }
}
