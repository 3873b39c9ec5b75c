using System.Diagnostics.CodeAnalysis;
using System.Threading.RateLimiting;
using Journeys.Model;
using Microsoft.Extensions.Logging;
using Polly;
using Polly.CircuitBreaker;
using Polly.RateLimiting;
using Polly.Retry;
using Polly.Timeout;

namespace Journeys.Messaging;

/// <summary>
/// Builds the resilience pipeline of a channel's sends. From the outside in: retry, rate limiter (a permit per
/// attempt), circuit breaker, timeout per attempt. Transient failures (results, exceptions, timeouts) are retried and
/// counted by the circuit breaker; permanent failures are neither (a bad address says nothing about the provider's
/// health).
/// </summary>
internal static partial class SendPipelineFactory
{
    /// <summary>Creates the pipeline.</summary>
    /// <param name="channel">The channel whose sends it runs.</param>
    /// <param name="options">The channel's policy.</param>
    /// <param name="timeProvider">The engine's clock.</param>
    /// <param name="logger">Logs retries and the circuit's changes, if given.</param>
    /// <param name="circuit">Reads the circuit breaker's state (a health check), if given.</param>
    /// <exception cref="ArgumentException">The options are invalid.</exception>
    public static ResiliencePipeline<SendResult> Create(Channel channel, ChannelPolicyOptions options, TimeProvider timeProvider, ILogger? logger, CircuitBreakerStateProvider? circuit = null)
    {
        var builder = NewBuilder<SendResult>(channel, options, timeProvider);
        AddRetry(builder, channel.Name, options, static args => new(IsTransient(args.Outcome, args.Context)), Describe, logger);
        if (options.PermitsPerSecond is not null)
        {
#pragma warning disable CA2000 // Owned by the pipeline for the process lifetime (CreateLimiter).
            builder.AddRateLimiter(CreateLimiter(options));
#pragma warning restore CA2000
        }

        AddBreakerAndTimeout(builder, channel.Name, options, static args => new(IsTransient(args.Outcome, args.Context)), logger, circuit);
        return builder.Build();
    }

    // The options checked, the builder on the engine's clock.
    private static ResiliencePipelineBuilder<TResult> NewBuilder<[DynamicallyAccessedMembers(DynamicallyAccessedMemberTypes.All)] TResult>(Channel channel, ChannelPolicyOptions options, TimeProvider timeProvider)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(timeProvider);
        var errors = options.Validate();
        if (errors.Count > 0)
        {
            throw new ArgumentException($"Channel policy '{channel.Name}' is invalid: {string.Join(" ", errors)}", nameof(options));
        }

