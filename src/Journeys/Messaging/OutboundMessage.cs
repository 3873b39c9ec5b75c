using Journeys.Model;

namespace Journeys.Messaging;

/// <summary>A rendered message to deliver to one customer.</summary>
/// <param name="MessageId">A unique id; channel feedback (delivered, opened, clicked) refers to it.</param>
/// <param name="IdempotencyKey">The same for every attempt of this send: <c>journey:version:enrollment:node:visit</c>.</param>
/// <param name="Channel">The channel.</param>
/// <param name="CampaignId">The campaign.</param>
/// <param name="CustomerId">The recipient.</param>
/// <param name="Body">The rendered template.</param>
/// <param name="JourneyId">The journey that sends it, or <see langword="null"/> for a one-shot sending.</param>
/// <param name="JourneyVersion">The journey version (0 for a one-shot sending).</param>
/// <param name="NodeId">The send node, or <see langword="null"/> for a one-shot sending.</param>
public sealed record OutboundMessage(
    string MessageId,
    string IdempotencyKey,
    Channel Channel,
    string CampaignId,
    string CustomerId,
    string Body,
    string? JourneyId,
    int JourneyVersion,
    string? NodeId);
