namespace Journeys.Audiences;

/// <summary>Where an active journey uses a customer field.</summary>
/// <param name="JourneyId">The journey.</param>
/// <param name="Version">Its active version.</param>
/// <param name="NodeId">The node that uses the field, or <see langword="null"/> when its entry (the audience filter) does.</param>
/// <param name="Message">What would break: the validation message the change would cause.</param>
public sealed record FieldUsage(string JourneyId, int Version, string? NodeId, string Message)
{
    /// <summary>"journey 'j' v1 node 'n'" or "journey 'j' v1 entry".</summary>
    public override string ToString() => NodeId is null
        ? FormattableString.Invariant($"journey '{JourneyId}' v{Version} entry")
        : FormattableString.Invariant($"journey '{JourneyId}' v{Version} node '{NodeId}'");
}
