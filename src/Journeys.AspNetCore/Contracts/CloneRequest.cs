namespace Journeys.AspNetCore.Contracts;

/// <summary>The body of <c>POST /journeys/{id}/clone</c>.</summary>
internal sealed class CloneRequest
{
    public required string Id { get; init; }

    public required string Name { get; init; }
}
