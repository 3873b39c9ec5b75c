using System.Collections.Frozen;
using System.Diagnostics.CodeAnalysis;
using Journeys.Messaging;
using Journeys.Model;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Polly;
using Polly.CircuitBreaker;

namespace Journeys.Runtime;

/// <summary>The sender of each channel, wrapped in that channel's resilience pipeline.</summary>
internal sealed partial class SenderRegistry
{
    private readonly FrozenDictionary<string, ChannelSend> _byChannel;
    private readonly string[] _names;

    public SenderRegistry(IEnumerable<ChannelSenderRegistration> registrations, IServiceProvider services, IOptions<JourneysOptions> options, TimeProvider timeProvider, ILoggerFactory loggerFactory)
    {
        var byChannel = new Dictionary<string, ChannelSend>(StringComparer.Ordinal);
        var logger = loggerFactory.CreateLogger<SenderRegistry>();
        foreach (var registration in registrations)
        {
            var policy = options.Value.ChannelPolicies.TryGetValue(registration.Channel.Name, out var specific) ? specific : options.Value.DefaultChannelPolicy;
            var inner = registration.Factory(services);
            if (inner is IBatchChannelSender batchSender)
            {
                var declared = batchSender.MaxBatchSize;
                if (declared < 1)
                {
                    throw new InvalidOperationException(
                        $"The batch sender {inner.GetType().Name} of channel '{registration.Channel.Name}' declares MaxBatchSize {declared}; it must be at least 1.");
                }

                // A batch takes a permit per message at once: no batch may need more than the limiter ever holds.
                var size = policy.PermitsPerSecond is { } permits ? Math.Min(declared, permits) : declared;
                var circuit = new CircuitBreakerStateProvider();
                byChannel[registration.Channel.Name] = new ChannelSend(
                    new ExceptionLoggingBatchSender(batchSender, registration.Channel.Name, logger),
                    null,
                    SendPipelineFactory.CreateBatch(registration.Channel, policy, timeProvider, logger, circuit),
                    size,
                    circuit);
            }
            else
            {
                var sender = new ExceptionLoggingSender(inner, registration.Channel.Name, logger);
                var circuit = new CircuitBreakerStateProvider();
                byChannel[registration.Channel.Name] = new ChannelSend(sender, SendPipelineFactory.Create(registration.Channel, policy, timeProvider, logger, circuit), null, 1, circuit);
            }
        }

        _byChannel = byChannel.ToFrozenDictionary(StringComparer.Ordinal);
        _names = [.. _byChannel.Keys.Order(StringComparer.Ordinal)];

        // Found when the host starts (the engine is built then), not at the first send of each message.
        foreach (var campaign in options.Value.Campaigns)
        {
            if (campaign is not null && !_byChannel.ContainsKey(campaign.Channel.Name))
            {
                LogNoSender(logger, campaign.Id, campaign.Channel.Name);
            }
        }

        // A policy keyed by a channel with no sender applies to nothing: most often a misspelt channel name (keys of
        // ChannelPolicies are free text, also when bound from configuration).
        foreach (var channel in options.Value.ChannelPolicies.Keys)
        {
            if (!_byChannel.Keys.Any(name => string.Equals(name, channel, StringComparison.OrdinalIgnoreCase)))
            {
                LogPolicyWithoutSender(logger, channel);
            }
        }
    }

    /// <summary>The channels with a sender, in name order, and the state of each one's circuit breaker now.</summary>
    public IReadOnlyList<ChannelStatus> Circuits()
    {
        var circuits = new ChannelStatus[_names.Length];
        for (var i = 0; i < _names.Length; i++)
        {
            circuits[i] = new ChannelStatus(_names[i], _byChannel[_names[i]].Circuit.CircuitState switch
            {
                CircuitState.Open => ChannelCircuitState.Open,
                CircuitState.HalfOpen => ChannelCircuitState.HalfOpen,
                CircuitState.Isolated => ChannelCircuitState.Isolated,
                _ => ChannelCircuitState.Closed,
            });
        }

        return circuits;
    }

    /// <summary>The sender of <paramref name="channel"/> and its pipeline, if one is registered.</summary>
    public bool TryGet(Channel channel, [NotNullWhen(true)] out ChannelSend? send) => _byChannel.TryGetValue(channel.Name, out send);

