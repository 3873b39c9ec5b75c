using Journeys.Model;
using Journeys.Serialization;
using Journeys.Serialization.StateDocuments;

namespace Journeys.AspNetCore;

/// <summary>Reads a journey or a node from a request body.</summary>
internal static class JourneyBodies
{
    /// <summary>
    /// Reads the library's journey document, or the vendor's state document when the Content-Type is
    /// <see cref="JourneyMediaTypes.States"/> or the query says <c>format=states</c>.
    /// </summary>
    public static async Task<JourneyDefinition> ReadJourneyAsync(HttpContext context, JourneysApi api)
    {
        var mediaType = RequestBodies.MediaType(context.Request, JourneyMediaTypes.Journey, JourneyMediaTypes.States);
        var states = mediaType == JourneyMediaTypes.States || WantsStates(context.Request);
        var body = await RequestBodies.ReadAsync(context, api.Options).ConfigureAwait(false);
        var journey = states ? JourneyStateDocument.Read(body) : JourneyJson.Deserialize(body);
        return Journeys.Sendings.SendingJourneys.IsSending(journey.Id)
            ? throw ApiProblemException.BadRequest(
                $"Invalid journey id at $.id: '{journey.Id}' starts with '{Journeys.Sendings.SendingJourneys.JourneyIdPrefix}', which is reserved for sendings (manage them under /sendings).",
                "$.id")
            : journey;
    }

    /// <summary>Whether the client asks for state documents: <c>?format=states</c>, or an Accept of <see cref="JourneyMediaTypes.States"/>.</summary>
    public static bool WantsStates(HttpRequest request)
    {
        if (request.Query.TryGetValue("format", out var format))
        {
            return format.ToString() switch
            {
                "states" => true,
                "journey" => false,
                _ => throw ApiProblemException.BadRequest($"Unknown format '{format}'; use 'journey' (the default) or 'states'.", "query:format"),
            };
        }

        return request.GetTypedHeaders().Accept.Any(static a => string.Equals(a.MediaType.Value, JourneyMediaTypes.States, StringComparison.OrdinalIgnoreCase));
    }

    public static async Task<JourneyNode> ReadNodeAsync(HttpContext context, JourneysApi api)
    {
        RequestBodies.MediaType(context.Request, RequestBodies.Json);
        var body = await RequestBodies.ReadAsync(context, api.Options).ConfigureAwait(false);
        return JourneyJson.DeserializeNode(body);
    }
}
