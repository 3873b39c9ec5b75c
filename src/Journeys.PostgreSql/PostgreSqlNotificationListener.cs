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

    /// <summary>Refuses, so the host's start fails, a pool too small to listen: see <see cref="ExecuteAsync"/>.</summary>
    /// <param name="cancellationToken">Cancels the start.</param>
    public override Task StartAsync(CancellationToken cancellationToken)
    {
        if (database.Options.ListenForNotifications && database.PoolSize is < 2)
        {
            // The listener holds its pooled connection for the host's life: with a pool of one, every other operation
            // waited for the pool until its timeout and failed, and the engine did nothing.
            throw new InvalidOperationException(
                $"The PostgreSQL store needs Maximum Pool Size of 2 or more in the connection string to listen for notifications (it is {database.PoolSize}): the listener holds one connection for as long as the host runs, and the store's operations need at least one more. Raise it, or set PostgreSqlStoreOptions.ListenForNotifications to false.");
        }

        return base.StartAsync(cancellationToken);
    }

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
