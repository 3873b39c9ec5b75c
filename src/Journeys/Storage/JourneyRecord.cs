using Journeys.Model;

namespace Journeys.Storage;

/// <summary>A stored journey version.</summary>
/// <param name="Journey">The definition.</param>
/// <param name="ETag">Changes with every save of the journey; HTTP clients send it back in <c>If-Match</c>.</param>
/// <param name="UpdatedAt">When it was saved.</param>
public sealed record JourneyRecord(JourneyDefinition Journey, string ETag, DateTimeOffset UpdatedAt);
