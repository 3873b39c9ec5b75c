namespace Journeys.Model;

/// <summary>
/// A journey: who enters, the rules of entry and exit, and the graph of nodes starting at <see cref="StartNodeId"/>.
/// Immutable; a change to an active journey makes a new <see cref="Version"/>, and running enrollments stay on the
/// version they entered. Build one with <c>Journeys.Building.JourneyBuilder</c> or read one from JSON.
/// </summary>
/// <param name="Id">The journey id: stable, unique among journeys.</param>
/// <param name="Name">The name marketers see.</param>
/// <param name="Version">The version, from 1.</param>
/// <param name="Status">The lifecycle status.</param>
/// <param name="Entry">Who enters.</param>
/// <param name="EntryRules">Re-entry, cap and window.</param>
/// <param name="ExitRules">Goal events.</param>
/// <param name="Nodes">The nodes, in a stable order.</param>
/// <param name="StartNodeId">The node every enrollment starts at.</param>
/// <param name="TimeZoneId">The IANA time zone used for customers without one (default <c>UTC</c>).</param>
public sealed record JourneyDefinition(
    string Id,
    string Name,
    int Version,
    JourneyStatus Status,
    JourneyEntry Entry,
    EntryRules EntryRules,
    ExitRules ExitRules,
    EquatableArray<JourneyNode> Nodes,
    string StartNodeId,
    string TimeZoneId = "UTC")
{
    /// <summary>
    /// The longest journey id accepted: 128 UTF-16 code units (<see cref="string.Length"/>), as for node ids. A journey
    /// id is 1 to 128 letters, digits, <c>-</c>, <c>_</c>, <c>.</c> or <c>:</c>; a sending's journey id
    /// (<c>sending:{sendingId}</c>) keeps within the same length.
    /// </summary>
    public const int MaxIdLength = 128;

    /// <summary>Finds a node by id.</summary>
    /// <param name="nodeId">The node id.</param>
    /// <returns>The node, or <see langword="null"/> when the journey has none with that id.</returns>
    public JourneyNode? FindNode(string nodeId)
    {
        foreach (var node in Nodes)
        {
            if (node is not null && string.Equals(node.Id, nodeId, StringComparison.Ordinal))
            {
                return node;
            }
        }

        return null;
    }

    /// <summary>
    /// This definition with <paramref name="customerId"/> taken out of its customer list (every occurrence, compared
    /// ordinally), everything else kept; or this very instance when its entry is not a <see cref="CustomerListEntry"/>
    /// naming the id. What a journey store writes in place of a version when a customer is erased
    /// (<see cref="Storage.IJourneyStore.EraseCustomerAsync"/>).
    /// </summary>
    /// <param name="customerId">The customer id to take out.</param>
    /// <returns>The definition without the id, or this instance.</returns>
    public JourneyDefinition WithoutListedCustomer(string customerId)
    {
        ArgumentNullException.ThrowIfNull(customerId);
        if (Entry is not CustomerListEntry list || !list.CustomerIds.Contains(customerId, StringComparer.Ordinal))
        {
            return this;
        }

        return this with
        {
            Entry = list with { CustomerIds = list.CustomerIds.AsImmutableArray().RemoveAll(id => string.Equals(id, customerId, StringComparison.Ordinal)) },
        };
    }
}
