using Journeys.Building;
using Journeys.Messaging;
using Journeys.Runtime;
using Journeys.Sendings;
using Journeys.Storage;
using Journeys.Tests.Runtime;
using Journeys.Validation;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace Journeys.Tests.Sendings;

public sealed class SendingScenarioTests
{
    private static readonly DateTimeOffset Start = new(2026, 5, 4, 10, 0, 0, TimeSpan.Zero);

    private static SendingRequest Tips(string? id = null) => new("tips") { SendingId = id };

    private static Task<SendingStatus> CompletedAsync(EngineHost host, string sendingId)
    {
        SendingStatus? status = null;

        // On a timeout, what there is to go on: where the sending stood, the clock, and what the outbox still holds.
        EngineHost.Eventually(
            () => (status = host.Sendings.GetAsync(sendingId).AsTask().GetAwaiter().GetResult())?.State == SendingState.Completed,
            () => $"sending {sendingId} completed (state {status?.State}, progress {status?.Progress}, clock {host.Time.GetUtcNow():O}, "
                + $"pushes recorded {host.Push.Messages.Count}, next outbox due {host.Services.GetRequiredService<IOutboxStore>().GetNextDueAsync().AsTask().GetAwaiter().GetResult():O})");
        return Task.FromResult(status!);
    }

    [Fact]
    public async Task A_sending_to_all_customers_sends_the_campaign_once_to_each_and_reports_its_progress()
    {
        await using var host = await EngineHost.StartAsync(Start);

        var started = await host.Sendings.SendToAllAsync(Tips("all") with { Name = "Spring tips" });
        Assert.Equal("all", started.SendingId);
        Assert.Equal("sending:all", started.JourneyId);
        Assert.Equal(SendingAudience.AllCustomers, started.Audience);
        Assert.Equal(Channel.Push, started.Channel);
        Assert.Equal("Spring tips", started.Name);
        Assert.Equal(40, started.Progress.Targeted);
        Assert.Equal(40, started.Progress.Enrolled);
        Assert.NotEqual(SendingState.Enrolling, started.State);

        var done = await CompletedAsync(host, "all");
        Assert.Equal(new SendingProgress(40, 40, 0, 0, 0, 40, 0, 0, 0, 0, 0, 0), done.Progress);
        Assert.Equal(40, host.Push.Messages.Count);
        Assert.Equal(40, host.Push.Messages.Select(m => m.CustomerId).Distinct().Count());
        Assert.All(host.Push.Messages, m => Assert.Equal("tips", m.CampaignId));
        Assert.Equal(40, host.Count("sending:all", SendingJourneys.SendNodeId, StatisticCounter.Sent));
    }

    [Fact]
    public async Task A_sending_to_a_list_trims_ids_sends_once_per_customer_and_counts_unknown_and_repeated_ids()
    {
        await using var host = await EngineHost.StartAsync(Start);
        string[] ids = ["c1@example.com", "c2@example.com", "c2@example.com", "  c3@example.com ", "nobody@example.com", ""];

        var started = await host.Sendings.SendToListAsync(Tips("list"), ids.ToAsyncEnumerable());
        Assert.Equal(SendingAudience.List, started.Audience);

        var done = await CompletedAsync(host, "list");
        Assert.Equal(6, done.Progress.Targeted);
        Assert.Equal(3, done.Progress.Enrolled);
        Assert.Equal(1, done.Progress.Skipped);
        Assert.Equal(2, done.Progress.Unknown);
        Assert.Equal(3, done.Progress.Sent);
        Assert.Equal(["c1@example.com", "c2@example.com", "c3@example.com"], host.Push.Messages.Select(m => m.CustomerId).Order(StringComparer.Ordinal));

        // A sending does not create the unknown customers it skipped.
        Assert.Null(await host.Services.GetRequiredService<ICustomerStore>().GetAsync("nobody@example.com"));
    }

