using System.Collections.Immutable;
using Journeys.Audiences;
using Journeys.Building;
using Journeys.Model;
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

    [Fact]
    public async Task Erasing_takes_the_customer_out_of_every_journey_list_so_a_pending_intake_does_not_bring_them_back()
    {
        await using var host = await EngineHost.StartAsync(T0);
        var audiences = host.Services.GetRequiredService<IAudienceManager>();
        var opens = T0.AddDays(1);
        await host.Manager.CreateAsync(JourneyBuilder.Create("soon", "Soon").EnterFromList([Ana, "c2@example.com"]).EntryWindow(opens, null).Steps(p => p.Send(Channel.Push, "tips", id: "hi")).Build());
        var (active, _) = await host.Manager.ActivateAsync("soon");
        await host.Manager.CreateAsync(JourneyBuilder.Create("draft", "Draft").EnterFromList([Ana, Ana]).Steps(p => p.Send(Channel.Push, "tips")).Build());
        var untouched = await host.Manager.CreateAsync(JourneyBuilder.Create("others", "Others").EnterFromList(["c2@example.com"]).Steps(p => p.Send(Channel.Push, "tips")).Build());

        await audiences.EraseCustomerAsync(Ana);

        // In place: same version and status, a new ETag, the list without the id; a journey that did not name it is as it was.
        var erased = (await host.Manager.GetAsync("soon"))!;
        Assert.Equal((JourneyStatus.Active, 1), (erased.Journey.Status, erased.Journey.Version));
        Assert.Equal(["c2@example.com"], ((CustomerListEntry)erased.Journey.Entry).CustomerIds);
        Assert.Equal(active.Journey with { Entry = erased.Journey.Entry }, erased.Journey);
        Assert.NotEqual(active.ETag, erased.ETag);
        Assert.Empty(((CustomerListEntry)(await host.Manager.GetAsync("draft"))!.Journey.Entry).CustomerIds);
        Assert.Equal(untouched.ETag, (await host.Manager.GetAsync("others"))!.ETag);

        // An edit read before the erasure is refused instead of saving the id back.
        await Assert.ThrowsAsync<JourneyConcurrencyException>(() => host.Manager.UpdateAsync(active.Journey with { Name = "Renamed" }, active.ETag).AsTask());

        // The pending intake (what this host compiled of the version included) enrolls the list without the customer,
        // and does not enroll them.
        host.Advance(opens - T0);
        EngineHost.Eventually(() => host.Count("soon", "hi", StatisticCounter.Sent) == 1, "c2's push when the window opened");
        Assert.Equal("c2@example.com", Assert.Single(host.Push.Messages).CustomerId);
        Assert.Null(await audiences.GetCustomerAsync(Ana));
        Assert.Empty(await host.Services.GetRequiredService<IEnrollmentStore>().GetByCustomerAsync(Ana));
    }

    [Theory]
    [InlineData("c2400")] // in the third chunk: skipped by it (the intake reads the stored list after each chunk)
    [InlineData("c0400")] // in the first chunk, held before its create while the whole erasure runs (its cancels find
                          // nothing): the read after the create sees the id gone, and the enrollment is cancelled and erased
    public async Task A_customer_erased_while_a_list_intake_runs_is_not_left_enrolled_whichever_chunk_holds_them(string erased)
    {
        var gate = new FirstChunkGate();
        await using var host = await EngineHost.StartAsync(T0, extend: j => j.Services.Replace(
            ServiceDescriptor.Singleton<IEnrollmentStore>(sp => new GatedStore(sp.GetRequiredService<InMemoryEngineStore>(), gate))));
        var audiences = host.Services.GetRequiredService<IAudienceManager>();
        string[] ids = [.. Enumerable.Range(0, 2_500).Select(i => $"c{i:D4}")];
        await host.Manager.CreateAsync(JourneyBuilder.Create("list", "List").EnterFromList(ids).Steps(p => p.Send(Channel.Push, "tips", id: "hi")).Build());

        // The activation enrolls the list in chunks of 1,000; it is held in its first (before the create) during the erasure.
        var activation = host.Manager.ActivateAsync("list").AsTask();
        await gate.Entered.WaitAsync(TimeSpan.FromSeconds(20));
        await audiences.EraseCustomerAsync(erased);
        gate.Release();
        var (_, enrolled) = await activation.WaitAsync(TimeSpan.FromSeconds(20));

        Assert.Equal(2_499, enrolled);
        EngineHost.Eventually(() => host.Count("list", "hi", StatisticCounter.Sent) == 2_499, "the 2,499 pushes");
        Assert.Empty(await host.Services.GetRequiredService<IEnrollmentStore>().GetByCustomerAsync(erased));
        Assert.DoesNotContain(host.Push.Messages, m => m.CustomerId == erased);
        Assert.Equal(2_499, host.Push.Messages.Count);
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

/// <summary>Holds the first enrolling call (of either kind) until released.</summary>
internal sealed class FirstChunkGate
{
    private readonly TaskCompletionSource _entered = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _released = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _calls;

    public Task Entered => _entered.Task;

    public void Release() => _released.TrySetResult();

    public async Task PassAsync()
    {
        if (Interlocked.Increment(ref _calls) == 1)
        {
            _entered.TrySetResult();
            await _released.Task.WaitAsync(TimeSpan.FromSeconds(30));
        }
    }
}

/// <summary>An in-memory enrollment store whose first enrolling call waits for <see cref="FirstChunkGate"/>.</summary>
internal sealed class GatedStore(IEnrollmentStore inner, FirstChunkGate gate) : DelegatingEnrollmentStore(inner)
{
    public override async ValueTask<IReadOnlyList<EnrollmentOutcome>> EnrollAsync(IReadOnlyList<EnrollmentRequest> requests, CancellationToken cancellationToken = default)
    {
        await gate.PassAsync();
        return await base.EnrollAsync(requests, cancellationToken);
    }

    public override async ValueTask<LeasedEnrollments> EnrollLeasedAsync(IReadOnlyList<EnrollmentRequest> requests, EnrollmentLease lease, CancellationToken cancellationToken = default)
    {
        await gate.PassAsync();
        return await base.EnrollLeasedAsync(requests, lease, cancellationToken);
    }
}
