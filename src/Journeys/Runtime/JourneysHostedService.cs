using Microsoft.Extensions.Hosting;

namespace Journeys.Runtime;

/// <summary>Runs the <see cref="JourneyEngine"/> for the lifetime of the host.</summary>
internal sealed class JourneysHostedService(JourneyEngine engine) : BackgroundService
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

    protected override Task ExecuteAsync(CancellationToken stoppingToken) => engine.RunAsync(stoppingToken);
}
