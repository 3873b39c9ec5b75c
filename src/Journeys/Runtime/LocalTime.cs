namespace Journeys.Runtime;

/// <summary>Wall-clock arithmetic in a time zone, correct across daylight-saving changes.</summary>
internal static class LocalTime
{
    /// <summary>
    /// The next instant after <paramref name="now"/> at which the local time in <paramref name="zone"/> is
    /// <paramref name="timeOfDay"/>. A time skipped by a spring-forward change happens at the end of the gap; a time
    /// that occurs twice when clocks go back is taken at its first occurrence.
    /// </summary>
    public static DateTimeOffset NextOccurrence(DateTimeOffset now, TimeOnly timeOfDay, TimeZoneInfo zone)
    {
        var localNow = TimeZoneInfo.ConvertTime(now, zone);
        var day = DateOnly.FromDateTime(localNow.DateTime);
        for (var i = 0; i < 3; i++)
        {
            var candidate = ToInstant(day.AddDays(i).ToDateTime(timeOfDay), zone);
            if (candidate > now)
            {
                return candidate;
            }
        }

        return ToInstant(day.AddDays(3).ToDateTime(timeOfDay), zone);
    }

    /// <summary>
    /// The next instant after <paramref name="now"/> at which the wall clock in <paramref name="zone"/> shows
    /// <paramref name="timeOfDay"/>, counting both passes of a time that clocks going back repeat: the end of quiet hours,
    /// which are read from the wall clock (quiet again on the second pass, so they end again at its end time).
    /// Otherwise as <see cref="NextOccurrence"/>.
    /// </summary>
    public static DateTimeOffset NextWallClock(DateTimeOffset now, TimeOnly timeOfDay, TimeZoneInfo zone)
    {
        var next = NextOccurrence(now, timeOfDay, zone);
        var today = DateOnly.FromDateTime(TimeZoneInfo.ConvertTime(now, zone).DateTime).ToDateTime(timeOfDay);
        if (zone.IsAmbiguousTime(today))
        {
            var secondPass = new DateTimeOffset(today, zone.GetAmbiguousTimeOffsets(today).Min()); // the smaller offset is the later instant
            if (secondPass > now && secondPass < next)
            {
                return secondPass;
            }
        }

        return next;
    }

    /// <summary>Adds without overflowing past the first or last representable instant.</summary>
    public static DateTimeOffset AddSaturating(DateTimeOffset value, TimeSpan offset)
    {
        var ticks = value.UtcTicks + offset.Ticks;
        if (offset.Ticks > 0 && ticks < value.UtcTicks || ticks > DateTimeOffset.MaxValue.UtcTicks)
        {
            return DateTimeOffset.MaxValue;
        }

        if (offset.Ticks < 0 && ticks > value.UtcTicks || ticks < DateTimeOffset.MinValue.UtcTicks)
        {
            return DateTimeOffset.MinValue;
        }

        return new DateTimeOffset(ticks, TimeSpan.Zero);
    }

    private static DateTimeOffset ToInstant(DateTime local, TimeZoneInfo zone)
    {
        local = DateTime.SpecifyKind(local, DateTimeKind.Unspecified);
        if (zone.IsInvalidTime(local))
        {
            // In the spring-forward gap: the wall clock jumps over it, so the moment is the end of the gap. Gaps end on a
            // whole minute: the probe steps over minute boundaries, so a time with seconds (02:30:15) ends there too.
            var probe = local.AddTicks(-(local.Ticks % TimeSpan.TicksPerMinute));
            do
            {
                probe = probe.AddMinutes(1);
            }
            while (zone.IsInvalidTime(probe));

            return new DateTimeOffset(probe, zone.GetUtcOffset(probe));
        }

        if (zone.IsAmbiguousTime(local))
        {
            var offsets = zone.GetAmbiguousTimeOffsets(local);
            var earliest = offsets.Max(); // the larger offset is the earlier instant
            return new DateTimeOffset(local, earliest);
        }

        return new DateTimeOffset(local, zone.GetUtcOffset(local));
    }
}
