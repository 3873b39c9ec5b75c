using System.Diagnostics.CodeAnalysis;
using Journeys.Audiences;
using Journeys.Messaging;
using Journeys.Model;
using Journeys.Runtime;
using Microsoft.Extensions.Configuration;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Configuration of Journeys: senders, campaigns, options, webhooks.</summary>
public static class JourneysBuilderExtensions
{
    /// <summary>Registers the sender of a channel; it is created once, from the container. A channel has one sender: a later registration for the same channel replaces an earlier one.</summary>
    /// <typeparam name="TSender">The sender type.</typeparam>
    /// <param name="builder">The builder.</param>
    /// <param name="channel">The channel it delivers.</param>
    /// <returns>The builder.</returns>
    public static IJourneysBuilder AddSender<[DynamicallyAccessedMembers(DynamicallyAccessedMemberTypes.PublicConstructors)] TSender>(this IJourneysBuilder builder, Channel channel)
        where TSender : class, IChannelSender
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.AddSingleton<TSender>();
        builder.Services.AddSingleton(new ChannelSenderRegistration(channel, static sp => sp.GetRequiredService<TSender>()));
        return builder;
    }

    /// <summary>Registers a sender instance for a channel. A channel has one sender: a later registration for the same channel replaces an earlier one.</summary>
    /// <param name="builder">The builder.</param>
    /// <param name="channel">The channel it delivers.</param>
    /// <param name="sender">The sender.</param>
    /// <returns>The builder.</returns>
    public static IJourneysBuilder AddSender(this IJourneysBuilder builder, Channel channel, IChannelSender sender)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(sender);
        builder.Services.AddSingleton(new ChannelSenderRegistration(channel, _ => sender));
        return builder;
    }

    /// <summary>Adds campaigns that send nodes may use. Each campaign id may be added once (over all calls): a repeated id fails the options' validation at start.</summary>
    /// <param name="builder">The builder.</param>
    /// <param name="campaigns">The campaigns.</param>
    /// <returns>The builder.</returns>
    public static IJourneysBuilder AddCampaigns(this IJourneysBuilder builder, params IEnumerable<Campaign> campaigns)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var list = campaigns.ToList();
        builder.Services.Configure<JourneysOptions>(o =>
        {
            foreach (var campaign in list)
            {
                o.Campaigns.Add(campaign);
            }
        });
        return builder;
    }

    /// <summary>Configures the engine's options (validated at start).</summary>
    /// <param name="builder">The builder.</param>
    /// <param name="configure">Sets options.</param>
    /// <returns>The builder.</returns>
    public static IJourneysBuilder Configure(this IJourneysBuilder builder, Action<JourneysOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.Configure(configure);
        return builder;
    }

    /// <summary>
    /// Binds the options from configuration, such as the <c>Journeys</c> section of <c>appsettings.json</c> or environment
    /// variables (<c>Journeys__ShardCount</c>): the section's keys set <see cref="JourneysOptions"/> (durations as
    /// <c>00:05:00</c>, times of day as <c>22:00</c>, <c>SendPolicy</c>, <c>DefaultChannelPolicy</c> and
    /// <c>ChannelPolicies:&lt;channel&gt;</c> as objects); its <c>Webhooks</c> child enables webhook nodes with
    /// <see cref="WebhookOptions"/> (as <see cref="ConfigureWebhooks"/>), and its <c>Audiences</c> child sets
    /// <see cref="AudienceOptions"/>. Keys not set keep their defaults; a key that names no option, a value that does not
    /// convert, and a <c>Campaigns</c> key (campaigns are defined in code) stop the host at start with the key named, as
    /// do values the options' validation refuses. Binds in registration order with the other <c>Configure</c> calls:
    /// code after this call overrides configuration.
    /// </summary>
    /// <param name="builder">The builder.</param>
    /// <param name="configuration">The section, such as <c>builder.Configuration.GetSection("Journeys")</c>.</param>
    /// <returns>The builder.</returns>
    public static IJourneysBuilder Configure(this IJourneysBuilder builder, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(configuration);
        builder.Services.AddOptions<JourneysOptions>().Configure(o => JourneysConfiguration.Bind(configuration, o));
        // Read at start (the engine's options are validated then anyway), so a wrong key stops the host, not the first import.
        builder.Services.AddOptions<AudienceOptions>().Configure(o => JourneysConfiguration.Bind(configuration.GetSection(JourneysConfiguration.Audiences), o)).ValidateOnStart();
        var webhooks = configuration.GetSection(JourneysConfiguration.Webhooks);
        if (webhooks.Exists())
        {
            builder.Services.AddJourneysWebhooks(o => JourneysConfiguration.Bind(webhooks, o));
        }

        return builder;
    }

    /// <summary>Enables webhook nodes: signing secret, allow-listed networks, timeouts.</summary>
    /// <param name="builder">The builder.</param>
    /// <param name="configure">Sets webhook options.</param>
    /// <returns>The builder.</returns>
    public static IJourneysBuilder ConfigureWebhooks(this IJourneysBuilder builder, Action<WebhookOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.AddJourneysWebhooks(configure);
        return builder;
    }
}