        return new ResiliencePipelineBuilder<TResult> { Name = $"Journeys.Send.{channel.Name}", TimeProvider = timeProvider };
    }

    private static void AddRetry<[DynamicallyAccessedMembers(DynamicallyAccessedMemberTypes.All)] TResult>(
        ResiliencePipelineBuilder<TResult> builder,
        string channelName,
        ChannelPolicyOptions options,
        Func<RetryPredicateArguments<TResult>, ValueTask<bool>> shouldHandle,
        Func<Outcome<TResult>, string> describe,
        ILogger? logger)
    {
        if (options.MaxRetryAttempts == 0)
        {
            return;
        }

        builder.AddRetry(new RetryStrategyOptions<TResult>
        {
            MaxRetryAttempts = options.MaxRetryAttempts,
            BackoffType = DelayBackoffType.Exponential,
            UseJitter = true,
            Delay = options.RetryBaseDelay,
            MaxDelay = options.RetryMaxDelay,
            ShouldHandle = shouldHandle,
            OnRetry = args =>
            {
                if (logger is not null)
                {
                    LogRetry(logger, channelName, args.AttemptNumber + 1, args.RetryDelay, describe(args.Outcome));
                }

                return default;
            },
        });
    }

    // Inside the retry: every attempt is a call to the provider, whose limit this is, so each takes its permits (a retry
    // outside the limiter would send a burst of retries past it). Outside the circuit breaker, so a rejection is not
    // sampled by the breaker as a success. The limiter replenishes on its own timer (System.Threading.RateLimiting takes
    // no TimeProvider); it lives as long as the pipeline, which lives as long as the dispatcher.
    private static TokenBucketRateLimiter CreateLimiter(ChannelPolicyOptions options)
    {
        var permits = options.PermitsPerSecond!.Value;
        return new TokenBucketRateLimiter(new TokenBucketRateLimiterOptions
        {
            TokenLimit = permits,
            TokensPerPeriod = permits,
            ReplenishmentPeriod = TimeSpan.FromSeconds(1),
            QueueLimit = options.RateLimitQueueLimit,
            QueueProcessingOrder = QueueProcessingOrder.OldestFirst,
            AutoReplenishment = true,
        });
    }

    private static void AddBreakerAndTimeout<[DynamicallyAccessedMembers(DynamicallyAccessedMemberTypes.All)] TResult>(
        ResiliencePipelineBuilder<TResult> builder,
        string channelName,
        ChannelPolicyOptions options,
        Func<CircuitBreakerPredicateArguments<TResult>, ValueTask<bool>> shouldHandle,
        ILogger? logger,
        CircuitBreakerStateProvider? circuit)
    {
        builder.AddCircuitBreaker(new CircuitBreakerStrategyOptions<TResult>
        {
            StateProvider = circuit,
            FailureRatio = options.CircuitBreakerFailureRatio,
            MinimumThroughput = options.CircuitBreakerMinimumThroughput,
            SamplingDuration = options.CircuitBreakerSamplingDuration,
            BreakDuration = options.CircuitBreakerBreakDuration,
            ShouldHandle = shouldHandle,
            OnOpened = args =>
            {
                if (logger is not null)
                {
                    LogCircuitOpened(logger, channelName, args.BreakDuration);
                }

                return default;
            },
            OnClosed = _ =>
            {
                if (logger is not null)
                {
                    LogCircuitClosed(logger, channelName);
                }

                return default;
            },
        });

        builder.AddTimeout(options.Timeout);
    }

    /// <summary>
    /// Sends one message through the pipeline and turns what the pipeline throws (timeout, open circuit, rate limit
    /// rejection, sender exception) into a transient <see cref="SendResult"/>. Cancellation by the caller propagates.
    /// </summary>
    /// <remarks>
    /// A send that completes at once through the whole pipeline (an in-process sender, no retry delay) runs without an
    /// async state machine of this method or of the sender's call; one that waits takes the awaiting path. Either way
    /// the pipeline sees the same calls and outcomes, and a failed send comes back in the returned task, not thrown here.
    /// </remarks>
    public static ValueTask<SendResult> SendAsync(
        this ResiliencePipeline<SendResult> pipeline,
        IChannelSender sender,
        OutboundMessage message,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(pipeline);
        var context = ResilienceContextPool.Shared.Get(cancellationToken);
        ValueTask<Outcome<SendResult>> execution;
        try
        {
            execution = pipeline.ExecuteOutcomeAsync(CallSender, context, (Sender: sender, Message: message));
        }
        catch (Exception ex)
        {
            ResilienceContextPool.Shared.Return(context);
            return ValueTask.FromException<SendResult>(ex);
        }

        if (!execution.IsCompletedSuccessfully)
        {
            return AwaitPipelineAsync(execution, context, cancellationToken);
        }

        var outcome = execution.Result;
        ResilienceContextPool.Shared.Return(context);
        return Finish(outcome, cancellationToken);
    }

    private static async ValueTask<SendResult> AwaitPipelineAsync(ValueTask<Outcome<SendResult>> execution, ResilienceContext context, CancellationToken cancellationToken)
    {
        Outcome<SendResult> outcome;
        try
        {
            outcome = await execution.ConfigureAwait(false);
        }
        finally
        {
            ResilienceContextPool.Shared.Return(context);
        }

        return await Finish(outcome, cancellationToken).ConfigureAwait(false);
    }

    // What the pipeline threw becomes a transient result (see SendAsync); the caller's cancellation propagates.
    private static ValueTask<SendResult> Finish(Outcome<SendResult> outcome, CancellationToken cancellationToken)
    {
        if (outcome.Exception is null)
        {
            return new(outcome.Result);
        }

        if (outcome.Exception is OperationCanceledException && cancellationToken.IsCancellationRequested)
        {
            return ValueTask.FromException<SendResult>(outcome.Exception);
        }

        return new(SendResult.Transient(DescribeException(outcome.Exception)));
    }

    // The pipeline's callback: the sender's result or exception as an outcome, without a state machine when it completes at once.
    private static ValueTask<Outcome<SendResult>> CallSender(ResilienceContext context, (IChannelSender Sender, OutboundMessage Message) state)
    {
        ValueTask<SendResult> send;
        try
        {
            send = state.Sender.SendAsync(state.Message, context.CancellationToken);
        }
        catch (Exception ex)
        {
            return new(Outcome.FromException<SendResult>(ex));
        }

        return send.IsCompletedSuccessfully ? new(Outcome.FromResult(send.Result)) : AwaitSenderAsync(send, context);
    }

    private static async ValueTask<Outcome<SendResult>> AwaitSenderAsync(ValueTask<SendResult> send, ResilienceContext context)
    {
        try
        {
            return Outcome.FromResult(await send.ConfigureAwait(context.ContinueOnCapturedContext));
        }
        catch (Exception ex)
        {
            return Outcome.FromException<SendResult>(ex);
        }
    }

    /// <summary>The reason of the transient result of a send the open circuit refused.</summary>
    internal const string CircuitOpenReason = "circuit open";

    /// <summary>The reason of the transient result of a send the rate limiter refused (its queue was full).</summary>
    internal const string RateLimitedReason = "rate limited";

    private static bool IsTransient(Outcome<SendResult> outcome, ResilienceContext context) =>
        outcome.Exception is { } exception ? IsTransient(exception, context) : outcome.Result.Outcome == SendOutcome.TransientFailure;

    private static bool IsTransient(Exception exception, ResilienceContext context) => exception switch
    {
        // The caller gave up: neither retry nor blame the provider.
        OperationCanceledException when context.CancellationToken.IsCancellationRequested => false,

        // Retrying into an open circuit only burns the attempts; the dispatcher tries again later.
        BrokenCircuitException or RateLimiterRejectedException => false,
        _ => true,
    };

    private static string Describe(Outcome<SendResult> outcome) =>
        outcome.Exception is { } ex ? DescribeException(ex) : outcome.Result.Reason ?? outcome.Result.Outcome.ToString();

    // Exception messages may carry personal data (addresses, bodies): only the kind is reported.
    private static string DescribeException(Exception exception) => exception switch
    {
        TimeoutRejectedException => "timeout",
        BrokenCircuitException => CircuitOpenReason,
        RateLimiterRejectedException => RateLimitedReason,
        _ => $"exception {exception.GetType().Name}",
    };

    [LoggerMessage(EventId = 1110, Level = LogLevel.Warning, Message = "Send on channel {Channel} failed ({Reason}); attempt {Attempt} in {Delay}")]
    private static partial void LogRetry(ILogger logger, string channel, int attempt, TimeSpan delay, string reason);

    [LoggerMessage(EventId = 1111, Level = LogLevel.Warning, Message = "Circuit of channel {Channel} opened for {BreakDuration}")]
    private static partial void LogCircuitOpened(ILogger logger, string channel, TimeSpan breakDuration);

    [LoggerMessage(EventId = 1112, Level = LogLevel.Information, Message = "Circuit of channel {Channel} closed")]
    private static partial void LogCircuitClosed(ILogger logger, string channel);
}
