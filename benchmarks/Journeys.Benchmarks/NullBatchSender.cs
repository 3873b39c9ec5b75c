using Journeys.Messaging;

namespace Journeys.Benchmarks;

/// <summary>
/// The batch variant of <see cref="NullChannelSender"/>: does nothing and reports every message as sent, one call per
/// batch (<see cref="IBatchChannelSender"/>), so the dispatcher runs the channel's resilience pipeline once per batch of
/// up to <see cref="MaxBatchSize"/> messages instead of once per message. The benchmarks' rows labelled "batch sender"
/// use it; the others use the single <see cref="NullChannelSender"/>.
/// </summary>
internal sealed class NullBatchSender : IBatchChannelSender
{
    /// <summary>The shared instance.</summary>
    public static NullBatchSender Instance { get; } = new();

    /// <summary>256 messages per call (the engine's default batch size; FCM multicast takes 500, SendGrid 1,000).</summary>
    public int MaxBatchSize => 256;

    /// <inheritdoc />
    public ValueTask<SendResult> SendAsync(OutboundMessage message, CancellationToken cancellationToken) => new(SendResult.Sent);

    /// <inheritdoc />
    public ValueTask SendBatchAsync(ReadOnlyMemory<OutboundMessage> messages, Memory<SendResult> results, CancellationToken cancellationToken)
    {
        results.Span.Fill(SendResult.Sent);
        return default;
    }
}
