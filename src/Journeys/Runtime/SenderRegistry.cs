using System.Collections.Frozen;
using Journeys.Messaging;
using Journeys.Model;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Polly;

namespace Journeys.Runtime;

/// <summary>The sender of each channel, wrapped in that channel's resilience pipeline.</summary>
internal sealed class SenderRegistry
{
    private readonly FrozenDictionary<string, (IChannelSender Sender, ResiliencePipeline<SendResult> Pipeline)> _byChannel;

    public SenderRegistry(IEnumerable<ChannelSenderRegistration> registrations, IServiceProvider services, IOptions<JourneysOptions> options, TimeProvider timeProvider, ILoggerFactory loggerFactory)
    {
        var byChannel = new Dictionary<string, (IChannelSender, ResiliencePipeline<SendResult>)>(StringComparer.Ordinal);
        var logger = loggerFactory.CreateLogger<SenderRegistry>();
        foreach (var registration in registrations)
        {
            var policy = options.Value.ChannelPolicies.TryGetValue(registration.Channel.Name, out var specific) ? specific : options.Value.DefaultChannelPolicy;
            var sender = registration.Factory(services);
            byChannel[registration.Channel.Name] = (sender, SendPipelineFactory.Create(registration.Channel, policy, timeProvider, logger));
        }

        _byChannel = byChannel.ToFrozenDictionary(StringComparer.Ordinal);
    }

    public bool TryGet(Channel channel, out IChannelSender sender, out ResiliencePipeline<SendResult> pipeline)
    {
        if (_byChannel.TryGetValue(channel.Name, out var entry))
        {
            (sender, pipeline) = entry;
            return true;
        }

        sender = null!;
        pipeline = null!;
        return false;
    }
}
