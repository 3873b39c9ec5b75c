using Journeys.Audiences;
using Journeys.Building;
using Journeys.Conditions;
using Journeys.Messaging;
using Journeys.Runtime;
using Journeys.Storage;
using Microsoft.Extensions.DependencyInjection;

namespace Journeys.Tests.Runtime;

/// <summary>Send-time policies and the journey lifecycle, found in review (wt-pol25).</summary>
public sealed class PolicyLifecycleReviewTests
{
    [Fact]
    public async Task A_message_held_for_quiet_hours_whose_journey_version_no_longer_compiles_is_still_sent_and_does_not_block_others()
    {
        // 23:00 in Madrid: both pushes are held until 08:00 local, "other"'s to c1 (in Madrid), "vip-night"'s to a customer
        // with no zone (the journey's, Madrid, applies). "vip-night" reads the field "vip"; it is stopped with drain (its
        // held push must still go), then the field is removed (a stopped journey does not block that), so its version no
        // longer compiles.
        await using var host = await SendPolicyScenarioTests.StartAtNightInMadridAsync();
        await host.Services.GetRequiredService<ICustomerStore>().UpsertAsync([new Customer("nozone@example.com", null, null)]);
        var vipNight = JourneyBuilder.Create("vip-night", "vip-night").WithTimeZone("Europe/Madrid").EnterOnEvent("go")
            .Steps(p => p.Filter(f => f
                .When(Condition.Eq("vip", true), v => v.Send(Channel.Push, "vip-tips", id: "vip-push"))
                .Otherwise(o => o.Send(Channel.Push, "tips", id: "push")), id: "is-vip"))
            .Build();
        await host.Manager.CreateAsync(vipNight);
        await host.Manager.ActivateAsync("vip-night");
        await host.Manager.CreateAsync(JourneyBuilder.Create("other", "other").EnterOnEvent("other")
            .Steps(p => p.Send(Channel.Push, "tips", id: "push"))
            .Build());
        await host.Manager.ActivateAsync("other");
        await host.Manager.PublishAsync([
            new CustomerEvent("nozone@example.com", "go", [], host.Time.GetUtcNow()),
            new CustomerEvent("c1@example.com", "other", [], host.Time.GetUtcNow())]);
        EngineHost.Eventually(() => host.Count("vip-night", null, StatisticCounter.Completed) == 1 && host.Count("other", null, StatisticCounter.Completed) == 1, "both enrollments completed");
        var outbox = host.Services.GetRequiredService<IOutboxStore>();
        var eight = new DateTimeOffset(2026, 5, 5, 6, 0, 0, TimeSpan.Zero);
        EngineHost.Eventually(() => outbox.GetNextDueAsync().AsTask().GetAwaiter().GetResult() == eight, "the pushes held until 08:00 local");

        await host.Manager.StopAsync("vip-night", drain: true);
        Assert.True(await host.Services.GetRequiredService<IAudienceManager>().RemoveFieldAsync("vip"));

        host.Advance(TimeSpan.FromHours(9)); // 08:00 local
        EngineHost.Eventually(() => host.Push.Messages.Count == 2, () => $"both held pushes sent (sent: {host.Push.Messages.Count})");
        EngineHost.Eventually(() => host.Count("vip-night", "push", StatisticCounter.Sent) == 1 && host.Count("other", "push", StatisticCounter.Sent) == 1, "both counted");
    }

    private static readonly DateTimeOffset Morning = new(2026, 5, 4, 9, 0, 0, TimeSpan.Zero);

    [Fact]
    public async Task Deleting_with_a_null_journey_id_is_refused_and_cancels_no_enrollment()
    {
        // The store's cancel reads a null journey id as "every journey".
        await using var host = await EngineHost.StartAsync(Morning);
        await host.Manager.CreateAsync(JourneyBuilder.Create("j", "J").EnterOnEvent("go")
            .Steps(p => p.Delay(TimeSpan.FromDays(1), id: "day").Send(Channel.Push, "tips", id: "push"))
            .Build());
        await host.Manager.ActivateAsync("j");
        await host.Manager.PublishAsync([new CustomerEvent("c1@example.com", "go", [], Morning)]);
        EngineHost.Eventually(() => host.Count("j", "day", StatisticCounter.Entered) == 1, "waiting at the delay");

        await Assert.ThrowsAsync<ArgumentNullException>(() => host.Manager.DeleteAsync(null!).AsTask());

        Assert.Equal(0, host.Count("j", null, StatisticCounter.Cancelled));
        host.Advance(TimeSpan.FromDays(1));
        EngineHost.Eventually(() => host.Count("j", "push", StatisticCounter.Sent) == 1, "the enrollment went on");
    }

