using Journeys.Building;
using Journeys.Messaging;
using Journeys.Runtime;
using Journeys.Storage;
using Journeys.Storage.InMemory;
using Journeys.Tests.Building;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace Journeys.Tests.Runtime;

/// <summary>
/// A journey whose audience is enrolled at activation (all customers, a list, a filter), activated before its entry
/// window opens: nobody enters until the start, then the audience enters once (re-entry after exit is allowed in these
/// journeys, so a second intake would enroll everyone again); a stop, a delete or a new version before the start drops
/// the intake; a host that was down at the start runs it when it starts.
/// </summary>
public sealed class EntryWindowIntakeTests : IAsyncLifetime
{
    private static readonly DateTimeOffset T0 = new(2026, 5, 1, 9, 0, 0, TimeSpan.Zero);
    private static readonly DateTimeOffset Opens = T0.AddDays(3);
    private EngineHost _host = null!;

    public async Task InitializeAsync() => _host = await EngineHost.StartAsync(T0);

    public async Task DisposeAsync() => await _host.DisposeAsync();

    private static JourneyDefinition Everyone(string id = "everyone", DateTimeOffset? end = null) => JourneyBuilder.Create(id, "Everyone")
        .EnterAllCustomers()
        .ReEnterAfterExit()
        .EntryWindow(Opens, end)
        .Steps(p => p.Send(Channel.Push, "tips", id: "tips"))
        .Build();

    private int PushesOf(string journeyId) => _host.Push.Messages.Count(m => m.JourneyId == journeyId);

    [Fact]
    public async Task Activated_before_its_window_a_journey_enrolls_nobody_until_it_opens_then_its_audience_once()
    {
        await _host.Manager.CreateAsync(Everyone());

        var (active, enrolled) = await _host.Manager.ActivateAsync("everyone");
        var (again, enrolledAgain) = await _host.Manager.ActivateAsync("everyone");

        Assert.Equal((JourneyStatus.Active, 0, 0), (active.Journey.Status, enrolled, enrolledAgain));
        Assert.Equal(active.ETag, again.ETag);
        _host.Advance(Opens - T0 - TimeSpan.FromMinutes(1));
        Assert.Equal(0, _host.Count("everyone", null, StatisticCounter.Entered));

        _host.Advance(TimeSpan.FromMinutes(1));
        EngineHost.Eventually(() => _host.Push.Messages.Count == 40, "the 40 customers' pushes when the window opened");
        EngineHost.Eventually(() => _host.Count("everyone", null, StatisticCounter.Completed) == 40, "the 40 enrollments completed");

        // Everyone finished and may enter again: nothing enrolls them a second time.
        _host.Advance(TimeSpan.FromDays(2));
        await _host.Manager.ActivateAsync("everyone");
        Assert.Equal(40, await EnrollmentsAsync("everyone"));
        Assert.Equal(40, _host.Push.Messages.Count);
    }

    [Fact]
    public async Task An_intake_another_host_claimed_first_enrolls_nobody_again()
    {
        await _host.Manager.CreateAsync(Everyone());
        await _host.Manager.ActivateAsync("everyone");

        // What a second host read before the first claimed the intake at the start.
        var stale = Assert.Single(await _host.Services.GetRequiredService<IJourneyStore>().ListIntakesAsync().ToListAsync());
        var record = (await _host.Manager.GetAsync("everyone"))!;
        Assert.Equal(Opens, stale.OpensAt);
        _host.Advance(Opens - T0);
        EngineHost.Eventually(() => _host.Count("everyone", null, StatisticCounter.Completed) == 40, "the 40 enrollments completed");

        // The intake is completed after its last chunk is enrolled: the enrollments can all complete a moment before.
        var journeys = _host.Services.GetRequiredService<IJourneyStore>();
        EngineHost.Eventually(() => journeys.ListIntakesAsync().CountAsync().AsTask().GetAwaiter().GetResult() == 0, "the intake completed");

        Assert.Null(await _host.Services.GetRequiredService<JourneyManager>().RunIntakeAsync(stale, record, null, CancellationToken.None));

        // The store's enrollments, not the counters: an enrollment is created by the intake, counted later by the engine.
        Assert.Equal(40, await EnrollmentsAsync("everyone"));
    }

    private async Task<int> EnrollmentsAsync(string journeyId) =>
        await _host.Services.GetRequiredService<IEnrollmentStore>().ListByJourneyAsync(journeyId, null).CountAsync();

    [Theory]
    [InlineData("stop")]
    [InlineData("delete")]
    [InlineData("update")]
    public async Task A_stop_a_delete_or_a_new_version_before_the_window_opens_drops_the_intake(string change)
    {
        await _host.Manager.CreateAsync(Everyone());
        await _host.Manager.ActivateAsync("everyone");

        // Activated with the same start: its 40 pushes show that the intakes ran past the start.
        await _host.Manager.CreateAsync(Everyone("control"));
        await _host.Manager.ActivateAsync("control");
        switch (change)
        {
            case "stop":
                await _host.Manager.StopAsync("everyone");
                break;
            case "delete":
                await _host.Manager.DeleteAsync("everyone");
                break;
            default:
                await _host.Manager.UpdateAsync(Everyone() with { Name = "Everyone, second version" }, null);
                break;
        }

        // Removed with the change, not left pending for every host's intake runner to skip forever.
        Assert.Equal(["control"], (await _host.Services.GetRequiredService<IJourneyStore>().ListIntakesAsync().ToListAsync()).Select(i => i.JourneyId));

        _host.Advance(Opens - T0);
        EngineHost.Eventually(() => PushesOf("control") == 40, "the control journey's 40 pushes");
        EngineHost.Eventually(() => _host.Count("control", null, StatisticCounter.Completed) == 40, "the control journey's enrollments completed");
        Assert.Equal(0, PushesOf("everyone"));
        Assert.Equal(0, await EnrollmentsAsync("everyone"));
    }

