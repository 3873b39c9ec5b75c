using System.Diagnostics.CodeAnalysis;
using Journeys.Messaging;
using Journeys.Model;
using Journeys.Runtime;

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
