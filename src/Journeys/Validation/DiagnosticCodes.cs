namespace Journeys.Validation;

/// <summary>
/// The codes of <see cref="JourneyDiagnostic.Code"/>: one stable kebab-case string per validation rule, for tools and
/// tests to match on. Each says whether it is an error (blocks activation) or a warning.
/// </summary>
public static class DiagnosticCodes
{
    /// <summary><c>missing-journey</c>. Error: no journey was given to validate (the argument is <see langword="null"/>).</summary>
    public const string MissingJourney = "missing-journey";

    /// <summary><c>missing-schema</c>. Error: no customer field schema was given, so conditions, bindings and field updates cannot be checked.</summary>
    public const string MissingSchema = "missing-schema";

    /// <summary><c>missing-catalog</c>. Error: no campaign catalog was given, so campaigns cannot be checked.</summary>
    public const string MissingCatalog = "missing-catalog";

    /// <summary><c>missing-journey-id</c>. Error: the journey's id is empty.</summary>
    public const string MissingJourneyId = "missing-journey-id";

    /// <summary><c>invalid-journey-id</c>. Error: the journey's id is longer than <see cref="Model.JourneyDefinition.MaxIdLength"/> (128) UTF-16 code units.</summary>
    public const string InvalidJourneyId = "invalid-journey-id";

    /// <summary><c>missing-journey-name</c>. Error: the journey's name is empty.</summary>
    public const string MissingJourneyName = "missing-journey-name";

    /// <summary><c>invalid-version</c>. Error: the journey's version is less than 1.</summary>
    public const string InvalidVersion = "invalid-version";

    /// <summary><c>unknown-time-zone</c>. Error: the journey's time zone is empty or not a time zone this machine knows (such as <c>Europe/Madrid</c> or <c>UTC</c>).</summary>
    public const string UnknownTimeZone = "unknown-time-zone";

    /// <summary><c>invalid-enum-value</c>. Error: a value outside its enumeration, such as an unknown journey status, re-entry mode, date part or field type.</summary>
    public const string InvalidEnumValue = "invalid-enum-value";

    /// <summary><c>null-node</c>. Error: the node list holds a <see langword="null"/> node.</summary>
    public const string NullNode = "null-node";

    /// <summary><c>invalid-node-id</c>. Error: a node id is empty, longer than 128 characters, or has characters other than letters, digits, '-', '_', '.' and ':'.</summary>
    public const string InvalidNodeId = "invalid-node-id";

    /// <summary><c>duplicate-node-id</c>. Error: two nodes have the same id (compared ordinally).</summary>
    public const string DuplicateNodeId = "duplicate-node-id";

    /// <summary><c>missing-start-node</c>. Error: the journey has no nodes, or no start node id.</summary>
    public const string MissingStartNode = "missing-start-node";

    /// <summary><c>unknown-start-node</c>. Error: the start node id names no node of the journey.</summary>
    public const string UnknownStartNode = "unknown-start-node";

    /// <summary><c>unreachable-node</c>. Error: no path leads from the start node to the node, so no customer can ever reach it.</summary>
    public const string UnreachableNode = "unreachable-node";

    /// <summary><c>dangling-edge</c>. Error: an edge of a node (such as <c>next</c>, <c>branches[1]</c> or <c>onTimeout</c>) points to a node id that is not in the journey.</summary>
    public const string DanglingEdge = "dangling-edge";

    /// <summary><c>missing-edge</c>. Error: a required edge is not set: a filter's <c>else</c>, a wait's <c>onTimeout</c>, a retargeting node's <c>onExhausted</c> or a webhook's <c>onFailure</c>.</summary>
    public const string MissingEdge = "missing-edge";

    /// <summary><c>cycle-without-wait</c>. Error: nodes form a loop with no delay, wait-for-event or retargeting node in it, so a customer would go round it instantly forever. Reported once per loop (strongly connected component).</summary>
    public const string CycleWithoutWait = "cycle-without-wait";

    /// <summary><c>missing-campaign</c>. Error: a send node or retargeting reminder has no campaign, or an empty campaign id.</summary>
    public const string MissingCampaign = "missing-campaign";

    /// <summary><c>unknown-campaign</c>. Error: a send node or retargeting reminder names a campaign that is not in the campaign catalog.</summary>
    public const string UnknownCampaign = "unknown-campaign";

    /// <summary><c>missing-channel</c>. Error: a send node or retargeting reminder has no channel.</summary>
    public const string MissingChannel = "missing-channel";

    /// <summary><c>channel-mismatch</c>. Error: a send node or retargeting reminder sends on one channel a campaign made for another.</summary>
    public const string ChannelMismatch = "channel-mismatch";

    /// <summary><c>unbound-variable</c>. Error: the campaign's template uses a variable (<c>{{name}}</c>) that the node does not bind to a customer field.</summary>
    public const string UnboundVariable = "unbound-variable";

    /// <summary><c>unused-binding</c>. Warning: the node binds a variable that the campaign's template does not use.</summary>
    public const string UnusedBinding = "unused-binding";

    /// <summary><c>invalid-binding</c>. Error: a variable binding has no variable name.</summary>
    public const string InvalidBinding = "invalid-binding";

    /// <summary><c>duplicate-binding</c>. Error: the same template variable is bound twice in one node or reminder.</summary>
    public const string DuplicateBinding = "duplicate-binding";

    /// <summary><c>unknown-field</c>. Error: a condition, variable binding, webhook, delay or field update names a customer field that is not in the customer field schema.</summary>
    public const string UnknownField = "unknown-field";