    [Fact]
    public async Task A_page_of_sendings_is_in_id_order_after_the_id_given_and_reads_the_counters_of_its_sendings_only()
    {
        var counting = (CountingStatistics?)null;
        await using var host = await EngineHost.StartAsync(Start, extend: j => j.Services.AddSingleton<IStatisticsStore>(
            sp => counting = new CountingStatistics(sp.GetRequiredService<Journeys.Storage.InMemory.InMemoryEngineStore>())));
        foreach (var id in new[] { "s3", "s1", "s4", "s2" })
        {
            await host.Sendings.SendToListAsync(Tips(id), new[] { "c1@example.com" }.ToAsyncEnumerable());
        }

        Assert.Equal(["s1", "s2", "s3", "s4"], await host.Sendings.ListAsync().Select(s => s.SendingId).Order(StringComparer.Ordinal).ToListAsync());
        var before = counting!.Reads;
        Assert.Equal(["s1", "s2"], await host.Sendings.ListPageAsync(null, 2).Select(s => s.SendingId).ToListAsync());
        Assert.Equal(2, counting.Reads - before);
        Assert.Equal(["s3", "s4"], await host.Sendings.ListPageAsync("s2", 2).Select(s => s.SendingId).ToListAsync());
        Assert.Equal(["s2", "s3", "s4"], await host.Sendings.ListPageAsync("s10", 10).Select(s => s.SendingId).ToListAsync());
        Assert.Empty(await host.Sendings.ListPageAsync("s4", 2).ToListAsync());
        Assert.Equal(1, (await host.Sendings.ListPageAsync("s3", 5).SingleAsync()).Progress.Targeted);
        var refused = Assert.Throws<ArgumentOutOfRangeException>(() => host.Sendings.ListPageAsync(null, 0));
        Assert.Equal("limit", refused.ParamName);
    }

    /// <summary>The statistics store, counting its reads.</summary>
    private sealed class CountingStatistics(IStatisticsStore inner) : IStatisticsStore
    {
        private int _reads;

        public int Reads => Volatile.Read(ref _reads);

        public ValueTask AddAsync(IReadOnlyList<StatisticDelta> deltas, CancellationToken cancellationToken = default) => inner.AddAsync(deltas, cancellationToken);

        public ValueTask<JourneyStatistics> GetAsync(string journeyId, int? version, CancellationToken cancellationToken = default)
        {
            Interlocked.Increment(ref _reads);
            return inner.GetAsync(journeyId, version, cancellationToken);
        }
    }

    [Fact]
    public async Task Sending_again_with_the_same_id_sends_nothing_twice_and_another_campaign_under_that_id_is_refused()
    {
        await using var host = await EngineHost.StartAsync(Start);
        await host.Sendings.SendToAllAsync(Tips("once"));
        await CompletedAsync(host, "once");

        var again = await host.Sendings.SendToAllAsync(Tips("once"));
        Assert.Equal(SendingState.Completed, again.State);
        Assert.Equal(40, again.Progress.Targeted);
        Assert.Equal(40, host.Push.Messages.Count);

        var refused = await Assert.ThrowsAsync<InvalidOperationException>(() => host.Sendings.SendToAllAsync(new SendingRequest("vip-tips") { SendingId = "once" }).AsTask());
        Assert.Contains("'once'", refused.Message, StringComparison.Ordinal);
        await Assert.ThrowsAsync<InvalidOperationException>(() => host.Sendings.SendToListAsync(Tips("once"), new[] { "c1@example.com" }.ToAsyncEnumerable()).AsTask());
        Assert.Equal(40, host.Push.Messages.Count);
    }

    [Fact]
    public async Task The_id_of_a_deleted_sending_is_refused_instead_of_sending_nothing_under_its_kept_counters()
    {
        // A deleted sending's enrollments and statistics stay under its journey id: a new sending there would find every
        // customer already enrolled (re-entry never), send nobody anything and report the old counters as its own.
        await using var host = await EngineHost.StartAsync(Start);
        await host.Sendings.SendToListAsync(Tips("gone"), new[] { "c1@example.com", "c2@example.com" }.ToAsyncEnumerable());
        await CompletedAsync(host, "gone");
        Assert.True(await host.Manager.DeleteAsync("sending:gone"));
        Assert.Null(await host.Sendings.GetAsync("gone"));

        var byList = await Assert.ThrowsAsync<JourneyIdInUseException>(
            () => host.Sendings.SendToListAsync(Tips("gone"), new[] { "c1@example.com", "c3@example.com" }.ToAsyncEnumerable()).AsTask());
        var byAll = await Assert.ThrowsAsync<JourneyIdInUseException>(() => host.Sendings.SendToAllAsync(Tips("gone")).AsTask());
        using var csv = new MemoryStream("customerId\nnew@example.com\n"u8.ToArray());
        var byCsv = await Assert.ThrowsAsync<JourneyIdInUseException>(() => host.Sendings.SendToCsvAsync(Tips("gone"), csv).AsTask());

        Assert.All([byList, byAll, byCsv], e => Assert.Equal("sending:gone", e.JourneyId));
        Assert.All([byList, byAll, byCsv], e => Assert.Contains("'gone'", e.Message, StringComparison.Ordinal));
        Assert.Null(await host.Sendings.GetAsync("gone"));
        Assert.Null(await host.Services.GetRequiredService<ICustomerStore>().GetAsync("new@example.com"));
        Assert.Equal(2, host.Push.Messages.Count);
    }

