using Journeys.Messaging;
using Journeys.PostgreSql;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Npgsql;

namespace Journeys.Storage.Tests.PostgreSql;

/// <summary>
/// Hosts of one PostgreSQL schema for the cross-host tests: one host only manages (its engine never runs), the other
/// runs its hosted services (engine and <c>LISTEN</c>), each on a data source of its own.
/// </summary>
internal static class TwoHosts
{
    /// <summary>A host's services on the schema, with a push sender and its campaigns (and <paramref name="extend"/>'s registrations after them).</summary>
    public static ServiceProvider Services(
        NpgsqlDataSource dataSource, string schema, string owner, IChannelSender push, Campaign[] campaigns, int shardCount = 2, TimeSpan? leaseDuration = null, Action<IServiceCollection>? extend = null)
    {
        var services = new ServiceCollection();
        services.AddJourneys(j => j
            .UsePostgreSql(dataSource, o => o.SchemaName = schema)
            .AddSender(Channel.Push, push)
            .AddCampaigns(campaigns)
            .Configure(o =>
            {
                o.OwnerId = owner;
                o.ShardCount = shardCount;
                o.LeaseDuration = leaseDuration ?? o.LeaseDuration;
            }));
        extend?.Invoke(services);
        return services.BuildServiceProvider();
    }

    /// <summary>Starts a host's hosted services and waits until it listens for the others' notifications.</summary>
    public static async Task<IHostedService[]> StartAsync(ServiceProvider host)
    {
        var hosted = host.GetServices<IHostedService>().ToArray();
        foreach (var service in hosted)
        {
            await service.StartAsync(default);
        }

        await hosted.OfType<PostgreSqlNotificationListener>().Single().Listening.WaitAsync(TimeSpan.FromSeconds(20));
        return hosted;
    }

    /// <summary>Stops what <see cref="StartAsync"/> started, in reverse order.</summary>
    public static async Task StopAsync(IHostedService[] hosted)
    {
        foreach (var service in hosted.Reverse())
        {
            await service.StopAsync(default);
        }
    }

    /// <summary>Waits (20 s at most) for a condition another host's work makes true.</summary>
    public static void Eventually(Func<bool> condition, string what) =>
        Assert.True(SpinWait.SpinUntil(condition, TimeSpan.FromSeconds(20)), $"Timed out waiting for: {what}");
}
