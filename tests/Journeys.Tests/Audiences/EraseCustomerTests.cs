using System.Collections.Immutable;
using Journeys.Audiences;
using Journeys.Building;
using Journeys.Runtime;
using Journeys.Storage;
using Journeys.Storage.InMemory;
using Journeys.Tests.Runtime;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Journeys.Tests.Audiences;

/// <summary><see cref="IAudienceManager.EraseCustomerAsync"/>: a customer's request to be forgotten.</summary>
public sealed class EraseCustomerTests
{
    private static readonly DateTimeOffset T0 = new(2026, 5, 4, 9, 0, 0, TimeSpan.Zero);

    private const string Ana = "c1@example.com";

    [Fact]
    public async Task Erasing_deletes_the_profile_every_enrollment_the_events_their_ids_and_the_send_records_and_keeps_the_counts()
    {
        await using var host = await EngineHost.StartAsync(T0, o => o.SendPolicy = new SendPolicyOptions { FrequencyCap = 5, FrequencyCapWindow = TimeSpan.FromDays(30) });
        await host.Manager.CreateAsync(JourneyBuilder.Create("hello", "Hello").EnterFromList([Ana, "c2@example.com"]).Steps(p => p.Send(Channel.Push, "tips", id: "hi")).Build());
        await host.Manager.ActivateAsync("hello");
        EngineHost.Eventually(() => host.Push.Messages.Count == 2, "both sends");
        await host.Manager.CreateAsync(JourneyBuilder.Create("later", "Later").EnterFromList([Ana]).Steps(p => p.Delay(TimeSpan.FromDays(3)).Send(Channel.Push, "tips")).Build());
        await host.Manager.ActivateAsync("later");
        await host.Manager.PublishAsync([new CustomerEvent(Ana, "viewed", ImmutableDictionary<string, FieldValue>.Empty, T0) { Id = "v-1" }]);
        var store = host.Services.GetRequiredService<InMemoryEngineStore>();
        EngineHost.Eventually(() => host.Count("later", "delay-1", StatisticCounter.Entered) == 1 || Advance(host), "the delay entered");
        Assert.Equal((1, 1), store.Retained);

        Assert.True(await host.Services.GetRequiredService<IAudienceManager>().EraseCustomerAsync(Ana));

        Assert.Null(await host.Services.GetRequiredService<IAudienceManager>().GetCustomerAsync(Ana));
        Assert.Empty(await store.GetByCustomerAsync(Ana));
        Assert.Single(await store.GetByCustomerAsync("c2@example.com"));
        Assert.Equal((0, 0), store.Retained);

        // The cap's record of Ana's send is gone: a cap of one in the window grants again.
        Assert.Equal([true], await store.TryReserveSendsAsync([new SendReservation(Ana, "probe")], 1, TimeSpan.FromDays(30), T0.AddHours(1)));

        // The counts stay (no customer in them), the waiting enrollment counted as cancelled.
        Assert.Equal(2, host.Count("hello", "hi", StatisticCounter.Sent));
        Assert.Equal(1, host.Count("later", null, StatisticCounter.Cancelled));
        Assert.False(await host.Services.GetRequiredService<IAudienceManager>().EraseCustomerAsync(Ana));
    }

    [Fact]
    public async Task A_store_that_cannot_erase_refuses_before_the_profile_or_a_live_enrollment_is_touched()
    {
        await using var host = await EngineHost.StartAsync(T0, extend: j => j.Services.Decorate());
        await host.Manager.CreateAsync(JourneyBuilder.Create("later", "Later").EnterFromList([Ana]).Steps(p => p.Delay(TimeSpan.FromDays(3)).Send(Channel.Push, "tips")).Build());
        await host.Manager.ActivateAsync("later");

        var refused = await Assert.ThrowsAsync<NotSupportedException>(() => host.Services.GetRequiredService<IAudienceManager>().EraseCustomerAsync(Ana).AsTask());
        Assert.Contains("does not erase customers", refused.Message, StringComparison.Ordinal);

        Assert.NotNull(await host.Services.GetRequiredService<IAudienceManager>().GetCustomerAsync(Ana));
        Assert.Contains(await host.Services.GetRequiredService<IEnrollmentStore>().GetByCustomerAsync(Ana), e => e.Status is EnrollmentStatus.Active or EnrollmentStatus.Waiting);
    }

    private static bool Advance(EngineHost host)
    {
        host.Time.Advance(TimeSpan.FromSeconds(1));
        Thread.Sleep(1);
        return false;
    }
}

/// <summary>Registers an enrollment store that, like one written before erasure existed, does not erase.</summary>
internal static class NoEraseStoreRegistration
{
    public static void Decorate(this IServiceCollection services) =>
        services.Replace(ServiceDescriptor.Singleton<IEnrollmentStore>(sp => new NoEraseStore(sp.GetRequiredService<InMemoryEngineStore>())));

    private sealed class NoEraseStore(IEnrollmentStore inner) : DelegatingEnrollmentStore(inner)
    {
        public override ValueTask<int> EraseCustomerAsync(string customerId, CancellationToken cancellationToken = default) =>
            throw new NotSupportedException($"{nameof(NoEraseStore)} does not erase customers (IEnrollmentStore.EraseCustomerAsync).");
    }
}