    [Fact]
    public async Task Customers_are_not_enrolled_into_a_sendings_journey_by_the_journey_or_audience_managers()
    {
        // Only the sending chooses its audience: an enrollment from elsewhere was sent to but not counted as targeted.
        await using var host = await EngineHost.StartAsync(Start);
        await host.Sendings.SendToListAsync(Tips("one"), new[] { "c1@example.com" }.ToAsyncEnumerable());
        await CompletedAsync(host, "one");
        var audience = host.Services.GetRequiredService<Journeys.Audiences.IAudienceManager>();

        var byId = await Assert.ThrowsAsync<ArgumentException>(() => host.Manager.EnrollAsync("sending:one", ["c2@example.com"]).AsTask());
        var byList = await Assert.ThrowsAsync<ArgumentException>(() => audience.EnrollListAsync("sending:one", ["new@example.com"]).AsTask());

        Assert.All([byId, byList], e => Assert.Contains("'sending:one' is reserved", e.Message, StringComparison.Ordinal));
        Assert.Null(await host.Services.GetRequiredService<ICustomerStore>().GetAsync("new@example.com"));
        Assert.Equal(["c1@example.com"], host.Push.Messages.Select(m => m.CustomerId));
        Assert.Equal(1, (await host.Sendings.GetAsync("one"))!.Progress.Enrolled);
    }

    [Fact]
    public async Task An_interrupted_enrolling_pass_is_resumed_by_sending_again_without_a_second_message_to_anyone()
    {
        await using var host = await EngineHost.StartAsync(Start);

        // The first 1,000 ids (one enroll batch: the 40 customers and 960 unknown ids) go in; then the source breaks.
        var broken = await Assert.ThrowsAsync<IOException>(() => host.Sendings.SendToListAsync(Tips("resume"), BrokenListAsync()).AsTask());
        Assert.Equal("the source broke", broken.Message);
        var interrupted = await host.Sendings.GetAsync("resume");
        Assert.Equal(SendingState.Enrolling, interrupted!.State);
        Assert.Equal(40, interrupted.Progress.Enrolled);
        EngineHost.Eventually(() => host.Push.Messages.Count == 40, "the enrolled customers' messages");

        var resumed = await host.Sendings.SendToListAsync(Tips("resume"), Customers(0, 41).ToAsyncEnumerable());
        Assert.NotEqual(SendingState.Enrolling, resumed.State);
        var done = await CompletedAsync(host, "resume");
        Assert.Equal(40, done.Progress.Enrolled);
        Assert.Equal(40, done.Progress.Sent);
        Assert.Equal(40, host.Push.Messages.Count);
        Assert.Equal(40, host.Push.Messages.Select(m => m.IdempotencyKey).Distinct().Count());
    }

    [Fact]
    public async Task A_retry_while_the_first_call_is_still_enrolling_does_not_run_a_second_pass_that_counts_the_ids_twice()
    {
        // A caller that gave up waiting (an HTTP client's timeout, say) sends again with the same id while the first pass
        // still runs: that pass was not interrupted, so a second one over the same list would count its ids again.
        await using var host = await EngineHost.StartAsync(Start);
        var firstBatchIn = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        string[] head = [.. Customers(0, 40), .. Enumerable.Range(0, 960).Select(i => $"ghost{i}@example.com")];
        string[] tail = [.. Enumerable.Range(0, 5).Select(i => $"late{i}@example.com")];

        async IAsyncEnumerable<string> SlowListAsync()
        {
            foreach (var id in head)
            {
                yield return id;
            }

            firstBatchIn.SetResult();
            await gate.Task;
            foreach (var id in tail)
            {
                yield return id;
            }
        }

        var first = host.Sendings.SendToListAsync(Tips("busy"), SlowListAsync()).AsTask();
        await firstBatchIn.Task.WaitAsync(TimeSpan.FromSeconds(30));

        var retry = await host.Sendings.SendToListAsync(Tips("busy"), head.Concat(tail).ToAsyncEnumerable());
        Assert.Equal(SendingState.Enrolling, retry.State);

        gate.SetResult();
        await first.WaitAsync(TimeSpan.FromSeconds(30));
        var done = (await CompletedAsync(host, "busy")).Progress;
        Assert.Equal((1005L, 40L, 965L, 0L), (done.Targeted, done.Enrolled, done.Unknown, done.Skipped));
        Assert.Equal(40, host.Push.Messages.Count);
    }

