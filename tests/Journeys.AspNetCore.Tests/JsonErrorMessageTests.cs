using System.Net;

namespace Journeys.AspNetCore.Tests;

/// <summary>
/// A body the JSON reader refuses is answered in JSON's terms: System.Text.Json's messages that name the .NET type the
/// body is read into (the library's internal contract types, System.Int32 ...) are reworded.
/// </summary>
public sealed class JsonErrorMessageTests
{
    [Theory]
    [InlineData("""{"customers": [{"id": "a", "nickname": "x"}]}""", "$.customers[0].nickname", "The property 'nickname' is not known here.")]
    [InlineData("""{"customerIds": [1]}""", "$.customerIds[0]", "The value is not a string.")]
    [InlineData("""{"customerIds": "a"}""", "$.customerIds", "The value is not an array.")]
    public async Task A_refused_body_names_the_path_and_the_problem_without_dotnet_type_names(string body, string path, string problem)
    {
        await using var host = await ApiHost.StartAsync();

        var refused = await ApiAssert.Problem(await host.Client.PutAsync("/journeys-api/journeys/tips-journey/customers", JourneyEndpointTests.Body(body)), HttpStatusCode.BadRequest);

        Assert.Equal(path, refused.GetProperty("path").GetString());
        Assert.Equal($"Invalid JSON at {path}: {problem}", refused.GetProperty("detail").GetString());
    }
}
