using Journeys.Model;
using Microsoft.Extensions.Logging;
using Polly;
using Polly.CircuitBreaker;
using Polly.RateLimiting;

namespace Journeys.Messaging;

/// <summary>The pipeline of a channel whose sender takes batches (<see cref="IBatchChannelSender"/>): one run per batch.</summary>
internal static partial class SendPipelineFactory
{
    // The batch an execution sends, for the rate limiter, which sees only the context.
    private static readonly ResiliencePropertyKey<BatchSend> BatchKey = new("Journeys.BatchSend");

    /// <summary>
    /// Creates the batch pipeline of a channel: the same strategies and options as <see cref="Create"/>, in the same order,
    /// run once per batch. The timeout covers one batch call. A retry follows a call that threw or left any message with a
    /// transient result, and sends only the messages still transient. The circuit breaker counts a call as failed when it
    /// threw (or timed out) or every message of it failed transiently; one outcome per call. The rate limiter takes one
    /// permit per message of each call (the dispatcher makes no batch larger than <see cref="ChannelPolicyOptions.PermitsPerSecond"/>).
    /// </summary>
    /// <exception cref="ArgumentException">The options are invalid.</exception>
    public static ResiliencePipeline<BatchAttempt> CreateBatch(Channel channel, ChannelPolicyOptions options, TimeProvider timeProvider, ILogger? logger, CircuitBreakerStateProvider? circuit = null)
    {
        var builder = NewBuilder<BatchAttempt>(channel, options, timeProvider);
        AddRetry(
            builder,
            channel.Name,
            options,
            static args => new(args.Outcome.Exception is { } exception ? IsTransient(exception, args.Context) : args.Outcome.Result.Transient > 0),
            DescribeBatch,
            logger);
        if (options.PermitsPerSecond is not null)
        {
#pragma warning disable CA2000 // Owned by the pipeline for the process lifetime (CreateLimiter).
            var limiter = CreateLimiter(options);
#pragma warning restore CA2000
            builder.AddRateLimiter(new RateLimiterStrategyOptions
            {
                RateLimiter = args => limiter.AcquireAsync(args.Context.Properties.GetValue(BatchKey, null!).PendingCount, args.Context.CancellationToken),
            });
        }

        AddBreakerAndTimeout(
            builder,
            channel.Name,
            options,
            static args => new(args.Outcome.Exception is { } exception ? IsTransient(exception, args.Context) : args.Outcome.Result.AllTransient),
            logger,
            circuit);
        return builder.Build();
    }

    /// <summary>
    /// Sends <paramref name="batch"/> through its channel's batch pipeline; each message's result is then in the batch.
    /// What the pipeline threw at the end (timeout, open circuit, rate limit rejection, the sender's exception) becomes
    /// the transient result of every message still pending. Cancellation by the caller propagates.
    /// </summary>
    public static ValueTask SendBatchAsync(this ResiliencePipeline<BatchAttempt> pipeline, BatchSend batch, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(pipeline);
        ArgumentNullException.ThrowIfNull(batch);
        var context = ResilienceContextPool.Shared.Get(cancellationToken);
        context.Properties.Set(BatchKey, batch);
        ValueTask<Outcome<BatchAttempt>> execution;
        try
        {
            execution = pipeline.ExecuteOutcomeAsync(static (context, batch) => batch.AttemptAsync(context), context, batch);
        }
        catch (Exception ex)
        {
            ResilienceContextPool.Shared.Return(context);
            return ValueTask.FromException(ex);
        }

        if (!execution.IsCompletedSuccessfully)
        {
            return AwaitBatchAsync(execution, context, batch, cancellationToken);
        }

        var outcome = execution.Result;
        ResilienceContextPool.Shared.Return(context);
        return FinishBatch(outcome, batch, cancellationToken);
    }

    private static async ValueTask AwaitBatchAsync(ValueTask<Outcome<BatchAttempt>> execution, ResilienceContext context, BatchSend batch, CancellationToken cancellationToken)
    {
        Outcome<BatchAttempt> outcome;
        try
        {
            outcome = await execution.ConfigureAwait(false);
        }
        finally
        {
            ResilienceContextPool.Shared.Return(context);
        }

        await FinishBatch(outcome, batch, cancellationToken).ConfigureAwait(false);
    }

    private static ValueTask FinishBatch(Outcome<BatchAttempt> outcome, BatchSend batch, CancellationToken cancellationToken)
    {
        if (outcome.Exception is null)
        {
            return default;
        }

        if (outcome.Exception is OperationCanceledException && cancellationToken.IsCancellationRequested)
        {
            return ValueTask.FromException(outcome.Exception);
        }

        batch.FailPending(SendResult.Transient(DescribeException(outcome.Exception)));
        return default;
    }

    private static string DescribeBatch(Outcome<BatchAttempt> outcome) =>
        outcome.Exception is { } ex ? DescribeException(ex) : $"{outcome.Result.Transient} of {outcome.Result.Attempted} messages failed transiently";
}
