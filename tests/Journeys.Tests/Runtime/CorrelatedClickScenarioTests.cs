using Journeys.Building;
using Journeys.Messaging;
using Journeys.Runtime;
using Journeys.Statistics;
using Journeys.Storage;
using Microsoft.Extensions.DependencyInjection;

namespace Journeys.Tests.Runtime;

/// <summary>
/// A click on a correlated message that arrives before the wait for it starts is matched when the wait starts, even
/// when another event woke the enrollment in between and its run moved the enrollment's event cursor past the click.
/// </summary>
public sealed class CorrelatedClickScenarioTests : IAsyncLifetime
{
    private static readonly DateTimeOffset T0 = new(2026, 5, 4, 9, 0, 0, TimeSpan.Zero);
    private const string Customer = "c0@example.com";
    private EngineHost _host = null!;

    public async Task InitializeAsync() => _host = await EngineHost.StartAsync(T0);

    public async Task DisposeAsync() => await _host.DisposeAsync();

    [Fact]
    public async Task A_click_during_a_delay_is_matched_by_the_wait_after_it_when_a_goal_event_that_does_not_convert_woke_the_enrollment()
    {
        await ActivateAsync(PushDelayCorrelatedWait());

        await _host.Manager.PublishAsync([new CustomerEvent(Customer, "go", [], T0)]);
        EngineHost.Eventually(() => _host.Push.Messages.Count == 1, "the push");
        EngineHost.Eventually(() => _host.Count("j", "delay", StatisticCounter.Entered) == 1, "the delay");
        var cursor = (await EnrollmentAsync()).EventCursor;

        await _host.Manager.PublishAsync([new CustomerEvent(Customer, FeedbackEvents.Clicked, [], T0.AddMinutes(10), _host.Push.Messages.Single().MessageId)]);
        await _host.Manager.PublishAsync([new CustomerEvent(Customer, "purchase", System.Collections.Immutable.ImmutableDictionary<string, FieldValue>.Empty.Add("amount", 5), T0.AddMinutes(20))]);
        await EventuallyAsync(async () => (await EnrollmentAsync()).EventCursor > cursor, "the purchase's run, which moves the cursor past the click");
        var woken = await EnrollmentAsync();
        Assert.Equal((EnrollmentStatus.Waiting, "delay"), (woken.Status, woken.CurrentNodeId));

        _host.Advance(TimeSpan.FromHours(1));
        await AssertClickedAsync();
    }

    [Fact]
    public async Task A_click_during_an_earlier_wait_is_matched_by_a_later_correlated_wait_when_the_earlier_wait_ended_on_another_event()
    {
        await ActivateAsync(JourneyBuilder.Create("j", "J").EnterOnEvent("go")
            .Steps(p => p.Send(Channel.Push, "tips", id: "push")
                .WaitForEvent("app_open", TimeSpan.FromHours(2), w => w
                    .OnEvent(o => o.Delay(TimeSpan.FromHours(1), id: "delay")
                        .WaitForEvent(FeedbackEvents.Clicked, TimeSpan.FromDays(1), c => c
                            .CorrelatedTo("push")
                            .OnEvent(x => x.Exit("clicked", id: "clicked"))
                            .OnTimeout(x => x.Exit("ignored", id: "ignored")), id: "wait"))
                    .OnTimeout(t => t.Exit("closed", id: "closed")), id: "open"))
            .Build());

        await _host.Manager.PublishAsync([new CustomerEvent(Customer, "go", [], T0)]);
        EngineHost.Eventually(() => _host.Push.Messages.Count == 1, "the push");
        EngineHost.Eventually(() => _host.Count("j", "open", StatisticCounter.Entered) == 1, "the wait for the app to open");

        await _host.Manager.PublishAsync([new CustomerEvent(Customer, FeedbackEvents.Clicked, [], T0.AddMinutes(10), _host.Push.Messages.Single().MessageId)]);
        await _host.Manager.PublishAsync([new CustomerEvent(Customer, "app_open", [], T0.AddMinutes(20))]);
        EngineHost.Eventually(() => _host.Count("j", "delay", StatisticCounter.Entered) == 1, "the delay after the app opened");

        _host.Advance(TimeSpan.FromHours(1));
        await AssertClickedAsync();
    }

