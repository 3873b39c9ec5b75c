namespace Journeys.Model;

/// <summary>
/// An instant kept as UTC ticks and offset minutes, in two fields instead of a <see cref="DateTimeOffset"/> (16 bytes, 24
/// as a nullable): the ticks beside the record's other 8-byte fields and the offset beside its small ones, so a
/// record holding several instants stays small (<see cref="Enrollment"/>, <see cref="Storage.EnrollmentChange"/>).
/// </summary>
internal static class PackedInstant
{
    /// <summary>The ticks of no instant (no <see cref="DateTimeOffset"/> has negative ticks).</summary>
    public const long NoTime = long.MinValue;

    /// <summary>The instant's UTC ticks, or <see cref="NoTime"/> for none.</summary>
    public static long Ticks(DateTimeOffset? time) => time is { } t ? t.UtcTicks : NoTime;

    /// <summary>The instant's offset in minutes (0 for none).</summary>
    public static short OffsetMinutes(DateTimeOffset? time) => time is { } t ? checked((short)t.TotalOffsetMinutes) : (short)0;

    /// <summary>The instant back, with its offset, or <see langword="null"/> for <see cref="NoTime"/>.</summary>
    public static DateTimeOffset? Unpack(long utcTicks, short offsetMinutes) =>
        utcTicks == NoTime ? null : new DateTimeOffset(utcTicks, TimeSpan.Zero).ToOffset(TimeSpan.FromMinutes(offsetMinutes));
}
