using Journeys.Messaging;
using Journeys.Model;
using Journeys.Runtime;
using Journeys.Sendings;
using Journeys.Storage;
using Journeys.Storage.Tests.Sqlite;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Journeys.Storage.Tests.Registration;

/// <summary>
/// Every store's registration passes the container's own checks, as a host in the Development environment runs them
/// (<see cref="ServiceProviderOptions.ValidateOnBuild"/> and <see cref="ServiceProviderOptions.ValidateScopes"/>): no
/// service depends on one that is missing or on a scoped one; and a container disposed synchronously (a <c>using</c> of
/// the provider, as console hosts and tests write it) disposes every store.
/// </summary>
public sealed class ContainerValidationTests
{
    [Theory]
    [InlineData("memory")]
    [InlineData("sqlite")]
    [InlineData("npgsql")]
    public void The_registration_passes_the_containers_build_and_scope_validation_and_a_synchronous_dispose(string store)
    {
        using var file = new SqliteTestFile();
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddJourneys(j =>
        {
            j.AddSender(Channel.Push, new NoSender());
            switch (store)
            {
                case "sqlite":
                    j.UseSqlite(file.ConnectionString);
                    break;
                case "npgsql":
                    j.UseNpgsql("Host=127.0.0.1;Port=1;Username=nobody;Password=none;Database=never_opened");
                    break;
            }
        });

        using var provider = services.BuildServiceProvider(new ServiceProviderOptions { ValidateOnBuild = true, ValidateScopes = true });

        // What a host resolves: the hosted services and the public services, from the root provider.
        Assert.NotEmpty(provider.GetServices<IHostedService>());
        Assert.NotNull(provider.GetRequiredService<IJourneyManager>());
        Assert.NotNull(provider.GetRequiredService<ISendingManager>());
        Assert.NotNull(provider.GetRequiredService<IJourneyEngineMonitor>());
        Assert.NotNull(provider.GetRequiredService<ICustomerStore>());
    }

    private sealed class NoSender : IChannelSender
    {
        public ValueTask<SendResult> SendAsync(OutboundMessage message, CancellationToken cancellationToken) =>
            throw new InvalidOperationException("not sent in this test");
    }
}
