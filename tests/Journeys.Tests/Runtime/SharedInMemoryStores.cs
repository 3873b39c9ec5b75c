using Journeys.Runtime;
using Journeys.Storage;
using Journeys.Storage.InMemory;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Time.Testing;

namespace Journeys.Tests.Runtime;

/// <summary>
/// In-memory stores that outlive a host, as a database outlives a process: hosts built one after the other (a stop and
/// the next start, or another host) share them and the fake clock.
/// </summary>
internal sealed class SharedInMemoryStores(FakeTimeProvider time)
{
    private readonly InMemoryCustomerStore _customers = new();
    private readonly InMemoryJourneyStore _journeys = new(time);
    private InMemoryEngineStore? _engine;

    public FakeTimeProvider Time { get; } = time;

    /// <summary>
    /// A host on the shared stores with one shard; <paramref name="journeys"/> adds its
    /// senders, campaigns and options; <paramref name="enrollments"/>, when given, decorates the enrollment store.
    /// </summary>
    public IHost BuildHost(Action<IJourneysBuilder> journeys, ILoggerProvider? logs = null, Func<IEnrollmentStore, IEnrollmentStore>? enrollments = null)
    {
        var engine = _engine ??= new InMemoryEngineStore(_customers);
        var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        // Long enough for a stop on a loaded machine to end as it does on an idle one (the engine hands its work back
        // before the stop returns, and the next host on these stores relies on that); a stop that hangs is still seen by
        // the tests that check it (HostShutdownTests waits 20 s). With 2 s a slow stop returned before the hand-back.
        builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = TimeSpan.FromSeconds(30));
        if (logs is not null)
        {
            builder.Logging.AddProvider(logs).SetMinimumLevel(LogLevel.Trace);
        }

        builder.Services.AddSingleton<TimeProvider>(Time);
        builder.Services.AddSingleton(_customers);
        builder.Services.AddSingleton<ICustomerStore>(_customers);
        builder.Services.AddSingleton<IJourneyStore>(_journeys);
        builder.Services.AddSingleton(engine);
        builder.Services.AddSingleton(enrollments is null ? engine : enrollments(engine));
        builder.Services.AddSingleton<IOutboxStore>(engine);
        builder.Services.AddSingleton<IStatisticsStore>(engine);
        builder.Services.AddJourneys(j => journeys(j.Configure(o =>
        {
            o.ShardCount = 1;
            o.DefaultChannelPolicy.Timeout = TimeSpan.FromHours(24);
        })));
        return builder.Build();
    }
}
