using Microsoft.Extensions.Hosting;

namespace Journeys.Runtime;

/// <summary>Runs the <see cref="JourneyEngine"/> for the lifetime of the host.</summary>
internal sealed class JourneysHostedService(JourneyEngine engine) : BackgroundService
{
    protected override Task ExecuteAsync(CancellationToken stoppingToken) => engine.RunAsync(stoppingToken);
}
