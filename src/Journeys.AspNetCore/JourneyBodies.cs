using Journeys.Model;
using Journeys.Serialization;

namespace Journeys.AspNetCore;

/// <summary>Reads a journey or a node from a request body.</summary>
internal static class JourneyBodies
{
    public static async Task<JourneyDefinition> ReadJourneyAsync(HttpContext context, JourneysApi api)
    {
        RequestBodies.MediaType(context.Request, JourneyMediaTypes.Journey);
        var body = await RequestBodies.ReadAsync(context, api.Options).ConfigureAwait(false);
        return JourneyJson.Deserialize(body);
    }

    public static async Task<JourneyNode> ReadNodeAsync(HttpContext context, JourneysApi api)
    {
        RequestBodies.MediaType(context.Request, RequestBodies.Json);
        var body = await RequestBodies.ReadAsync(context, api.Options).ConfigureAwait(false);
        return JourneyJson.DeserializeNode(body);
    }
}
