using Journeys.Runtime;

namespace Journeys.Tests.Runtime;

public sealed class LocalTimeTests
{
    private static readonly TimeZoneInfo Madrid = TimeZoneInfo.FindSystemTimeZoneById("Europe/Madrid");

    [Fact]
    public void Next_occurrence_is_today_when_still_ahead_and_tomorrow_when_passed()
    {
        var morning = new DateTimeOffset(2026, 6, 10, 6, 0, 0, TimeSpan.Zero); // 08:00 in Madrid (UTC+2)
        Assert.Equal(new DateTimeOffset(2026, 6, 10, 9, 0, 0, TimeSpan.FromHours(2)), LocalTime.NextOccurrence(morning, new TimeOnly(9, 0), Madrid));

        var evening = new DateTimeOffset(2026, 6, 10, 18, 0, 0, TimeSpan.Zero);
        Assert.Equal(new DateTimeOffset(2026, 6, 11, 9, 0, 0, TimeSpan.FromHours(2)), LocalTime.NextOccurrence(evening, new TimeOnly(9, 0), Madrid));

        var exactly = new DateTimeOffset(2026, 6, 10, 9, 0, 0, TimeSpan.FromHours(2));
        Assert.Equal(exactly.AddDays(1), LocalTime.NextOccurrence(exactly, new TimeOnly(9, 0), Madrid));
    }

    [Fact]
    public void Nine_am_stays_nine_am_across_the_daylight_saving_changes()
    {
        // The night of 28-29 March 2026 Madrid moves from UTC+1 to UTC+2; 24 October-25 October back.
        var beforeSpring = new DateTimeOffset(2026, 3, 28, 12, 0, 0, TimeSpan.Zero);
        Assert.Equal(new DateTimeOffset(2026, 3, 29, 9, 0, 0, TimeSpan.FromHours(2)), LocalTime.NextOccurrence(beforeSpring, new TimeOnly(9, 0), Madrid));

        var beforeAutumn = new DateTimeOffset(2026, 10, 24, 12, 0, 0, TimeSpan.Zero);
        Assert.Equal(new DateTimeOffset(2026, 10, 25, 9, 0, 0, TimeSpan.FromHours(1)), LocalTime.NextOccurrence(beforeAutumn, new TimeOnly(9, 0), Madrid));
    }

    [Fact]
    public void A_time_skipped_by_spring_forward_happens_at_the_end_of_the_gap_and_a_repeated_time_at_its_first_occurrence()
    {
        var night = new DateTimeOffset(2026, 3, 28, 23, 0, 0, TimeSpan.Zero); // 00:00 local on the 29th
        // 02:30 does not exist on 29 March in Madrid: clocks jump from 02:00 to 03:00.
        Assert.Equal(new DateTimeOffset(2026, 3, 29, 3, 0, 0, TimeSpan.FromHours(2)), LocalTime.NextOccurrence(night, new TimeOnly(2, 30), Madrid));

        var autumnNight = new DateTimeOffset(2026, 10, 24, 22, 0, 0, TimeSpan.Zero); // 00:00 local on the 25th
        // 02:30 happens twice on 25 October: first at UTC+2.
        Assert.Equal(new DateTimeOffset(2026, 10, 25, 2, 30, 0, TimeSpan.FromHours(2)), LocalTime.NextOccurrence(autumnNight, new TimeOnly(2, 30), Madrid));
    }

    [Fact]
    public void A_skipped_time_with_seconds_also_happens_at_the_end_of_the_gap()
    {
        var night = new DateTimeOffset(2026, 3, 28, 23, 0, 0, TimeSpan.Zero); // 00:00 local on the 29th
        var gapEnd = new DateTimeOffset(2026, 3, 29, 3, 0, 0, TimeSpan.FromHours(2));
        Assert.Equal(gapEnd, LocalTime.NextOccurrence(night, new TimeOnly(2, 30, 15), Madrid));
        Assert.Equal(gapEnd, LocalTime.NextOccurrence(night, new TimeOnly(2, 59, 59, 999), Madrid));
        Assert.Equal(gapEnd, LocalTime.NextOccurrence(night, new TimeOnly(2, 0), Madrid));
    }