    /// <summary>
    /// A channel's sender with its pipeline: a single sender's (<see cref="Pipeline"/>, one run per message) or a batch
    /// sender's (<see cref="BatchPipeline"/>, one run per batch of at most <see cref="MaxBatchSize"/> messages).
    /// </summary>
    internal sealed class ChannelSend(IChannelSender sender, ResiliencePipeline<SendResult>? pipeline, ResiliencePipeline<BatchAttempt>? batchPipeline, int maxBatchSize, CircuitBreakerStateProvider circuit)
    {
        /// <summary>Reads the state of the pipeline's circuit breaker.</summary>
        public CircuitBreakerStateProvider Circuit { get; } = circuit;

        public IChannelSender Sender { get; } = sender;

        public ResiliencePipeline<SendResult>? Pipeline { get; } = pipeline;

        public ResiliencePipeline<BatchAttempt>? BatchPipeline { get; } = batchPipeline;

        /// <summary>The sender's declared batch size, capped at the channel's permits per second; 1 for a single sender.</summary>
        public int MaxBatchSize { get; } = maxBatchSize;

        // A few emptied batches kept for reuse: the dispatcher loops (one per shard) each take one per channel at a time.
        private readonly BatchSend?[] _spares = new BatchSend?[4];

        /// <summary>An empty batch for this channel's batch sender: a reused one when one is spare.</summary>
        public BatchSend RentBatch()
        {
            for (var i = 0; i < _spares.Length; i++)
            {
                if (Interlocked.Exchange(ref _spares[i], null) is { } spare)
                {
                    return spare;
                }
            }

            return new BatchSend((IBatchChannelSender)Sender, MaxBatchSize);
        }

        /// <summary>Empties a batch whose results were read and keeps it for reuse (dropped when enough are kept).</summary>
        public void ReturnBatch(BatchSend batch)
        {
            batch.Clear();
            for (var i = 0; i < _spares.Length; i++)
            {
                if (Interlocked.CompareExchange(ref _spares[i], batch, null) is null)
                {
                    return;
                }
            }
        }
    }

    [LoggerMessage(EventId = 1114, Level = LogLevel.Warning, Message = "Campaign {CampaignId} is sent on channel {Channel}, which has no sender (AddSender): its messages fail permanently")]
    private static partial void LogNoSender(ILogger logger, string campaignId, string channel);

    [LoggerMessage(EventId = 1116, Level = LogLevel.Warning, Message = "ChannelPolicies has a policy for channel {Channel}, which has no sender (AddSender): it applies to nothing (a misspelt channel name?)")]
    private static partial void LogPolicyWithoutSender(ILogger logger, string channel);

    [LoggerMessage(EventId = 1115, Level = LogLevel.Debug, Message = "The batch sender of channel {Channel} threw for a batch of {Count} messages, the first {MessageId} (the sends' reason names only the exception's type: its message may carry customer data)")]
    private static partial void LogBatchSenderThrew(ILogger logger, string channel, int count, string messageId, Exception exception);

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

    /// <summary>
    /// <see cref="ExceptionLoggingSender"/> for a batch sender: what its batch call throws is logged whole at Debug level
    /// (with the batch's size and first message id) and goes on unchanged.
    /// </summary>
    private sealed class ExceptionLoggingBatchSender(IBatchChannelSender inner, string channel, ILogger logger) : IBatchChannelSender
    {
        private readonly ExceptionLoggingSender _single = new(inner, channel, logger);

        public int MaxBatchSize => inner.MaxBatchSize;

        public ValueTask<SendResult> SendAsync(OutboundMessage message, CancellationToken cancellationToken) => _single.SendAsync(message, cancellationToken);

        public ValueTask SendBatchAsync(ReadOnlyMemory<OutboundMessage> messages, Memory<SendResult> results, CancellationToken cancellationToken)
        {
            ValueTask send;
            try
            {
                send = inner.SendBatchAsync(messages, results, cancellationToken);
            }
            catch (Exception ex) when (Noted(ex, messages, cancellationToken))
            {
                throw;
            }

            return send.IsCompletedSuccessfully ? send : AwaitAsync(send, messages, cancellationToken);
        }

        private async ValueTask AwaitAsync(ValueTask send, ReadOnlyMemory<OutboundMessage> messages, CancellationToken cancellationToken)
        {
            try
            {
                await send.ConfigureAwait(false);
            }
            catch (Exception ex) when (Noted(ex, messages, cancellationToken))
            {
                throw;
            }
        }

        private bool Noted(Exception exception, ReadOnlyMemory<OutboundMessage> messages, CancellationToken cancellationToken)
        {
            if (!(exception is OperationCanceledException && cancellationToken.IsCancellationRequested) && messages.Length > 0)
            {
                LogBatchSenderThrew(logger, channel, messages.Length, messages.Span[0].MessageId, exception);
            }

            return false;
        }
    }
}
