using Journeys.Messaging;

namespace Journeys.Storage;

/// <summary>The result of sending one claimed message.</summary>
/// <param name="MessageId">The message.</param>
/// <param name="Result">The send result.</param>
/// <param name="RetryAt">For a transient failure with attempts left, when to try again; otherwise <see langword="null"/>.</param>
/// <param name="Statistics">Counter deltas (sent, failed).</param>
public sealed record OutboxResult(string MessageId, SendResult Result, DateTimeOffset? RetryAt, IReadOnlyList<StatisticDelta> Statistics);