    [Fact]
    public async Task A_pass_resumed_with_the_same_list_counts_each_id_once()
    {
        await using var host = await EngineHost.StartAsync(Start);
        await Assert.ThrowsAsync<IOException>(() => host.Sendings.SendToListAsync(Tips("again"), BrokenListAsync()).AsTask());
        var interrupted = (await host.Sendings.GetAsync("again"))!.Progress;
        Assert.Equal((1000L, 40L, 960L), (interrupted.Targeted, interrupted.Enrolled, interrupted.Unknown));

        // The retry offers the whole list again: the 1,000 ids the broken pass had offered, then 5 unknown ids and c0 a second time.
        var list = Customers(0, 40).Concat(Enumerable.Range(0, 965).Select(i => $"ghost{i}@example.com")).Append("c0@example.com");
        await host.Sendings.SendToListAsync(Tips("again"), list.ToAsyncEnumerable());
        var done = (await CompletedAsync(host, "again")).Progress;

        Assert.Equal((1006L, 40L, 965L, 1L), (done.Targeted, done.Enrolled, done.Unknown, done.Skipped));
        Assert.Equal(40, done.Sent);
        Assert.Equal(40, host.Push.Messages.Count);
    }

    /// <summary>
    /// Sends "tips" to all 40 customers at 23:00 in Madrid (sending "night"): the pushes are held until 08:00 local
    /// (06:00 UTC). Returns once all 40 are held in the store, not still with the dispatcher (which sends a message it
    /// holds if the clock has passed 08:00 when it gets to it): leased here for a day as they come back, so the test knows.
    /// </summary>
    private static async Task<IOutboxStore> HoldAllNightAsync(EngineHost host)
    {
        var outbox = host.Services.GetRequiredService<IOutboxStore>();
        var eight = new DateTimeOffset(2026, 5, 5, 6, 0, 0, TimeSpan.Zero);
        await host.Sendings.SendToAllAsync(Tips("night"));
        EngineHost.Eventually(() => host.Count("sending:night", null, StatisticCounter.Completed) == 40, "every enrollment past the send node");
        var held = new List<OutboxMessage>();
        EngineHost.Eventually(() => SendPolicyScenarioTests.HeldCount(outbox, eight, held) == 40, "the pushes held until 08:00 local");
        return outbox;
    }

    private static IEnumerable<string> Customers(int from, int count) => Enumerable.Range(from, count).Select(i => $"c{i % 40}@example.com");

    private static async IAsyncEnumerable<string> BrokenListAsync()
    {
        foreach (var id in Customers(0, 40).Concat(Enumerable.Range(0, 960).Select(i => $"ghost{i}@example.com")))
        {
            yield return id;
        }

        await Task.Yield();
        throw new IOException("the source broke");
    }

    [Fact]
    public async Task The_frequency_cap_applies_to_sendings_the_capped_messages_are_counted_and_the_sending_completes()
    {
        await using var host = await EngineHost.StartAsync(Start, o => o.SendPolicy = new SendPolicyOptions { FrequencyCap = 1, FrequencyCapWindow = TimeSpan.FromDays(1) });
        await host.Sendings.SendToAllAsync(Tips("first"));
        await CompletedAsync(host, "first");

        await host.Sendings.SendToAllAsync(new SendingRequest("vip-tips") { SendingId = "second" });
        var second = await CompletedAsync(host, "second");
        Assert.Equal(40, second.Progress.Capped);
        Assert.Equal(0, second.Progress.Sent);
        Assert.Equal(0, second.Progress.Pending);
        Assert.Equal(40, host.Push.Messages.Count);
        Assert.DoesNotContain(host.Push.Messages, m => m.CampaignId == "vip-tips");
    }

