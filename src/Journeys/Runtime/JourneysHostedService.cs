using Microsoft.Extensions.Hosting;

namespace Journeys.Runtime;

/// <summary>
/// Runs the <see cref="JourneyEngine"/> for the lifetime of the host, and beside it the intakes of journeys activated
/// before their entry window opened (<see cref="JourneyManager.RunEntryWindowsAsync"/>) and the purge of old customer
/// events and event ids (<see cref="EventPurger"/>).
/// </summary>
internal sealed class JourneysHostedService(JourneyEngine engine, JourneyManager manager, EventPurger purger) : BackgroundService
{
    /// <inheritdoc />
    /// <remarks>
    /// The engine is marked as starting before <see cref="BackgroundService"/> runs it in the background, so enrollments
    /// made right after the host started are already leased to it (its pump routes them once it runs).
    /// </remarks>
    public override Task StartAsync(CancellationToken cancellationToken)
    {
        engine.MarkStarting();
        return base.StartAsync(cancellationToken);
    }

    /// <inheritdoc />
    /// <remarks>
    /// The engine is marked as stopped once <see cref="BackgroundService"/> has stopped it, also when it never ran: a
    /// host stopped right after its start cancels the background run before it begins, and the engine would otherwise
    /// stay marked as starting (taking enrollments leased to a pump that never runs, and reported as running).
    /// </remarks>
    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        try
        {
            await base.StopAsync(cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            engine.MarkStopped();
        }
    }

    /// <inheritdoc />
    /// <remarks>
    /// The engine runs and watches the entry-window intakes and the event purge beside its own loops: any of them that
    /// ends while the host runs stops them all and fails this service with a <see cref="JourneyEngineFaultedException"/>
    /// (<see cref="JourneyEngine.RunAsync(IReadOnlyList{ValueTuple{string, Func{CancellationToken, Task}}}, CancellationToken)"/>).
    /// </remarks>
    protected override Task ExecuteAsync(CancellationToken stoppingToken) =>
        engine.RunAsync(
            [
                ("entry-window intakes", manager.RunEntryWindowsAsync),
                ("event purge", purger.RunAsync),
            ],
            stoppingToken);
}