    [Fact]
    public void Adding_saturates_instead_of_overflowing()
    {
        Assert.Equal(DateTimeOffset.MaxValue, LocalTime.AddSaturating(DateTimeOffset.MaxValue.AddDays(-1), TimeSpan.FromDays(2)));
        Assert.Equal(DateTimeOffset.MinValue, LocalTime.AddSaturating(DateTimeOffset.MinValue.AddDays(1), TimeSpan.FromDays(-2)));
    }

    [Fact]
    public void Quiet_hours_that_end_in_the_repeated_hour_end_there_on_its_second_pass_too()
    {
        // 25 October 2026 Madrid goes back from 03:00 CEST to 02:00 CET: 02:00-03:00 happens twice. With quiet hours
        // 22:00-02:30, a message due at 02:10 on the second pass (01:10 UTC) is quiet by the wall clock, and the wall
        // clock shows 02:30 twenty minutes later: it is held until then, not until 02:30 the next day.
        var policy = new SendPolicyOptions { QuietHoursStart = new TimeOnly(22, 0), QuietHoursEnd = new TimeOnly(2, 30) };
        var secondPass = new DateTimeOffset(2026, 10, 25, 1, 10, 0, TimeSpan.Zero);
        Assert.True(policy.IsQuiet(TimeOnly.FromDateTime(TimeZoneInfo.ConvertTime(secondPass, Madrid).DateTime)));
        Assert.Equal(new DateTimeOffset(2026, 10, 25, 2, 30, 0, TimeSpan.FromHours(1)), LocalTime.NextWallClock(secondPass, new TimeOnly(2, 30), Madrid));

        // On the first pass (00:10 UTC, 02:10 CEST) the first 02:30 comes first; on other days it is NextOccurrence.
        var firstPass = new DateTimeOffset(2026, 10, 25, 0, 10, 0, TimeSpan.Zero);
        Assert.Equal(new DateTimeOffset(2026, 10, 25, 2, 30, 0, TimeSpan.FromHours(2)), LocalTime.NextWallClock(firstPass, new TimeOnly(2, 30), Madrid));
        var june = new DateTimeOffset(2026, 6, 10, 18, 0, 0, TimeSpan.Zero);
        Assert.Equal(LocalTime.NextOccurrence(june, new TimeOnly(8, 0), Madrid), LocalTime.NextWallClock(june, new TimeOnly(8, 0), Madrid));
        var spring = new DateTimeOffset(2026, 3, 28, 23, 0, 0, TimeSpan.Zero);
        Assert.Equal(LocalTime.NextOccurrence(spring, new TimeOnly(2, 30), Madrid), LocalTime.NextWallClock(spring, new TimeOnly(2, 30), Madrid));
    }

    [Fact]
    public void Send_policy_options_report_every_invalid_value_and_equal_quiet_hour_bounds()
    {
        Assert.Empty(new SendPolicyOptions().Validate());
        Assert.Empty(new SendPolicyOptions { FrequencyCap = 1, QuietHoursStart = new TimeOnly(22, 0), QuietHoursEnd = new TimeOnly(8, 0) }.Validate());

        var errors = new SendPolicyOptions { FrequencyCap = 0, FrequencyCapWindow = TimeSpan.Zero, QuietHoursStart = new TimeOnly(22, 0) }.Validate();
        Assert.Equal(3, errors.Count);
        Assert.Contains(errors, e => e.Contains("FrequencyCap must be at least 1", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.Contains("FrequencyCapWindow must be positive", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.Contains("set together", StringComparison.Ordinal));

        // Equal bounds were read as "no quiet hours": refused, so "quiet all day" or a typo is not silently dropped.
        var equal = Assert.Single(new SendPolicyOptions { QuietHoursStart = new TimeOnly(8, 0), QuietHoursEnd = new TimeOnly(8, 0) }.Validate());
        Assert.Equal("SendPolicy.QuietHoursStart and QuietHoursEnd must differ (both were 08:00); leave both unset for no quiet hours.", equal);
    }
}