    [Fact]
    public async Task The_channel_rate_limit_applies_to_sendings_sends_beyond_it_fail_and_are_counted()
    {
        await using var host = await EngineHost.StartAsync(Start, o => o.ChannelPolicies["push"] = new ChannelPolicyOptions
        {
            PermitsPerSecond = 1,
            RateLimitQueueLimit = 0,
            MaxRetryAttempts = 0,
        });
        await host.Sendings.SendToAllAsync(Tips("limited"));
        var done = await CompletedAsync(host, "limited");

        // Forty sends in one dispatch cannot all fit in one permit per second: the limiter refused some (counts, not timing).
        Assert.Equal(40, done.Progress.Sent + done.Progress.Failed);
        Assert.True(done.Progress.Failed > 0, $"failed {done.Progress.Failed}");
        Assert.Equal(done.Progress.Sent, host.Push.Messages.Count);
    }

    [Fact]
    public async Task Click_feedback_on_a_sent_message_is_counted_in_the_sendings_progress()
    {
        await using var host = await EngineHost.StartAsync(Start);
        await host.Sendings.SendToListAsync(Tips("clicks"), new[] { "c1@example.com", "c2@example.com" }.ToAsyncEnumerable());
        await CompletedAsync(host, "clicks");
        var message = host.Push.Messages.Single(m => m.CustomerId == "c1@example.com");

        await host.Manager.PublishAsync(
        [
            new CustomerEvent("c1@example.com", FeedbackEvents.Delivered, [], host.Time.GetUtcNow(), message.MessageId),
            new CustomerEvent("c1@example.com", FeedbackEvents.Clicked, [], host.Time.GetUtcNow(), message.MessageId),
        ]);

        var status = await host.Sendings.GetAsync("clicks");
        Assert.Equal(1, status!.Progress.Delivered);
        Assert.Equal(1, status.Progress.Clicked);
        Assert.Equal(2, status.Progress.Sent);
    }

    [Fact]
    public async Task Sendings_are_listed_by_the_sending_manager_and_not_as_journeys_and_their_ids_are_reserved()
    {
        await using var host = await EngineHost.StartAsync(Start);
        await host.Manager.CreateAsync(JourneyBuilder.Create("plain", "Plain").EnterOnEvent("go").Steps(p => p.Send(Channel.Push, "tips", id: "push")).Build());
        await host.Sendings.SendToAllAsync(Tips("b"));
        await host.Sendings.SendToAllAsync(Tips("a"));

        Assert.Equal(["a", "b"], await host.Sendings.ListAsync().Select(s => s.SendingId).ToListAsync());
        Assert.Equal(["plain"], await host.Manager.ListAsync().Select(j => j.Journey.Id).ToListAsync());
        Assert.NotNull(await host.Manager.GetAsync("sending:a"));

        var journey = JourneyBuilder.Create("sending:x", "Sneaky").EnterOnEvent("go").Steps(p => p.Send(Channel.Push, "tips", id: "push")).Build();
        var refused = await Assert.ThrowsAsync<ArgumentException>(() => host.Manager.CreateAsync(journey).AsTask());
        Assert.Contains("reserved", refused.Message, StringComparison.Ordinal);
        await Assert.ThrowsAsync<ArgumentException>(() => host.Manager.ActivateAsync("sending:a").AsTask());
        await Assert.ThrowsAsync<ArgumentException>(() => host.Manager.CloneAsync("plain", "sending:copy", "Copy").AsTask());
    }

    [Fact]
    public async Task Customers_put_after_a_sending_to_all_started_are_not_enrolled_into_it()
    {
        await using var host = await EngineHost.StartAsync(Start);
        await host.Sendings.SendToAllAsync(Tips("fixed"));
        await CompletedAsync(host, "fixed");

        var (_, enrolled) = await host.Manager.PutCustomersAsync([new Customer("late@example.com")]);
        Assert.Equal(0, enrolled);
        var status = await host.Sendings.GetAsync("fixed");
        Assert.Equal(40, status!.Progress.Enrolled);
    }