    [Fact]
    public async Task A_new_version_activated_before_the_window_enrolls_the_audience_into_that_version_once()
    {
        await _host.Manager.CreateAsync(Everyone());
        await _host.Manager.ActivateAsync("everyone");
        await _host.Manager.UpdateAsync(Everyone() with { Name = "Everyone, second version" }, null);

        var (second, enrolled) = await _host.Manager.ActivateAsync("everyone");

        Assert.Equal((2, JourneyStatus.Active, 0), (second.Journey.Version, second.Journey.Status, enrolled));
        _host.Advance(Opens - T0);
        EngineHost.Eventually(() => _host.Count("everyone", null, StatisticCounter.Completed) == 40, "the 40 enrollments completed");
        Assert.Equal(40, (await _host.Manager.GetStatisticsAsync("everyone", 2)).Get(StatisticCounter.Entered));
        Assert.Equal(0, (await _host.Manager.GetStatisticsAsync("everyone", 1)).Get(StatisticCounter.Entered));
    }

    [Fact]
    public async Task A_filter_journey_takes_customers_who_come_to_match_only_inside_its_window()
    {
        await _host.Manager.CreateAsync(JourneyBuilder.Create("vips", "VIPs")
            .EnterWhen(Condition.Eq("vip", true))
            .EntryWindow(Opens, null)
            .Steps(p => p.Send(Channel.Push, "vip-tips", id: "tips"))
            .Build());
        await _host.Manager.ActivateAsync("vips");

        var (_, before) = await _host.Manager.PutCustomersAsync([VipCustomer("early-vip")]);
        Assert.Equal(0, before);

        _host.Advance(Opens - T0);
        EngineHost.Eventually(() => _host.Push.Messages.Count == 11, "the 10 VIPs and the early VIP pushed when the window opened");
        var (_, after) = await _host.Manager.PutCustomersAsync([VipCustomer("late-vip")]);

        Assert.Equal(1, after);
        EngineHost.Eventually(() => _host.Push.Messages.Count == 12, "the late VIP's push");
        Assert.Contains(_host.Push.Messages, m => m.CustomerId == "early-vip");
    }

    private static Customer VipCustomer(string id) => new(id, new Dictionary<string, FieldValue> { ["firstName"] = "Vip", ["vip"] = true });

    [Fact]
    public async Task A_host_that_was_down_when_the_window_opened_enrolls_the_audience_when_it_starts()
    {
        var time = new FakeTimeProvider(T0);
        var firstPush = new RecordingChannelSender();
        await using var first = Host(time, firstPush, null);
        await first.GetRequiredService<ICustomerStore>().SaveSchemaAsync(SampleJourneys.Schema);
        await first.GetRequiredService<ICustomerStore>().UpsertAsync([VipCustomer("a"), VipCustomer("b"), VipCustomer("c")]);
        var running = await EngineHost.RunHostedAsync(first);
        var manager = first.GetRequiredService<IJourneyManager>();
        await manager.CreateAsync(Everyone());
        await manager.ActivateAsync("everyone");
        await running.DisposeAsync();

        // Down at the start: nothing ran it.
        time.Advance(Opens - T0 + TimeSpan.FromHours(2));
        Assert.Equal(0, (await manager.GetStatisticsAsync("everyone")).Get(StatisticCounter.Entered));

        var secondPush = new RecordingChannelSender();
        await using var second = Host(time, secondPush, first);
        await using var restarted = await EngineHost.RunHostedAsync(second);

        EngineHost.Eventually(() => secondPush.Messages.Count == 3, "the three customers' pushes after the restart");
        Assert.Empty(firstPush.Messages);
        Assert.Equal(3, (await second.GetRequiredService<IJourneyManager>().GetStatisticsAsync("everyone")).Get(StatisticCounter.Entered));
    }

    /// <summary>A host on <paramref name="time"/>; on the in-memory stores of <paramref name="storesOf"/> when given (a restart).</summary>
    private static ServiceProvider Host(FakeTimeProvider time, RecordingChannelSender push, ServiceProvider? storesOf)
    {
        var services = new ServiceCollection();
        services.AddSingleton<TimeProvider>(time);
        if (storesOf is not null)
        {
            services.AddSingleton(storesOf.GetRequiredService<IJourneyStore>());
            services.AddSingleton(storesOf.GetRequiredService<InMemoryCustomerStore>());
            services.AddSingleton(storesOf.GetRequiredService<InMemoryEngineStore>());
        }

        services.AddJourneys(j => j
            .AddSender(Channel.Push, push)
            .AddCampaigns(new Campaign("tips", Channel.Push, "Tips for you"))
            .Configure(o =>
            {
                o.ShardCount = 2;
                o.DefaultChannelPolicy.Timeout = TimeSpan.FromHours(24);
            }));
        return services.BuildServiceProvider();
    }
}
