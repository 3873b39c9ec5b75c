using System.Text.Json;

namespace Journeys.AspNetCore.Contracts;

/// <summary>A customer with fields, in the body of <c>PUT /journeys/{id}/customers</c>.</summary>
internal sealed class CustomerRequest
{
    public required string Id { get; init; }

    public Dictionary<string, JsonElement>? Fields { get; init; }

    public string? TimeZone { get; init; }
}