    [Fact]
    public async Task A_request_that_cannot_be_sent_is_refused_with_a_clear_error_and_leaves_nothing_behind()
    {
        await using var host = await EngineHost.StartAsync(Start);

        var unknown = await Assert.ThrowsAsync<ArgumentException>(() => host.Sendings.SendToAllAsync(new SendingRequest("nope") { SendingId = "bad" }).AsTask());
        Assert.Contains("Campaign 'nope'", unknown.Message, StringComparison.Ordinal);

        // "welcome" has a {{name}} variable, which this request does not bind.
        var unbound = await Assert.ThrowsAsync<JourneyValidationException>(() => host.Sendings.SendToAllAsync(new SendingRequest("welcome") { SendingId = "bad" }).AsTask());
        Assert.Contains(unbound.Diagnostics, d => d.NodeId == SendingJourneys.SendNodeId);
        Assert.Null(await host.Sendings.GetAsync("bad"));

        await Assert.ThrowsAsync<ArgumentException>(() => host.Sendings.SendToAllAsync(new SendingRequest("tips") { SendingId = " " }).AsTask());

        // An unknown time zone is bad input named as such, not a validation diagnostic of the sending's journey.
        var zone = await Assert.ThrowsAsync<ArgumentException>(() => host.Sendings.SendToAllAsync(new SendingRequest("tips") { SendingId = "zone", TimeZoneId = "Mars/Olympus_Mons" }).AsTask());
        Assert.Contains("Time zone 'Mars/Olympus_Mons' (TimeZoneId)", zone.Message, StringComparison.Ordinal);
        Assert.Null(await host.Sendings.GetAsync("zone"));
        await Assert.ThrowsAsync<KeyNotFoundException>(() => host.Sendings.StopAsync("missing").AsTask());
    }

    [Fact]
    public async Task Bound_template_variables_are_filled_from_customer_fields()
    {
        await using var host = await EngineHost.StartAsync(Start);
        var request = new SendingRequest("welcome") { SendingId = "hello", Variables = [new VariableBinding("name", "firstName")] };
        await host.Sendings.SendToListAsync(request, new[] { "c7@example.com" }.ToAsyncEnumerable());
        await CompletedAsync(host, "hello");
        Assert.Equal("Welcome, Name7!", Assert.Single(host.Email.Messages).Body);
    }

    [Fact]
    public async Task An_escaped_opening_in_a_template_is_sent_as_literal_braces_and_the_variables_after_it_are_filled()
    {
        await using var host = await EngineHost.StartAsync(Start, extend: j => j
            .AddCampaigns(new Campaign("braces", Channel.Email, @"Type \{{code}} to get {{name}}'s gift, \{{ {{name}} }}")));
        var request = new SendingRequest("braces") { SendingId = "braces", Variables = [new VariableBinding("name", "firstName")] };
        await host.Sendings.SendToListAsync(request, new[] { "c7@example.com" }.ToAsyncEnumerable());
        await CompletedAsync(host, "braces");
        Assert.Equal("Type {{code}} to get Name7's gift, {{ Name7 }}", Assert.Single(host.Email.Messages).Body);
    }

    [Fact]
    public async Task A_field_a_sending_binds_is_held_until_the_sending_completes_then_it_may_be_removed()
    {
        // 23:00 in Madrid: the email is held until 08:00 local, so the sending is still running.
        await using var host = await SendPolicyScenarioTests.StartAtNightInMadridAsync();
        var audience = host.Services.GetRequiredService<Journeys.Audiences.IAudienceManager>();
        var request = new SendingRequest("welcome") { SendingId = "hello", Variables = [new VariableBinding("name", "firstName")] };
        await host.Sendings.SendToListAsync(request, new[] { "c7@example.com" }.ToAsyncEnumerable());
        Assert.Equal(SendingState.Running, (await host.Sendings.GetAsync("hello"))!.State);

        var inUse = await Assert.ThrowsAsync<Journeys.Audiences.CustomerFieldInUseException>(() => audience.RemoveFieldAsync("firstName").AsTask());
        Assert.Contains("'sending:hello'", inUse.Message, StringComparison.Ordinal);

        host.Advance(TimeSpan.FromHours(10));
        await CompletedAsync(host, "hello");
        Assert.Equal("Welcome, Name7!", Assert.Single(host.Email.Messages).Body);
        Assert.True(await audience.RemoveFieldAsync("firstName"));
    }