    [Fact]
    public async Task A_correlated_wait_does_not_take_a_click_on_a_message_of_another_enrollment_of_the_customer()
    {
        await ActivateAsync(PushDelayCorrelatedWait());

        await _host.Manager.PublishAsync([new CustomerEvent(Customer, "go", [], T0)]);
        EngineHost.Eventually(() => _host.Count("j", "delay", StatisticCounter.Entered) == 1, "the delay");
        var cursor = (await EnrollmentAsync()).EventCursor;

        // A click on the same node's message of some other enrollment: not this enrollment's message.
        var other = StepExecutor.MessageId(Guid.NewGuid(), "push", 1);
        await _host.Manager.PublishAsync([new CustomerEvent(Customer, FeedbackEvents.Clicked, [], T0.AddMinutes(10), other)]);
        await _host.Manager.PublishAsync([new CustomerEvent(Customer, "purchase", System.Collections.Immutable.ImmutableDictionary<string, FieldValue>.Empty.Add("amount", 5), T0.AddMinutes(20))]);
        await EventuallyAsync(async () => (await EnrollmentAsync()).EventCursor > cursor, "the purchase's run");

        _host.Advance(TimeSpan.FromHours(1));
        EngineHost.Eventually(() => _host.Count("j", "wait", StatisticCounter.Entered) == 1, "the correlated wait");
        _host.Advance(TimeSpan.FromDays(2));
        EngineHost.Eventually(() => _host.Count("j", "ignored", StatisticCounter.Exited) == 1, "the timeout");
        Assert.Equal(0, _host.Count("j", "clicked", StatisticCounter.Exited));
    }

    [Fact]
    public async Task On_a_loop_a_later_round_s_wait_does_not_take_the_click_an_earlier_round_took()
    {
        // push -> wait for a click on it -> (clicked) an hour's pause -> push again. The second round's wait must wait for
        // a click on the second push: the first click, taken by the first round, shares the node's message-id prefix.
        await ActivateAsync(JourneyBuilder.Create("j", "J").EnterOnEvent("go")
            .Steps(p => p.Send(Channel.Push, "tips", id: "push")
                .WaitForEvent(FeedbackEvents.Clicked, TimeSpan.FromDays(1), w => w
                    .CorrelatedTo("push")
                    .OnEvent(c => c.Delay(TimeSpan.FromHours(1), id: "pause").GoTo("push"))
                    .OnTimeout(t => t.Exit("ignored", id: "ignored")), id: "wait"))
            .Build());

        await _host.Manager.PublishAsync([new CustomerEvent(Customer, "go", [], T0)]);
        EngineHost.Eventually(() => _host.Push.Messages.Count == 1, "the first push");
        EngineHost.Eventually(() => _host.Count("j", "wait", StatisticCounter.Entered) == 1, "the first wait");
        await _host.Manager.PublishAsync([new CustomerEvent(Customer, FeedbackEvents.Clicked, [], T0.AddMinutes(10), _host.Push.Messages.Single().MessageId)]);
        EngineHost.Eventually(() => _host.Count("j", "pause", StatisticCounter.Entered) == 1, "the pause after the first click");

        _host.Advance(TimeSpan.FromHours(1));
        EngineHost.Eventually(() => _host.Push.Messages.Count == 2, "the second push");
        EngineHost.Eventually(() => _host.Count("j", "wait", StatisticCounter.Entered) == 2, "the second wait");
        _host.Advance(TimeSpan.FromDays(2));
        EngineHost.Eventually(() => _host.Count("j", "ignored", StatisticCounter.Exited) == 1, "the second wait's timeout");
        Assert.Equal(1, _host.Count("j", "pause", StatisticCounter.Entered));
        Assert.Equal(2, _host.Push.Messages.Count);
    }

