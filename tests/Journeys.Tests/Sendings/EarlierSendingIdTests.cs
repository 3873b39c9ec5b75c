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

/// <summary>
/// Sending ids had up to 200 characters until 2026-12-01, when <see cref="SendingJourneys.MaxSendingIdLength"/> became 120.
/// A sending made before with a longer id (its journey id up to 208 characters) is in users' stores: it is still read,
/// listed, resumed by sending again, run by the engine and stopped; only a new sending is held to 120.
/// </summary>
public sealed class EarlierSendingIdTests
{
    private static readonly DateTimeOffset Start = new(2026, 5, 4, 10, 0, 0, TimeSpan.Zero);

    /// <summary>A sending id of the old maximum, with characters outside the Basic Multilingual Plane (2 units each) too.</summary>
    private static readonly string LongId = "earlier-" + string.Concat(Enumerable.Repeat("😀", 10)) + new string('x', 172);

    private static ServiceProvider Provider(RecordingChannelSender push)
    {
        var services = new ServiceCollection();
        services.AddSingleton<TimeProvider>(new FakeTimeProvider(Start));
        services.AddJourneys(j => j.AddSender(Channel.Push, push).AddCampaigns(new Campaign("tips", Channel.Push, "Tips")).Configure(o => o.ShardCount = 1));
        return services.BuildServiceProvider();
    }

    /// <summary>The sending's journey as a version before the limit saved it, its enrolling pass not yet run (or cut short before its first batch).</summary>
    private static async Task StoreEarlierSendingAsync(IServiceProvider provider, string sendingId, JourneyEntry entry)
    {
        await provider.GetRequiredService<ICustomerStore>().UpsertAsync([.. Enumerable.Range(0, 10).Select(i => new Customer($"s{i}"))]);
        await provider.GetRequiredService<IJourneyStore>().SaveAsync(
            new JourneyDefinition(
                SendingJourneys.JourneyIdOf(sendingId),
                "Earlier sending",
                1,
                JourneyStatus.Active,
                entry,
                EntryRules.Default,
                ExitRules.None,
                [new SendNode(SendingJourneys.SendNodeId, Channel.Push, new CampaignReference("tips", []), null)],
                SendingJourneys.SendNodeId),
            null);
    }

    [Fact]
    public void The_earlier_id_has_the_old_maximum_and_makes_a_journey_id_over_todays()
    {
        Assert.Equal(200, LongId.Length);
        Assert.Equal(208, SendingJourneys.JourneyIdOf(LongId).Length);
        Assert.True(SendingJourneys.JourneyIdOf(LongId).Length > JourneyDefinition.MaxIdLength);
    }

    [Fact]
    public void Validation_accepts_a_sendings_journey_id_up_to_208_and_no_other_journey_id_over_128()
    {
        static bool InvalidId(string journeyId) => JourneyValidator.Validate(
                Building.SampleJourneys.AbandonedCart() with { Id = journeyId }, Building.SampleJourneys.Schema, Building.SampleJourneys.Campaigns)
            .Errors.Any(d => d.Code == Journeys.Validation.DiagnosticCodes.InvalidJourneyId);

        Assert.False(InvalidId(SendingJourneys.JourneyIdOf(LongId)));
        Assert.True(InvalidId(SendingJourneys.JourneyIdOf(LongId + "x")));
        Assert.True(InvalidId("x" + SendingJourneys.JourneyIdOf(LongId)[..128]));
    }

    [Fact]
    public async Task A_sending_with_a_200_character_id_is_read_resumed_and_sent_by_the_engine_once_the_host_runs()
    {
        var push = new RecordingChannelSender();
        await using var provider = Provider(push);
        await StoreEarlierSendingAsync(provider, LongId, new CustomerListEntry([]));
        var sendings = provider.GetRequiredService<ISendingManager>();

        var stored = await sendings.GetAsync(LongId);
        Assert.Equal((LongId, SendingState.Enrolling), (stored!.SendingId, stored.State));
        Assert.Equal(LongId, Assert.Single(await sendings.ListAsync().ToListAsync()).SendingId);

        // Sending again under its id resumes the pass: the enrollments are written (the engine does not run yet, as in a
        // host that has just started), and the engine then compiles the sending's journey and sends.
        var resumed = await sendings.SendToListAsync(new SendingRequest("tips") { SendingId = LongId }, Enumerable.Range(0, 11).Select(i => $"s{i}").ToAsyncEnumerable());
        Assert.Equal((SendingState.Running, 11L, 10L, 1L, 10L), (resumed.State, resumed.Progress.Targeted, resumed.Progress.Enrolled, resumed.Progress.Unknown, resumed.Progress.Pending));

        await using (await EngineHost.RunHostedAsync(provider))
        {
            EngineHost.Eventually(() => sendings.GetAsync(LongId).AsTask().GetAwaiter().GetResult()!.State == SendingState.Completed, "the earlier sending completed");
        }

        Assert.Equal(10, push.Messages.Count);
        Assert.All(push.Messages, m => Assert.Equal(SendingJourneys.JourneyIdOf(LongId), m.JourneyId));
        Assert.Equal(10, (await sendings.GetAsync(LongId))!.Progress.Sent);
    }

    [Fact]
    public async Task A_sending_with_a_200_character_id_is_stopped_and_sending_again_does_not_restart_it()
    {
        var push = new RecordingChannelSender();
        await using var provider = Provider(push);
        await StoreEarlierSendingAsync(provider, LongId, new AllCustomersEntry());
        var sendings = provider.GetRequiredService<ISendingManager>();
        var request = new SendingRequest("tips") { SendingId = LongId };

        Assert.Equal(10, (await sendings.SendToAllAsync(request)).Progress.Pending);
        var stopped = await sendings.StopAsync(LongId);
        Assert.Equal((SendingState.Stopped, 10L, 0L), (stopped.State, stopped.Progress.Cancelled, stopped.Progress.Pending));
        Assert.Equal(SendingState.Stopped, (await sendings.SendToAllAsync(request)).State);
        Assert.Equal(SendingState.Stopped, (await sendings.GetAsync(LongId))!.State);
    }

    [Fact]
    public async Task A_new_sending_is_still_held_to_120_characters_and_an_id_over_200_never_names_one()
    {
        var push = new RecordingChannelSender();
        await using var provider = Provider(push);
        await provider.GetRequiredService<ICustomerStore>().UpsertAsync([new Customer("s0")]);
        var sendings = provider.GetRequiredService<ISendingManager>();

        foreach (var id in new[] { new string('n', SendingJourneys.MaxSendingIdLength + 1), LongId, LongId + "x" })
        {
            var refused = await Assert.ThrowsAsync<ArgumentException>(async () => await sendings.SendToAllAsync(new SendingRequest("tips") { SendingId = id }));
            Assert.Contains("must be 1 to 120 characters", refused.Message, StringComparison.Ordinal);
            var csv = await Assert.ThrowsAsync<ArgumentException>(async () =>
                await sendings.SendToCsvAsync(new SendingRequest("tips") { SendingId = id }, new MemoryStream("customerId\nfresh\n"u8.ToArray())));
            Assert.Contains("must be 1 to 120 characters", csv.Message, StringComparison.Ordinal);
            Assert.Null(await sendings.GetAsync(id));
        }

        Assert.Null(await provider.GetRequiredService<ICustomerStore>().GetAsync("fresh"));
        Assert.Empty(await sendings.ListAsync().ToListAsync());
    }
}