    /// <summary><c>missing-field-name</c>. Error: a condition, variable binding, webhook, delay or field update has an empty field (or event property) name.</summary>
    public const string MissingFieldName = "missing-field-name";

    /// <summary><c>missing-condition</c>. Error: a condition, or a part of a condition, is missing (<see langword="null"/>).</summary>
    public const string MissingCondition = "missing-condition";

    /// <summary><c>invalid-operator</c>. Error: a comparison cannot be used on that type, such as <c>lt</c> on a Boolean field, <c>contains</c> on a number or <c>startswith</c> on a date; or the operator is unknown.</summary>
    public const string InvalidOperator = "invalid-operator";

    /// <summary><c>type-mismatch</c>. Error: a value has the wrong type for its field, such as a text compared with a Number field, a date condition on a field that is not a DateTime, or a field update with a value of another type.</summary>
    public const string TypeMismatch = "type-mismatch";

    /// <summary><c>missing-operand</c>. Error: a comparison (other than <c>isnull</c>/<c>isnotnull</c>) or an <c>in</c> list has a null value to compare with.</summary>
    public const string MissingOperand = "missing-operand";

    /// <summary><c>empty-in-list</c>. Error: an <c>in</c> condition has no values, so it never matches.</summary>
    public const string EmptyInList = "empty-in-list";

    /// <summary><c>condition-too-deep</c>. Error: a condition nests more than 64 levels of <c>all</c>/<c>any</c>/<c>not</c>.</summary>
    public const string ConditionTooDeep = "condition-too-deep";

    /// <summary><c>null-item</c>. Error: a list holds a <see langword="null"/> item: a filter branch, event branch, random path, reminder, variable binding, goal event or webhook field.</summary>
    public const string NullItem = "null-item";

    /// <summary><c>no-branches</c>. Warning: a filter node has no branches, so every customer takes its <c>else</c> path.</summary>
    public const string NoBranches = "no-branches";

    /// <summary><c>missing-paths</c>. Error: a random split node has no paths.</summary>
    public const string MissingPaths = "missing-paths";

    /// <summary><c>single-path</c>. Warning: a random split node has only one path, so it does not split anyone.</summary>
    public const string SinglePath = "single-path";

    /// <summary><c>invalid-weight</c>. Error: a random path's weight is zero, negative, NaN or infinite.</summary>
    public const string InvalidWeight = "invalid-weight";

    /// <summary><c>invalid-duration</c>. Error: a duration is zero or negative: a delay, a wait timeout, a retargeting window or reminder, or a webhook timeout.</summary>
    public const string InvalidDuration = "invalid-duration";

    /// <summary><c>invalid-reminder-schedule</c>. Error: a retargeting reminder is not inside the window, or not after the reminder before it.</summary>
    public const string InvalidReminderSchedule = "invalid-reminder-schedule";

    /// <summary><c>invalid-retries</c>. Error: a webhook's retry count is negative or more than 10.</summary>
    public const string InvalidRetries = "invalid-retries";

    /// <summary><c>missing-delay</c>. Error: a delay node has no delay.</summary>
    public const string MissingDelay = "missing-delay";

    /// <summary><c>invalid-webhook-url</c>. Error: a webhook URL is empty or not an absolute <c>https</c> URL (plain <c>http</c> only to hosts the application allow-lists).</summary>
    public const string InvalidWebhookUrl = "invalid-webhook-url";

    /// <summary><c>missing-event-name</c>. Error: an event name is empty: of a wait-for-event node, a retargeting conversion event, an event entry or a goal event.</summary>
    public const string MissingEventName = "missing-event-name";

    /// <summary><c>invalid-correlation</c>. Error: a wait-for-event node is correlated to a node that is not a send node of this journey.</summary>
    public const string InvalidCorrelation = "invalid-correlation";

    /// <summary><c>branches-with-on-event</c>. Error: a wait-for-event node has event branches and also an <c>onEvent</c> target, which branches replace.</summary>
    public const string BranchesWithOnEvent = "branches-with-on-event";

    /// <summary><c>missing-exit-reason</c>. Warning: an exit node has no reason, so its exits cannot be told apart in statistics.</summary>
    public const string MissingExitReason = "missing-exit-reason";

    /// <summary><c>missing-entry</c>. Error: the journey has no entry (audience).</summary>
    public const string MissingEntry = "missing-entry";

    /// <summary><c>empty-audience</c>. Error: the entry is a customer list with no ids that accepts no additions, so it can never match anyone.</summary>
    public const string EmptyAudience = "empty-audience";

    /// <summary><c>invalid-customer-id</c>. Error: a customer list entry holds an empty customer id, or one longer than <see cref="Model.Customer.MaxIdLength"/> (256) UTF-16 code units.</summary>
    public const string InvalidCustomerId = "invalid-customer-id";

    /// <summary><c>missing-entry-rules</c>. Error: the journey has no entry rules.</summary>
    public const string MissingEntryRules = "missing-entry-rules";

    /// <summary><c>missing-exit-rules</c>. Error: the journey has no exit rules.</summary>
    public const string MissingExitRules = "missing-exit-rules";

    /// <summary><c>invalid-cooldown</c>. Error: re-entry after a cooldown is chosen but the cooldown is missing, zero or negative.</summary>
    public const string InvalidCooldown = "invalid-cooldown";

    /// <summary><c>invalid-entry-cap</c>. Error: the entry cap is zero or negative.</summary>
    public const string InvalidEntryCap = "invalid-entry-cap";

    /// <summary><c>invalid-entry-window</c>. Error: the entry window ends at or before its start.</summary>
    public const string InvalidEntryWindow = "invalid-entry-window";
}
