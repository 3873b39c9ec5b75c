namespace Journeys.AspNetCore.Contracts;

/// <summary>The answer of <c>GET /engine</c>: this host's engine (<see cref="Journeys.Runtime.JourneyEngineStatus"/>).</summary>
internal sealed record EngineStatusResponse(
    string OwnerId,
    string State,
    string? Fault,
    DateTimeOffset? StoreFailingSince,
    string? StoreFailure,
    IReadOnlyList<ChannelStatusResponse> Channels,
    int InboxDepth,
    int InFlight,
    DateTimeOffset CheckedAt);

/// <summary>A channel of <see cref="EngineStatusResponse"/> and its circuit breaker's state.</summary>
internal sealed record ChannelStatusResponse(string Channel, string Circuit);
