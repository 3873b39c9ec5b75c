using System.Text;
using Journeys.Audiences;
using Journeys.Messaging;
using Journeys.Runtime;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace Journeys.Tests.Runtime;

/// <summary><c>AddJourneys(j => j.Configure(configuration.GetSection("Journeys")))</c>: options from <c>appsettings.json</c>.</summary>
public sealed class ConfigurationBindingTests
{
    private const string Secret = "whsec_MDEyMzQ1Njc4OWFiY2RlZmdoaWprbG1ub3BxcnN0dXY=";

    [Fact]
    public void Every_kind_of_option_binds_from_an_appsettings_section_and_the_keys_not_set_keep_their_defaults()
    {
        using var provider = Build("""
            {
              "Journeys": {
                "ShardCount": 3,
                "BatchSize": 128,
                "LeaseDuration": "00:02:00",
                "MaxIdle": "00:00:10",
                "OwnerId": "host-a",
                "EnrollmentRetention": "180.00:00:00",
                "SendPolicy": { "FrequencyCap": 3, "FrequencyCapWindow": "7.00:00:00", "QuietHoursStart": "22:00", "QuietHoursEnd": "08:30" },
                "DefaultChannelPolicy": { "MaxRetryAttempts": 5, "Timeout": "00:00:20" },
                "ChannelPolicies": { "sms": { "PermitsPerSecond": 50 } },
                "Webhooks": { "SigningSecret": "{{Secret}}", "AllowedNetworks": [ "10.0.0.0/8" ], "Timeout": "00:00:05" },
                "Audiences": { "AddUnknownFieldsAsStrings": true }
              }
            }
            """.Replace("{{Secret}}", Secret, StringComparison.Ordinal));

        var options = provider.GetRequiredService<IOptions<JourneysOptions>>().Value;
        Assert.Equal((3, 128, TimeSpan.FromMinutes(2), TimeSpan.FromSeconds(10), "host-a"), (options.ShardCount, options.BatchSize, options.LeaseDuration, options.MaxIdle, options.OwnerId));
        Assert.Equal(TimeSpan.FromDays(180), options.EnrollmentRetention);
        Assert.Equal((3, TimeSpan.FromDays(7), new TimeOnly(22, 0), new TimeOnly(8, 30)), (options.SendPolicy.FrequencyCap, options.SendPolicy.FrequencyCapWindow, options.SendPolicy.QuietHoursStart, options.SendPolicy.QuietHoursEnd));
        Assert.Equal((5, TimeSpan.FromSeconds(20)), (options.DefaultChannelPolicy.MaxRetryAttempts, options.DefaultChannelPolicy.Timeout));

        // Channel names stay case-insensitive; what the section does not set keeps its default.
        Assert.Equal(50, options.ChannelPolicies["SMS"].PermitsPerSecond);
        var defaults = new JourneysOptions();
        Assert.Equal((defaults.InboxCapacity, defaults.EventRetention, defaults.DefaultChannelPolicy.RetryBaseDelay), (options.InboxCapacity, options.EventRetention, options.DefaultChannelPolicy.RetryBaseDelay));

        var webhooks = provider.GetRequiredService<IOptions<WebhookOptions>>().Value;
        Assert.Equal((Secret, TimeSpan.FromSeconds(5)), (webhooks.SigningSecret, webhooks.Timeout));
        Assert.Equal(["10.0.0.0/8"], webhooks.AllowedNetworks);
        Assert.True(provider.GetRequiredService<IOptions<AudienceOptions>>().Value.AddUnknownFieldsAsStrings);
    }

    [Theory]
    [InlineData("""{ "Journeys": { "LeaseDurration": "00:02:00" } }""", "LeaseDurration")]
    [InlineData("""{ "Journeys": { "SendPolicy": { "FrequencyKap": 3 } } }""", "FrequencyKap")]
    [InlineData("""{ "Journeys": { "ChannelPolicies": { "sms": { "PermitPerSecond": 3 } } } }""", "PermitPerSecond")]
    [InlineData("""{ "Journeys": { "Webhooks": { "SigningSecrett": "x" } } }""", "SigningSecrett")]
    [InlineData("""{ "Journeys": { "Audiences": { "AddUnknownFields": true } } }""", "AddUnknownFields")]
    public async Task A_key_that_names_no_option_stops_the_host_at_start_and_is_named(string json, string key)
    {
        using var host = BuildHost(json);
        var error = await Assert.ThrowsAnyAsync<InvalidOperationException>(() => host.StartAsync());
        Assert.Contains($"'{key}'", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("""{ "Journeys": { "LeaseDuration": "five minutes" } }""", "Journeys:LeaseDuration")]
    [InlineData("""{ "Journeys": { "SendPolicy": { "QuietHoursStart": "25:00" } } }""", "Journeys:SendPolicy:QuietHoursStart")]
    [InlineData("""{ "Journeys": { "ShardCount": "two" } }""", "Journeys:ShardCount")]
    public async Task A_value_that_does_not_convert_stops_the_host_at_start_with_its_path(string json, string path)
    {
        using var host = BuildHost(json);
        var error = await Assert.ThrowsAnyAsync<InvalidOperationException>(() => host.StartAsync());
        Assert.Contains(path, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Bound_values_go_through_the_options_validation()
    {
        using var host = BuildHost("""{ "Journeys": { "ShardCount": 0, "Webhooks": { "SigningSecret": "not a secret" } } }""");
        var error = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync());
        Assert.Contains("ShardCount", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Campaigns_are_refused_in_configuration_with_the_reason()
    {
        using var provider = Build("""{ "Journeys": { "Campaigns": [ { "Id": "welcome" } ] } }""");
        var error = Assert.Throws<InvalidOperationException>(() => provider.GetRequiredService<IOptions<JourneysOptions>>().Value);
        Assert.Equal("The configuration key 'Journeys:Campaigns' is not bound: campaigns are defined in code (AddCampaigns), not in configuration.", error.Message);
    }

    [Theory]
    [InlineData(true, 7)]
    [InlineData(false, 3)]
    public void Configuration_and_code_apply_in_registration_order(bool codeLast, int expected)
    {
        var configuration = Configuration("""{ "Journeys": { "ShardCount": 3 } }""").GetSection("Journeys");
        var services = new ServiceCollection();
        services.AddJourneys(j =>
        {
            if (codeLast)
            {
                j.Configure(configuration).Configure(o => o.ShardCount = 7);
            }
            else
            {
                j.Configure(o => o.ShardCount = 7).Configure(configuration);
            }
        });
        using var provider = services.BuildServiceProvider();
        Assert.Equal(expected, provider.GetRequiredService<IOptions<JourneysOptions>>().Value.ShardCount);
    }

    [Fact]
    public void Without_a_webhooks_section_webhook_nodes_stay_off()
    {
        using var provider = Build("""{ "Journeys": { "ShardCount": 2 } }""");
        Assert.Null(provider.GetService<WebhookInvoker>());
    }

    private static ServiceProvider Build(string json)
    {
        var services = new ServiceCollection();
        services.AddJourneys(j => j.Configure(Configuration(json).GetSection("Journeys")));
        return services.BuildServiceProvider();
    }

    private static IHost BuildHost(string json)
    {
        var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        builder.Configuration.AddConfiguration(Configuration(json));
        builder.Services.AddJourneys(j => j.Configure(builder.Configuration.GetSection("Journeys")));
        return builder.Build();
    }

    private static IConfigurationRoot Configuration(string json) =>
        new ConfigurationBuilder().AddJsonStream(new MemoryStream(Encoding.UTF8.GetBytes(json))).Build();
}
