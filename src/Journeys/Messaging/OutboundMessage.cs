using System.Globalization;
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
    string? NodeId)
{
    // Null until first read when the key is derived from the message id (the engine's sends): most senders never read
    // it, and the in-memory store does not keep it, so a send costs one id string instead of two.
    private string? _idempotencyKey = IdempotencyKey;
    private readonly bool _keyFromMessageId;

    /// <summary>
    /// A journey send whose key is derived from its message id on first read: <paramref name="messageId"/> is
    /// <c>enrollment/node/visit</c> (as <c>StepExecutor</c> makes it) and the key is then
    /// <c>journey:version:enrollment:node:visit</c>, exactly as if it had been passed.
    /// </summary>
    internal OutboundMessage(string messageId, Channel channel, string campaignId, string customerId, string body, string journeyId, int journeyVersion, string nodeId)
        : this(messageId, null!, channel, campaignId, customerId, body, journeyId, journeyVersion, nodeId)
    {
        _keyFromMessageId = true;
    }

    // A copy (a `with` expression) takes the key as it is: a copy that changes the journey, node or message id keeps
    // the original's key, as it did when the key was always a string.
    private OutboundMessage(OutboundMessage original)
    {
        MessageId = original.MessageId;
        _idempotencyKey = original.IdempotencyKey;
        Channel = original.Channel;
        CampaignId = original.CampaignId;
        CustomerId = original.CustomerId;
        Body = original.Body;
        JourneyId = original.JourneyId;
        JourneyVersion = original.JourneyVersion;
        NodeId = original.NodeId;
    }

    /// <summary>The same for every attempt of this send: <c>journey:version:enrollment:node:visit</c>.</summary>
    public string IdempotencyKey
    {
        get => _idempotencyKey ?? (_keyFromMessageId ? _idempotencyKey = DeriveKey() : null!);
        init
        {
            _idempotencyKey = value;
            _keyFromMessageId = false;
        }
    }

    /// <inheritdoc />
    public bool Equals(OutboundMessage? other) =>
        ReferenceEquals(this, other)
        || (other is not null
            && string.Equals(MessageId, other.MessageId, StringComparison.Ordinal)
            && string.Equals(IdempotencyKey, other.IdempotencyKey, StringComparison.Ordinal)
            && Channel.Equals(other.Channel)
            && string.Equals(CampaignId, other.CampaignId, StringComparison.Ordinal)
            && string.Equals(CustomerId, other.CustomerId, StringComparison.Ordinal)
            && string.Equals(Body, other.Body, StringComparison.Ordinal)
            && string.Equals(JourneyId, other.JourneyId, StringComparison.Ordinal)
            && JourneyVersion == other.JourneyVersion
            && string.Equals(NodeId, other.NodeId, StringComparison.Ordinal));

    /// <inheritdoc />
    public override int GetHashCode()
    {
        var hash = default(HashCode);
        hash.Add(MessageId, StringComparer.Ordinal);
        hash.Add(IdempotencyKey, StringComparer.Ordinal);
        hash.Add(Channel);
        hash.Add(CampaignId, StringComparer.Ordinal);
        hash.Add(CustomerId, StringComparer.Ordinal);
        hash.Add(Body, StringComparer.Ordinal);
        hash.Add(JourneyId, StringComparer.Ordinal);
        hash.Add(JourneyVersion);
        hash.Add(NodeId, StringComparer.Ordinal);
        return hash.ToHashCode();
    }

    // enrollment/node/visit → journey:version:enrollment:node:visit (the node id is taken whole, so a '/' in it is kept).
    private string DeriveKey()
    {
        var id = MessageId;
        var enrollmentEnd = id.IndexOf('/', StringComparison.Ordinal);
        var visitStart = id.LastIndexOf('/') + 1;
        return string.Create(CultureInfo.InvariantCulture, $"{JourneyId}:{JourneyVersion}:{id.AsSpan(0, enrollmentEnd)}:{NodeId}:{id.AsSpan(visitStart)}");
    }
}
