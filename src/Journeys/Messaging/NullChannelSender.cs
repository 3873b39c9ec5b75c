namespace Journeys.Messaging;

/// <summary>A sender that does nothing and reports every message as sent; for benchmarks and dry runs.</summary>
public sealed class NullChannelSender : IChannelSender
{
    /// <summary>The shared instance.</summary>
    public static NullChannelSender Instance { get; } = new();

    /// <inheritdoc />
    public ValueTask<SendResult> SendAsync(OutboundMessage message, CancellationToken cancellationToken) => new(SendResult.Sent);
}
