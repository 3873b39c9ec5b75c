using System.Collections.Immutable;
using Journeys.Model;
using Journeys.Runtime;
using Journeys.Storage;
using Journeys.Storage.InMemory;
using Microsoft.Extensions.DependencyInjection;

namespace Journeys.Tests.Runtime;

public sealed class EventPurgeTests
{
    private static readonly DateTimeOffset T0 = new(2026, 3, 2, 9, 0, 0, TimeSpan.Zero);

    [Fact]
    public async Task The_host_purges_events_and_ids_older_than_the_retention_and_the_id_window()
    {
        // Before, nothing called IEnrollmentStore.PurgeEventsAsync: events and event ids were kept for ever in every
        // store, whatever EventRetention said.
        await using var host = await EngineHost.StartAsync(T0, o => o.EventIdWindow = TimeSpan.FromHours(6));
        var store = host.Services.GetRequiredService<InMemoryEngineStore>();
        await host.Manager.PublishAsync([
            new CustomerEvent("c1@example.com", "viewed", ImmutableDictionary<string, FieldValue>.Empty, T0) { Id = "v-1" },
            new CustomerEvent("c2@example.com", "viewed", ImmutableDictionary<string, FieldValue>.Empty, T0),
        ]);
        Assert.Equal((2, 1), store.Retained);

        // Kept for the longer of EventRetention (1 day) and EventIdWindow (6 h); the purge runs every quarter of that
        // (at most hourly). An hour past the day, both are gone.
        Assert.Equal(TimeSpan.FromDays(1), EventPurger.Kept(new JourneysOptions { EventIdWindow = TimeSpan.FromHours(6) }));
        Assert.Equal(TimeSpan.FromHours(1), EventPurger.Interval(new JourneysOptions()));
        for (var hour = 0; hour < 26; hour++)
        {
            host.Time.Advance(TimeSpan.FromHours(1));
        }

        EventuallyPurged(host, () => store.Retained == (0, 0), "the events and ids purged");
    }

    [Fact]
    public async Task With_a_frequency_cap_the_host_also_purges_the_sends_out_of_its_window()
    {
        await using var host = await EngineHost.StartAsync(T0, o => o.SendPolicy = new SendPolicyOptions { FrequencyCap = 1, FrequencyCapWindow = TimeSpan.FromHours(2) });
        var sends = host.Services.GetRequiredService<InMemoryEngineStore>();
        var month = TimeSpan.FromDays(30);
        Assert.Equal([true], await sends.TryReserveSendsAsync([new SendReservation("c1", "k1")], 1, month, T0));

        // Held (a month's window counts it) until the purge removes it: the purge's cut-off is now minus the cap's
        // window (2 h), and it runs hourly here.
        Assert.Equal([false], await sends.TryReserveSendsAsync([new SendReservation("c1", "probe")], 1, month, T0.AddHours(1)));
        for (var hour = 0; hour < 3; hour++)
        {
            host.Time.Advance(TimeSpan.FromHours(1));
        }

        EventuallyPurged(
            host,
            () => sends.TryReserveSendsAsync([new SendReservation("c1", "probe")], 1, month, host.Time.GetUtcNow()).AsTask().GetAwaiter().GetResult()[0],
            "the send out of the cap's window purged");
    }

    [Fact]
    public async Task With_an_enrollment_retention_the_host_deletes_ended_enrollments_past_it_but_each_customers_latest()
    {
        await using var host = await EngineHost.StartAsync(T0, o => o.EnrollmentRetention = TimeSpan.FromDays(2));
        var store = host.Services.GetRequiredService<IEnrollmentStore>();
        var ended = new List<Guid>();
        for (var round = 0; round < 3; round++)
        {
            var created = Assert.Single(await store.EnrollAsync([new EnrollmentRequest(Guid.NewGuid(), "j", 1, "c1@example.com", "start", host.Time.GetUtcNow(), new EntryRules(ReEntryMode.AfterExit), [])]));
            Assert.Equal(EnrollmentOutcomeKind.Created, created.Kind);
            ended.Add(created.EnrollmentId!.Value);
            // Ended now, by this cancel or by the engine, which may claim it first (journey "j" is not in the store: the
            // engine ends such an enrollment as failed); either way at this clock reading, which moves only below.
            await store.CancelAsync("j", null, null, "ended for the test", host.Time.GetUtcNow());
            EngineHost.Eventually(
                () => store.GetByCustomerAsync("c1@example.com").AsTask().GetAwaiter().GetResult().All(e => e.Status is not (EnrollmentStatus.Active or EnrollmentStatus.Waiting)),
                "the enrollment ended");
            host.Time.Advance(TimeSpan.FromDays(1));
        }

        // Ended at T0, T0 + 1 day and T0 + 2 days; at T0 + 3 days and beyond the first two are past the retention, and
        // only the latest stays (the re-entry rules read its end).
        EventuallyPurged(
            host,
            () => store.GetByCustomerAsync("c1@example.com").AsTask().GetAwaiter().GetResult() is [{ } only] && only.Id == ended[^1],
            "the earlier ended enrollments purged");
    }

    [Fact]
    public void The_enrollment_retention_is_off_by_default_and_validated()
    {
        Assert.Null(new JourneysOptions().EnrollmentRetention);
        Assert.Contains("EnrollmentRetention must be 1 hour to 3,650 days, or null to keep every enrollment (was 00:30:00).", new JourneysOptions { EnrollmentRetention = TimeSpan.FromMinutes(30) }.Validate());
        Assert.Empty(new JourneysOptions { EnrollmentRetention = TimeSpan.FromDays(90) }.Validate());
    }

    /// <summary>
    /// Waits for <paramref name="purged"/>, stepping the clock a purge interval (1 hour) at every look that finds it
    /// false: the purger may register its next wait only after the test advanced the clock (a busy machine), and that
    /// wait is then due an interval after the advanced time, which a fixed number of steps never reaches.
    /// </summary>
    private static void EventuallyPurged(EngineHost host, Func<bool> purged, string what) =>
        EngineHost.Eventually(
            () =>
            {
                if (purged())
                {
                    return true;
                }

                host.Time.Advance(TimeSpan.FromHours(1));
                return false;
            },
            what);

    [Theory]
    [InlineData(0, 1, 1)]          // ids kept 1 s: the purge runs every minute (the shortest)
    [InlineData(0, 3600, 15)]      // kept 1 h: every quarter hour
    [InlineData(172800, 3600, 60)] // kept 2 days: hourly (the longest)
    public void The_purge_interval_is_a_quarter_of_the_longer_keep_from_1_minute_to_1_hour(int retentionSeconds, int idWindowSeconds, int minutes)
    {
        var options = new JourneysOptions { EventRetention = TimeSpan.FromSeconds(retentionSeconds), EventIdWindow = TimeSpan.FromSeconds(idWindowSeconds) };
        Assert.Equal(TimeSpan.FromMinutes(minutes), EventPurger.Interval(options));
    }
}
