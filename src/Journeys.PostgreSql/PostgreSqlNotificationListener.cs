using Journeys.Runtime;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace Journeys.PostgreSql;

/// <summary>
/// Holds one connection that <c>LISTEN</c>s on the schema's channel and wakes this host's engine when any host commits
/// new work, events or outbox messages, tells it when another host's cancel withdrew outbox messages (which its
/// dispatcher may hold), and when a journey was saved or deleted or the customer schema changed (it then forgets what
/// it compiled). When the connection drops it reconnects (with a growing delay) and tells the engine all of these once,
/// since notifications sent meanwhile are lost.
/// </summary>
internal sealed partial class PostgreSqlNotificationListener(PostgreSqlDatabase database, IJourneyEngineSignal engine, ILogger<PostgreSqlNotificationListener> logger) : BackgroundService
{
    /// <summary>Set once the LISTEN is in place (tests wait on it).</summary>
    private readonly TaskCompletionSource _listening = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Completes when the first LISTEN is in place.</summary>
    public Task Listening => _listening.Task;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!database.Options.ListenForNotifications)
        {
            return;
        }

        var delay = database.Options.RetryDelay;
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await database.EnsureInitializedAsync(stoppingToken).ConfigureAwait(false);
                var connection = await database.DataSource.OpenConnectionAsync(stoppingToken).ConfigureAwait(false);
                await using (connection.ConfigureAwait(false))
                {
                    connection.Notification += OnNotification;
                    using (var listen = new NpgsqlCommand($"LISTEN \"{database.Channel}\"", connection))
                    {
                        await listen.ExecuteNonQueryAsync(stoppingToken).ConfigureAwait(false);
                    }

                    delay = database.Options.RetryDelay;

                    // Work committed, messages withdrawn, and journeys or the schema changed while no LISTEN was in place
                    // were not announced to this host.
                    engine.NotifyWork();
                    engine.NotifyOutbox();
                    engine.NotifyWithdrawn();
                    engine.NotifySchemaChanged();
                    _listening.TrySetResult();
                    while (!stoppingToken.IsCancellationRequested)
                    {
                        await connection.WaitAsync(stoppingToken).ConfigureAwait(false);
                    }
                }
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex) when (ex is NpgsqlException or PostgreSqlStoreUnavailableException or ObjectDisposedException or InvalidOperationException)
            {
                LogListenFailed(logger, database.Location, delay, ex);
                try
                {
                    await Task.Delay(delay, stoppingToken).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    return;
                }

                delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, database.Options.MaxRetryDelay.Ticks));
            }
        }
    }

    private void OnNotification(object sender, NpgsqlNotificationEventArgs args)
    {
        if (string.Equals(args.Payload, PostgreSqlDatabase.OutboxPayload, StringComparison.Ordinal))
        {
            engine.NotifyOutbox();
        }
        else if (string.Equals(args.Payload, PostgreSqlDatabase.WithdrawnPayload, StringComparison.Ordinal))
        {
            engine.NotifyWithdrawn();
        }
        else if (args.Payload.StartsWith(PostgreSqlDatabase.JourneyPayloadPrefix, StringComparison.Ordinal))
        {
            engine.NotifyJourneyChanged(args.Payload[PostgreSqlDatabase.JourneyPayloadPrefix.Length..]);
        }
        else if (string.Equals(args.Payload, PostgreSqlDatabase.SchemaPayload, StringComparison.Ordinal))
        {
            engine.NotifySchemaChanged();
        }
        else
        {
            engine.NotifyWork();
        }
    }

    [LoggerMessage(EventId = 2, Level = LogLevel.Warning, Message = "PostgreSQL store: LISTEN connection to {Location} failed; retrying in {Delay}")]
    private static partial void LogListenFailed(ILogger logger, string location, TimeSpan delay, Exception exception);
}