    [Fact]
    public async Task Stopping_a_sending_withdraws_its_messages_held_for_quiet_hours_and_counts_them_cancelled()
    {
        await using var host = await SendPolicyScenarioTests.StartAtNightInMadridAsync();
        var outbox = await HoldAllNightAsync(host);
        Assert.Equal(40, (await host.Sendings.GetAsync("night"))!.Progress.Pending);

        var stopped = await host.Sendings.StopAsync("night");

        Assert.Equal(SendingState.Stopped, stopped.State);
        Assert.Equal((40, 0, 0), (stopped.Progress.Cancelled, stopped.Progress.Pending, stopped.Progress.Sent));
        Assert.Null(await outbox.GetNextDueAsync());

        // After the quiet hours a probe journey's push goes out, and none of the sending's.
        host.Advance(TimeSpan.FromHours(9));
        await host.Manager.CreateAsync(JourneyBuilder.Create("probe", "Probe").EnterOnEvent("go").Steps(p => p.Send(Channel.Push, "tips", id: "push")).Build());
        await host.Manager.ActivateAsync("probe");
        await host.Manager.PublishAsync([new CustomerEvent("c1@example.com", "go", [], host.Time.GetUtcNow())]);
        EngineHost.Eventually(() => host.Count("probe", "push", StatisticCounter.Sent) == 1, "the probe's push");
        Assert.Equal("probe", Assert.Single(host.Push.Messages).JourneyId);
    }

    [Fact]
    public async Task A_customer_deleted_while_their_message_is_held_gets_nothing_and_the_sending_completes_without_them()
    {
        await using var host = await SendPolicyScenarioTests.StartAtNightInMadridAsync();
        await HoldAllNightAsync(host);

        Assert.True(await host.Services.GetRequiredService<Journeys.Audiences.IAudienceManager>().DeleteCustomerAsync("c1@example.com"));
        var afterDelete = (await host.Sendings.GetAsync("night"))!.Progress;
        Assert.Equal((1L, 39L), (afterDelete.Cancelled, afterDelete.Pending));

        // To the end of the test's one-day lease on the held messages (06:00 UTC), the next day's 08:00 local: the
        // dispatcher claims and sends them at this last step of the clock, which does not move while they are sent.
        host.Advance(TimeSpan.FromHours(33));
        var done = await CompletedAsync(host, "night");
        Assert.Equal((39L, 1L, 0L), (done.Progress.Sent, done.Progress.Cancelled, done.Progress.Pending));
        Assert.Equal(39, host.Push.Messages.Count);
        Assert.DoesNotContain(host.Push.Messages, m => m.CustomerId == "c1@example.com");
    }

    [Fact]
    public async Task Stopping_a_sending_cancels_the_enrollments_not_yet_processed_and_nothing_more_is_sent()
    {
        // The engine is not running while the sending starts, so every enrollment is still waiting to be processed.
        var time = new FakeTimeProvider(Start);
        var push = new RecordingChannelSender();
        var services = new ServiceCollection();
        services.AddSingleton<TimeProvider>(time);
        services.AddJourneys(j => j.AddSender(Channel.Push, push).AddCampaigns(new Campaign("tips", Channel.Push, "Tips")).Configure(o => o.ShardCount = 1));
        await using var provider = services.BuildServiceProvider();
        await provider.GetRequiredService<ICustomerStore>().UpsertAsync([.. Enumerable.Range(0, 10).Select(i => new Customer($"s{i}"))]);
        var sendings = provider.GetRequiredService<ISendingManager>();

        var started = await sendings.SendToAllAsync(Tips("halt"));
        Assert.Equal(SendingState.Running, started.State);
        Assert.Equal(10, started.Progress.Pending);

        var stopped = await sendings.StopAsync("halt");
        Assert.Equal(SendingState.Stopped, stopped.State);
        Assert.Equal(10, stopped.Progress.Cancelled);
        Assert.Equal(0, stopped.Progress.Pending);

        // Sending again under the stopped id does not restart it.
        Assert.Equal(SendingState.Stopped, (await sendings.SendToAllAsync(Tips("halt"))).State);

        await using (await EngineHost.RunHostedAsync(provider))
        {
            var manager = provider.GetRequiredService<IJourneyManager>();
            await manager.CreateAsync(JourneyBuilder.Create("probe", "Probe").EnterOnEvent("go").Steps(p => p.Send(Channel.Push, "tips", id: "push")).Build());
            await manager.ActivateAsync("probe");
            await manager.PublishAsync([new CustomerEvent("s1", "go", [], time.GetUtcNow())]);

            // Once the probe's message is out, the engine has had its chance at the cancelled enrollments too.
            EngineHost.Eventually(() => push.Messages.Count >= 1, "the probe message");
            Assert.Single(push.Messages);
        }
    }
}