    [Fact]
    public async Task On_a_loop_a_late_click_on_an_earlier_round_s_push_does_not_end_the_next_round_s_wait()
    {
        // push -> wait an hour for a click on it -> (timed out) a day's pause -> push again. The first push is clicked
        // after its wait timed out, during the pause (no wake-up there): the run that ends the pause passes over that
        // click, then sends the second push and starts the second round's wait, which must wait for a click on the
        // second push, not take the late click on the first.
        await ActivateAsync(JourneyBuilder.Create("j", "J").EnterOnEvent("go")
            .Steps(p => p.Send(Channel.Push, "tips", id: "push")
                .WaitForEvent(FeedbackEvents.Clicked, TimeSpan.FromHours(1), w => w
                    .CorrelatedTo("push")
                    .OnEvent(c => c.Exit("clicked", id: "clicked"))
                    .OnTimeout(t => t.Delay(TimeSpan.FromDays(1), id: "pause").GoTo("push")), id: "wait"))
            .Build());

        await _host.Manager.PublishAsync([new CustomerEvent(Customer, "go", [], T0)]);
        EngineHost.Eventually(() => _host.Push.Messages.Count == 1, "the first push");
        EngineHost.Eventually(() => _host.Count("j", "wait", StatisticCounter.Entered) == 1, "the first wait");
        _host.Advance(TimeSpan.FromHours(1));
        EngineHost.Eventually(() => _host.Count("j", "pause", StatisticCounter.Entered) == 1, "the pause after the first wait timed out");
        _host.Advance(TimeSpan.FromHours(2));
        await _host.Manager.PublishAsync([new CustomerEvent(Customer, FeedbackEvents.Clicked, [], _host.Time.GetUtcNow(), _host.Push.Messages.Single().MessageId)]);

        // To the pause's end (T0 + 1 h + 1 day) and no further: the second round's wait times out an hour later, and a
        // clock past that would let the engine take that timeout (back to the pause) before the state is read.
        _host.Advance(TimeSpan.FromHours(22));
        EngineHost.Eventually(() => _host.Count("j", "wait", StatisticCounter.Entered) == 2, "the second round's wait");
        EngineHost.Eventually(() => _host.Push.Messages.Count == 2, "the second push (sent by the dispatcher after the commit)");
        Assert.Equal(0, _host.Count("j", "clicked", StatisticCounter.Exited));
        var waiting = await EnrollmentAsync();
        Assert.Equal((EnrollmentStatus.Waiting, "wait"), (waiting.Status, waiting.CurrentNodeId));
    }

    // push -> an hour's delay -> a wait for a click on the push; a purchase over 100 is the goal.
    private static JourneyDefinition PushDelayCorrelatedWait() => JourneyBuilder.Create("j", "J").EnterOnEvent("go").ConvertOn("purchase", Condition.Gt("amount", 100))
        .Steps(p => p.Send(Channel.Push, "tips", id: "push")
            .Delay(TimeSpan.FromHours(1), id: "delay")
            .WaitForEvent(FeedbackEvents.Clicked, TimeSpan.FromDays(1), w => w
                .CorrelatedTo("push")
                .OnEvent(c => c.Exit("clicked", id: "clicked"))
                .OnTimeout(t => t.Exit("ignored", id: "ignored")), id: "wait"))
        .Build();

    private async Task ActivateAsync(JourneyDefinition journey)
    {
        await _host.Manager.CreateAsync(journey);
        await _host.Manager.ActivateAsync(journey.Id);
    }

    private async Task AssertClickedAsync()
    {
        // Then past the wait's timeout: a lost click shows as the timeout path, not as a wait that never ends.
        EngineHost.Eventually(() => _host.Count("j", "wait", StatisticCounter.Entered) == 1, "the correlated wait");
        _host.Advance(TimeSpan.FromDays(2));
        EngineHost.Eventually(() => _host.Count("j", "clicked", StatisticCounter.Exited) + _host.Count("j", "ignored", StatisticCounter.Exited) == 1, "the wait to end");
        Assert.Equal(1, _host.Count("j", "clicked", StatisticCounter.Exited));
        Assert.Equal(0, _host.Count("j", "ignored", StatisticCounter.Exited));
        var ended = await EnrollmentAsync();
        Assert.Equal((EnrollmentStatus.Exited, "clicked"), (ended.Status, ended.CurrentNodeId));
    }

    private async Task<Enrollment> EnrollmentAsync() =>
        Assert.Single(await _host.Services.GetRequiredService<IEnrollmentStore>().GetByCustomerAsync(Customer));

    private static async Task EventuallyAsync(Func<Task<bool>> condition, string what)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(20);
        while (!await condition())
        {
            Assert.True(DateTime.UtcNow < deadline, $"Timed out waiting for: {what}");
            await Task.Delay(10);
        }
    }
}
