using System.Collections.Frozen;
using Journeys.Messaging;
using Journeys.Model;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Polly;

namespace Journeys.Runtime;

/// <summary>The sender of each channel, wrapped in that channel's resilience pipeline.</summary>
internal sealed partial class SenderRegistry
{
    private readonly FrozenDictionary<string, (IChannelSender Sender, ResiliencePipeline<SendResult> Pipeline)> _byChannel;

    public SenderRegistry(IEnumerable<ChannelSenderRegistration> registrations, IServiceProvider services, IOptions<JourneysOptions> options, TimeProvider timeProvider, ILoggerFactory loggerFactory)
    {
        var byChannel = new Dictionary<string, (IChannelSender, ResiliencePipeline<SendResult>)>(StringComparer.Ordinal);
        var logger = loggerFactory.CreateLogger<SenderRegistry>();
        foreach (var registration in registrations)
        {
            var policy = options.Value.ChannelPolicies.TryGetValue(registration.Channel.Name, out var specific) ? specific : options.Value.DefaultChannelPolicy;
            var sender = new ExceptionLoggingSender(registration.Factory(services), registration.Channel.Name, logger);
            byChannel[registration.Channel.Name] = (sender, SendPipelineFactory.Create(registration.Channel, policy, timeProvider, logger));
        }

        _byChannel = byChannel.ToFrozenDictionary(StringComparer.Ordinal);

        // Found when the host starts (the engine is built then), not at the first send of each message.
        foreach (var campaign in options.Value.Campaigns)
        {
            if (campaign is not null && !_byChannel.ContainsKey(campaign.Channel.Name))
            {
                LogNoSender(logger, campaign.Id, campaign.Channel.Name);
            }
        }
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

    [LoggerMessage(EventId = 1114, Level = LogLevel.Warning, Message = "Campaign {CampaignId} is sent on channel {Channel}, which has no sender (AddSender): its messages fail permanently")]
    private static partial void LogNoSender(ILogger logger, string campaignId, string channel);

    [LoggerMessage(EventId = 1113, Level = LogLevel.Debug, Message = "The sender of channel {Channel} threw for message {MessageId} (the send's reason names only the exception's type: its message may carry customer data)")]
    private static partial void LogSenderThrew(ILogger logger, string channel, string messageId, Exception exception);

    /// <summary>
    /// A host's sender whose exceptions are logged whole at Debug level on their way to the resilience pipeline, which
    /// turns them into a transient result naming only their type: without it, whoever debugs the sender never sees its
    /// message or where it threw. The exception itself goes on unchanged (an exception filter that catches nothing).
    /// </summary>
    private sealed class ExceptionLoggingSender(IChannelSender inner, string channel, ILogger logger) : IChannelSender
    {
        public ValueTask<SendResult> SendAsync(OutboundMessage message, CancellationToken cancellationToken)
        {
            ValueTask<SendResult> send;
            try
            {
                send = inner.SendAsync(message, cancellationToken);
            }
            catch (Exception ex) when (Noted(ex, message, cancellationToken))
            {
                throw;
            }

            return send.IsCompletedSuccessfully ? send : AwaitAsync(send, message, cancellationToken);
        }

        private async ValueTask<SendResult> AwaitAsync(ValueTask<SendResult> send, OutboundMessage message, CancellationToken cancellationToken)
        {
            try
            {
                return await send.ConfigureAwait(false);
            }
            catch (Exception ex) when (Noted(ex, message, cancellationToken))
            {
                throw;
            }
        }

        /// <summary>Logs the exception (not a cancellation the caller asked for) and returns false: the filter catches nothing.</summary>
        private bool Noted(Exception exception, OutboundMessage message, CancellationToken cancellationToken)
        {
            if (!(exception is OperationCanceledException && cancellationToken.IsCancellationRequested))
            {
                LogSenderThrew(logger, channel, message.MessageId, exception);
            }

            return false;
        }
    }
}
