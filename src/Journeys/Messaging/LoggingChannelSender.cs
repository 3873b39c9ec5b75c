using Microsoft.Extensions.Logging;

namespace Journeys.Messaging;

/// <summary>
/// A sender for samples and development that only logs: the channel, campaign and message id at Information, the
/// customer id and the body at Debug (personal data never goes above Debug).
/// </summary>
public sealed partial class LoggingChannelSender : IChannelSender
{
    private readonly ILogger _logger;

    /// <summary>Creates the sender.</summary>
    /// <param name="logger">Where messages are logged.</param>
    public LoggingChannelSender(ILogger<LoggingChannelSender> logger)
    {
        ArgumentNullException.ThrowIfNull(logger);
        _logger = logger;
    }

    /// <inheritdoc />
    public ValueTask<SendResult> SendAsync(OutboundMessage message, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(message);
        LogSent(_logger, message.Channel.Name, message.CampaignId, message.MessageId);
        LogContent(_logger, message.MessageId, message.CustomerId, message.Body);
        return new(SendResult.Sent);
    }

    [LoggerMessage(EventId = 1100, Level = LogLevel.Information, Message = "Sent message {MessageId} of campaign {CampaignId} on channel {Channel}")]
    private static partial void LogSent(ILogger logger, string channel, string campaignId, string messageId);

    [LoggerMessage(EventId = 1101, Level = LogLevel.Debug, Message = "Message {MessageId} to customer {CustomerId}: {Body}")]
    private static partial void LogContent(ILogger logger, string messageId, string customerId, string body);
}
