using Journeys.Messaging;

namespace Journeys.Storage;

/// <summary>
/// A checkpoint's outbox messages read one by one without building <see cref="EnrollmentCheckpoint.Outbox"/>'s records:
/// either a given list of <see cref="OutboxMessage"/>s, or (a checkpoint the engine's executor made) its sends, one
/// <see cref="OutboundMessage"/> or an array of several, all from one enrollment, due at one time, no attempt made yet.
/// </summary>
internal readonly struct OutboxSends
{
    // An IReadOnlyList<OutboxMessage> (or null), an OutboundMessage, or an OutboundMessage[].
    private readonly object? _items;
    private readonly Guid _enrollmentId;
    private readonly DateTimeOffset _dueAt;

    public OutboxSends(object? items, Guid enrollmentId, DateTimeOffset dueAt)
    {
        _items = items;
        _enrollmentId = enrollmentId;
        _dueAt = dueAt;
    }

    /// <summary>How many messages there are (0 for a null list).</summary>
    // The sends' forms are tested first: sealed types, each an exact type check, where a test for the list interface
    // (an array of records among others) goes through the runtime's cast helper on every call.
    public int Count => _items switch
    {
        OutboundMessage => 1,
        OutboundMessage[] several => several.Length,
        IReadOnlyList<OutboxMessage> list => list.Count,
        _ => 0,
    };

    /// <summary>The given list, or null (the executor's sends, or no list).</summary>
    private IReadOnlyList<OutboxMessage>? List => _items is OutboundMessage or OutboundMessage[] ? null : _items as IReadOnlyList<OutboxMessage>;

    /// <summary>The message at <paramref name="index"/> as a record: the given one, or a new one for a send.</summary>
    public OutboxMessage ToMessage(int index) => List is { } list
        ? list[index]
        : new OutboxMessage(Message(index)!, _enrollmentId, _dueAt);

    /// <summary>The rendered message at <paramref name="index"/> (null where a given list holds a null record or message).</summary>
    public OutboundMessage? Message(int index) => _items switch
    {
        OutboundMessage one when index == 0 => one,
        OutboundMessage[] several => several[index],
        IReadOnlyList<OutboxMessage> list => list[index]?.Message,
        _ => throw new ArgumentOutOfRangeException(nameof(index)),
    };

    /// <summary>The enrollment that sent the message at <paramref name="index"/> (its record must not be null).</summary>
    public Guid? EnrollmentId(int index) => List is { } list ? list[index].EnrollmentId : _enrollmentId;

    /// <summary>When the message at <paramref name="index"/> is due (its record must not be null).</summary>
    public DateTimeOffset DueAt(int index) => List is { } list ? list[index].DueAt : _dueAt;

    /// <summary>The attempts made of the message at <paramref name="index"/> (its record must not be null).</summary>
    public int Attempts(int index) => List is { } list ? list[index].Attempts : 0;
}