    [Fact]
    public async Task A_webhook_call_whose_journey_version_no_longer_compiles_is_still_made()
    {
        // The first call (journey "slow") holds its dispatcher loop; meanwhile c1 enters "vip-hook", which reads the field
        // "vip" and queues its call behind it on the same loop (one customer, one shard). "vip-hook" is stopped with drain
        // (its call must still go) and "vip" removed, so its version no longer compiles when the call is dispatched.
        var gate = new WebhookGate();
        await using var host = await EngineHost.StartAsync(Morning, extend: j =>
        {
            j.ConfigureWebhooks(o => o.SigningSecret = "whsec_" + Convert.ToBase64String([.. Enumerable.Range(100, 32).Select(i => (byte)i)]));
            j.Services.AddHttpClient(WebhookInvoker.HttpClientName).AddHttpMessageHandler(() => new GatedHandler(gate));
        });
        await host.Manager.CreateAsync(JourneyBuilder.Create("slow", "slow").EnterOnEvent("slow")
            .Steps(p => p.Webhook("https://crm.example.com/slow", h => h.Retries(0).OnSuccess(s => s.Exit("ok", id: "ok")).OnFailure(f => f.Exit("ko", id: "ko")), id: "hook"))
            .Build());
        await host.Manager.ActivateAsync("slow");
        await host.Manager.CreateAsync(JourneyBuilder.Create("vip-hook", "vip-hook").EnterOnEvent("go")
            .Steps(p => p.Filter(f => f
                .When(Condition.Eq("vip", true), v => v.Exit("vip", id: "vip"))
                .Otherwise(o => o.Webhook("https://crm.example.com/vip", h => h.Retries(0).OnSuccess(s => s.Exit("ok", id: "ok")).OnFailure(f => f.Exit("ko", id: "ko")), id: "hook")), id: "is-vip"))
            .Build());
        await host.Manager.ActivateAsync("vip-hook");

        await host.Manager.PublishAsync([new CustomerEvent("c1@example.com", "slow", [], Morning)]);
        EngineHost.Eventually(() => gate.Paths.Count == 1, "the first call held");
        await host.Manager.PublishAsync([new CustomerEvent("c1@example.com", "go", [], Morning)]);
        EngineHost.Eventually(() => host.Count("vip-hook", "hook", StatisticCounter.Entered) == 1, "the second call queued");
        await host.Manager.StopAsync("vip-hook", drain: true);
        Assert.True(await host.Services.GetRequiredService<IAudienceManager>().RemoveFieldAsync("vip"));

        gate.Open.SetResult();

        EngineHost.Eventually(() => gate.Paths.Count == 2, () => $"both calls made (made: {string.Join(", ", gate.Paths)})");
        EngineHost.Eventually(() => host.Count("slow", "ok", StatisticCounter.Exited) == 1, "the first call's customer on its success edge");

        // The call was made; the enrollment it answers cannot run on (its version does not compile) and fails visibly.
        EngineHost.Eventually(() => host.Count("vip-hook", null, StatisticCounter.Failed) == 1, "the uncompilable version's enrollment failed");
    }

    /// <summary>The webhook calls a <see cref="GatedHandler"/> answered; the first waits for <see cref="Open"/>.</summary>
    private sealed class WebhookGate
    {
        public TaskCompletionSource Open { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public System.Collections.Concurrent.ConcurrentQueue<string> Paths { get; } = new();
    }

    /// <summary>Answers every webhook call 200 without the network, the first one only once the gate opens.</summary>
    private sealed class GatedHandler(WebhookGate gate) : DelegatingHandler
    {
        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            gate.Paths.Enqueue(request.RequestUri!.AbsolutePath);
            if (gate.Paths.Count == 1)
            {
                await gate.Open.Task.WaitAsync(cancellationToken);
            }

            return new HttpResponseMessage(System.Net.HttpStatusCode.OK);
        }
    }
}
