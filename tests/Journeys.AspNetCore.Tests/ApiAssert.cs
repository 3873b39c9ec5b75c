using System.Net;
using System.Text.Json;

namespace Journeys.AspNetCore.Tests;

/// <summary>Assertions on HTTP answers.</summary>
internal static class ApiAssert
{
    public static async Task<JsonElement> Json(HttpResponseMessage response, HttpStatusCode expected)
    {
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == expected, $"Expected {(int)expected} {expected}, got {(int)response.StatusCode} {response.StatusCode}: {text}");
        return JsonDocument.Parse(text).RootElement.Clone();
    }

    /// <summary>Checks an RFC 9457 problem details answer and returns it.</summary>
    public static async Task<JsonElement> Problem(HttpResponseMessage response, HttpStatusCode expected)
    {
        var problem = await Json(response, expected);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal((int)expected, problem.GetProperty("status").GetInt32());
        Assert.False(string.IsNullOrWhiteSpace(problem.GetProperty("title").GetString()));
        Assert.False(string.IsNullOrWhiteSpace(problem.GetProperty("detail").GetString()));
        return problem;
    }
}
