using Journeys.Messaging;
using Journeys.Runtime;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Journeys.Tests.Runtime;

public sealed class RegistrationTests
{
    [Fact]
    public void Calling_AddJourneys_twice_registers_one_engine_and_one_hosted_service()
    {
        var services = new ServiceCollection();
        services.AddJourneys();
        services.AddJourneys(j => j.Configure(o => o.ShardCount = 3));
        using var provider = services.BuildServiceProvider();

        Assert.Single(provider.GetServices<IHostedService>());
        Assert.Same(provider.GetRequiredService<IJourneyManager>(), provider.GetRequiredService<IJourneyManager>());
        Assert.Equal(3, provider.GetRequiredService<IOptions<JourneysOptions>>().Value.ShardCount);
    }

    [Fact]
    public void Invalid_options_fail_with_every_problem_named()
    {
        var services = new ServiceCollection();
        services.AddJourneys(j => j
            .AddCampaigns(new Campaign("a", Channel.Push, "x"), new Campaign("a", Channel.Push, "y"))
            .Configure(o =>
            {
                o.ShardCount = 0;
                o.BatchSize = 10;
                o.InboxCapacity = 5;
                o.SendPolicy.FrequencyCap = 0;
                o.TimerWakeLead = TimeSpan.FromMilliseconds(-1);
                o.EventIdWindow = TimeSpan.Zero;
                o.MaxConcurrentSends = 0;
            }));
        using var provider = services.BuildServiceProvider();

        var ex = Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<IOptions<JourneysOptions>>().Value);
        Assert.Contains(ex.Failures, f => f.Contains("ShardCount", StringComparison.Ordinal));
        Assert.Contains(ex.Failures, f => f.Contains("InboxCapacity", StringComparison.Ordinal));
        Assert.Contains(ex.Failures, f => f.Contains("FrequencyCap", StringComparison.Ordinal));
        Assert.Contains(ex.Failures, f => f.Contains("TimerWakeLead must be 0 to 50 ms", StringComparison.Ordinal));
        Assert.Contains(ex.Failures, f => f.Contains("EventIdWindow must be 1 second to 365 days (was 00:00:00)", StringComparison.Ordinal));
        Assert.Contains(ex.Failures, f => f.Contains("MaxConcurrentSends must be 1 to 1024 (was 0)", StringComparison.Ordinal));
        Assert.Contains(ex.Failures, f => f.Contains("Campaign 'a' is registered twice", StringComparison.Ordinal));
    }

    [Fact]
    public void Policies_set_to_null_are_named_at_start_instead_of_failing_with_a_null_reference()
    {
        var services = new ServiceCollection();
        services.AddJourneys(j => j.Configure(o =>
        {
            o.SendPolicy = null!;
            o.DefaultChannelPolicy = null!;
            o.ChannelPolicies["sms"] = null!;
        }));
        using var provider = services.BuildServiceProvider();

        var ex = Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<IOptions<JourneysOptions>>().Value);
        Assert.Contains(ex.Failures, f => f.StartsWith("SendPolicy is null", StringComparison.Ordinal));
        Assert.Contains(ex.Failures, f => f.StartsWith("DefaultChannelPolicy is null", StringComparison.Ordinal));
        Assert.Contains(ex.Failures, f => f.StartsWith("ChannelPolicies[sms] is null", StringComparison.Ordinal));
    }

    [Fact]
    public void Durations_too_long_for_the_clock_are_refused_at_start_with_the_option_and_its_value()
    {
        // Each is added to (or taken from) the current time: TimeSpan.MaxValue made the pump, the dispatcher's claim or
        // the frequency cap throw ArgumentOutOfRangeException at run time instead of failing the start.
        var options = new JourneysOptions
        {
            LeaseDuration = TimeSpan.MaxValue,
            MaxIdle = TimeSpan.MaxValue,
            EventRetention = TimeSpan.MaxValue,
            SendPolicy = { FrequencyCap = 3, FrequencyCapWindow = TimeSpan.MaxValue },
        };

        var errors = options.Validate();

        Assert.Contains(errors, e => e.StartsWith("LeaseDuration must be 1 second to 1 day (was ", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("MaxIdle must be 10 ms to 1 day (was ", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("EventRetention must be 0 to 365 days (was ", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("SendPolicy.FrequencyCapWindow must be positive and at most 365 days (was ", StringComparison.Ordinal));
        Assert.Equal(4, errors.Count);
        Assert.Empty(new JourneysOptions { LeaseDuration = TimeSpan.FromDays(1), MaxIdle = TimeSpan.FromDays(1), EventRetention = TimeSpan.FromDays(365) }.Validate());
    }

    [Fact]
    public async Task A_campaign_on_a_channel_with_no_sender_is_named_in_a_warning_when_the_host_starts()
    {
        var logs = new ListLoggerProvider();
        var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        builder.Logging.AddProvider(logs);
        builder.Services.AddJourneys(j => j
            .AddSender(Channel.Push, new RecordingChannelSender())
            .AddCampaigns(new Campaign("tips", Channel.Push, "Tips"), new Campaign("reminder", Channel.Sms, "Come back")));
        using var host = builder.Build();

        await host.StartAsync();
        await host.StopAsync();

        var warning = Assert.Single(logs.Entries, e => e.Level == LogLevel.Warning);
        Assert.Equal("Campaign reminder is sent on channel sms, which has no sender (AddSender): its messages fail permanently", warning.Message);
    }

    [Fact]
    public async Task A_channel_policy_for_a_channel_with_no_sender_is_named_in_a_warning_when_the_host_starts()
    {
        var logs = new ListLoggerProvider();
        var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        builder.Logging.AddProvider(logs);
        builder.Services.AddJourneys(j => j
            .AddSender(Channel.Push, new RecordingChannelSender())
            .Configure(o =>
            {
                o.ChannelPolicies["PUSH"] = new ChannelPolicyOptions { PermitsPerSecond = 10 };
                o.ChannelPolicies["pussh"] = new ChannelPolicyOptions { PermitsPerSecond = 10 };
            }));
        using var host = builder.Build();

        await host.StartAsync();
        await host.StopAsync();

        // The channel's policy in another case applies (the keys are case-insensitive); the misspelt one is named.
        var warning = Assert.Single(logs.Entries, e => e.Level == LogLevel.Warning);
        Assert.Equal("ChannelPolicies has a policy for channel pussh, which has no sender (AddSender): it applies to nothing (a misspelt channel name?)", warning.Message);
    }

    [Fact]
    public async Task A_host_with_invalid_options_does_not_start()
    {
        var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        builder.Services.AddJourneys(j => j.Configure(o => o.ShardCount = -1));
        using var host = builder.Build();

        await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync());
    }
}
