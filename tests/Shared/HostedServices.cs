using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Journeys.Tests.Shared;

/// <summary>Runs a provider's hosted services (the engine and what the stores register) for a test.</summary>
internal static class HostedServices
{
    /// <summary>Starts the hosted services of <paramref name="provider"/> in order; disposing the result stops them in reverse order.</summary>
    public static async Task<IAsyncDisposable> RunAsync(IServiceProvider provider)
    {
        var hosted = provider.GetServices<IHostedService>().ToArray();
        foreach (var service in hosted)
        {
            await service.StartAsync(default);
        }

        return new Stopper(hosted);
    }

    private sealed class Stopper(IHostedService[] hosted) : IAsyncDisposable
    {
        public async ValueTask DisposeAsync()
        {
            foreach (var service in hosted.Reverse())
            {
                await service.StopAsync(default);
            }
        }
    }
}
