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
    // Null until first read when it is made from the enrollment, node and visit (the engine's sends): the in-memory
    // store keys its outbox and the dispatcher completes a send by the message itself, so a send whose sender never
    // reads the id costs no id string.
    private string? _messageId = MessageId;

    // Null until first read when the key is derived from the message id (the engine's sends): most senders never read
    // it, and the in-memory store does not keep it, so a send costs one id string instead of two.
    private string? _idempotencyKey = IdempotencyKey;
    private readonly bool _keyFromMessageId;

    // The engine's send (EngineSend): the id is <c>{enrollment:N}/{NodeId}/{visit}</c>, made on first read.
    private readonly Guid _enrollmentId;
    private readonly int _visit;
    private readonly bool _idFromEnrollment;

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

    /// <summary>
    /// A journey send whose id (<c>{enrollment:N}/{node}/{visit}</c>, as <c>StepExecutor</c> makes it) and key
    /// (<c>journey:version:enrollment:node:visit</c>) are made on first read, exactly as if they had been passed.
    /// </summary>
    internal OutboundMessage(Guid enrollmentId, int visit, Channel channel, string campaignId, string customerId, string body, string journeyId, int journeyVersion, string nodeId)
        : this(null!, null!, channel, campaignId, customerId, body, journeyId, journeyVersion, nodeId)
    {
        _keyFromMessageId = true;
        _enrollmentId = enrollmentId;
        _visit = visit;
        _idFromEnrollment = true;
    }

    // A copy (a `with` expression) takes the id and key as they are: a copy that changes the journey, node or message
    // id keeps the original's key (and, unless given a new one, its id), as it did when both were always strings.
    private OutboundMessage(OutboundMessage original)
    {
        _messageId = original.MessageId;
        _idempotencyKey = original.IdempotencyKey;
        Channel = original.Channel;
        CampaignId = original.CampaignId;
        CustomerId = original.CustomerId;
        Body = original.Body;
        JourneyId = original.JourneyId;
        JourneyVersion = original.JourneyVersion;
        NodeId = original.NodeId;
    }

    /// <summary>A unique id; channel feedback (delivered, opened, clicked) refers to it.</summary>
    public string MessageId
    {
        get => _messageId ?? (_idFromEnrollment ? _messageId = EngineMessageId(_enrollmentId, NodeId!, _visit) : null!);
        init
        {
            _messageId = value;
            _idFromEnrollment = false;
        }
    }

    /// <summary>Whether the message has an id (one made on first read counts).</summary>
    internal bool HasMessageId => _idFromEnrollment || _messageId is not null;

    /// <summary>The parts of an engine send's id (<see cref="EngineMessageId"/>), when it was made from them.</summary>
    internal bool TryGetEngineId(out Guid enrollmentId, out int visit)
    {
        enrollmentId = _enrollmentId;
        visit = _visit;
        return _idFromEnrollment;
    }

    /// <summary>The id of a journey send: <c>{enrollment:N}/{node}/{visit}</c>.</summary>
    internal static string EngineMessageId(Guid enrollmentId, string nodeId, int visit) =>
        string.Create(CultureInfo.InvariantCulture, $"{enrollmentId:N}/{nodeId}/{visit}");

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
        if (_idFromEnrollment)
        {
            return string.Create(CultureInfo.InvariantCulture, $"{JourneyId}:{JourneyVersion}:{_enrollmentId:N}:{NodeId}:{_visit}");
        }

        var id = MessageId;
        var enrollmentEnd = id.IndexOf('/', StringComparison.Ordinal);
        var visitStart = id.LastIndexOf('/') + 1;
        return string.Create(CultureInfo.InvariantCulture, $"{JourneyId}:{JourneyVersion}:{id.AsSpan(0, enrollmentEnd)}:{NodeId}:{id.AsSpan(visitStart)}");
    }
}
