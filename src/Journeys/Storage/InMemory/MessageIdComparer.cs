using System.Globalization;
using Journeys.Messaging;

namespace Journeys.Storage.InMemory;

/// <summary>
/// Compares outbox messages by <see cref="OutboundMessage.MessageId"/> without making the id of an engine send (one
/// whose id is made on first read from its enrollment, node and visit): two engine sends compare by those parts, an
/// engine send and another message by the other's id read against the parts, span by span. Lookups by an id string
/// (results and renewals given by id) go through the alternate lookup. Equal ids hash equal: an id that reads as
/// <c>{guid:N}/{node}/{visit}</c> hashes by its guid and visit, as an engine send does.
/// </summary>
internal sealed class MessageIdComparer : IEqualityComparer<OutboundMessage>, IAlternateEqualityComparer<string, OutboundMessage>
{
    public static readonly MessageIdComparer Instance = new();

    private const int GuidLength = 32;

    private MessageIdComparer()
    {
    }

    public bool Equals(OutboundMessage? x, OutboundMessage? y)
    {
        if (ReferenceEquals(x, y))
        {
            return true;
        }

        if (x is null || y is null)
        {
            return false;
        }

        if (x.TryGetEngineId(out var xEnrollment, out var xVisit))
        {
            return y.TryGetEngineId(out var yEnrollment, out var yVisit)
                ? xEnrollment == yEnrollment && xVisit == yVisit && string.Equals(x.NodeId, y.NodeId, StringComparison.Ordinal)
                : Matches(y.MessageId, xEnrollment, x.NodeId!, xVisit);
        }

        return Equals(x.MessageId, y);
    }

    public int GetHashCode(OutboundMessage obj) =>
        obj.TryGetEngineId(out var enrollment, out var visit) ? HashCode.Combine(enrollment, visit) : GetHashCode(obj.MessageId);

    public bool Equals(string alternate, OutboundMessage other) =>
        other.TryGetEngineId(out var enrollment, out var visit)
            ? Matches(alternate, enrollment, other.NodeId!, visit)
            : string.Equals(alternate, other.MessageId, StringComparison.Ordinal);

    public int GetHashCode(string alternate)
    {
        var id = alternate.AsSpan();
        var last = id.LastIndexOf('/');
        return id.Length > GuidLength + 1 && id[GuidLength] == '/' && last > GuidLength
            && Guid.TryParseExact(id[..GuidLength], "N", out var enrollment)
            && int.TryParse(id[(last + 1)..], NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var visit)
            ? HashCode.Combine(enrollment, visit)
            : StringComparer.Ordinal.GetHashCode(alternate);
    }

    /// <summary>Not used: the store adds messages, never ids.</summary>
    public OutboundMessage Create(string alternate) =>
        throw new NotSupportedException("The in-memory outbox adds messages, not message ids.");

    // Whether id is exactly what OutboundMessage.EngineMessageId makes of these parts.
    private static bool Matches(string? id, Guid enrollment, string nodeId, int visit)
    {
        if (id is null)
        {
            return false;
        }

        var rest = id.AsSpan();
        Span<char> part = stackalloc char[GuidLength];
        if (!enrollment.TryFormat(part, out _, "N") || !rest.StartsWith(part, StringComparison.Ordinal) || rest.Length <= GuidLength || rest[GuidLength] != '/')
        {
            return false;
        }

        rest = rest[(GuidLength + 1)..];
        if (!rest.StartsWith(nodeId, StringComparison.Ordinal) || rest.Length <= nodeId.Length || rest[nodeId.Length] != '/')
        {
            return false;
        }

        rest = rest[(nodeId.Length + 1)..];
        return visit.TryFormat(part, out var written, default, CultureInfo.InvariantCulture) && rest.SequenceEqual(part[..written]);
    }
}
