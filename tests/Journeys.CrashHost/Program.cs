using Journeys.Building;
using Journeys.CrashHost;
using Journeys.Model;
using Journeys.Runtime;
using Journeys.Storage;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

// The child process of the crash tests: runs the engine on a durable store with a journey of two sends, a delay and
// a wait that times out, over N customers, sending to the test's idempotent sink on loopback. The test kills it at
// random moments and starts it again; the first start creates the customers and activates the journey.
// Usage: Journeys.CrashHost --store sqlite --connection "Data Source=x.db" --sink-port 5000 --customers 2000
// [--spread-seconds 100] [--until-done], or --store postgresql --connection "Host=...;..." --schema name.
// The delay of customer i lasts until its `resume_at` field: the first start's time plus i/N of the spread, so the
// resumptions and the second sends go on through the whole kill loop and every kill can land in the middle of work.
var options = ParseArgs(args);
var customers = int.Parse(options["customers"], System.Globalization.CultureInfo.InvariantCulture);
var spread = TimeSpan.FromSeconds(options.TryGetValue("spread-seconds", out var s) ? double.Parse(s, System.Globalization.CultureInfo.InvariantCulture) : 0);
var port = int.Parse(options["sink-port"], System.Globalization.CultureInfo.InvariantCulture);
var untilDone = options.ContainsKey("until-done");

var builder = Host.CreateApplicationBuilder();
builder.Logging.ClearProviders().AddSimpleConsole().SetMinimumLevel(LogLevel.Error);
var sink = new TcpSinkSender(port);
builder.Services.AddJourneys(j =>
{
    switch (options["store"])
    {
        case "sqlite":
            j.UseSqlite(options["connection"]);
            break;
        case "postgresql":
            j.UseNpgsql(options["connection"], o => o.SchemaName = options["schema"]);
            break;
        default:
            throw new ArgumentException($"Unknown --store '{options["store"]}' (known: sqlite, postgresql).");
    }

    j.AddSender(Channel.Push, sink)
        .AddSender(Channel.Email, sink)
        .AddCampaigns(new Campaign("first", Channel.Push, "First"), new Campaign("second", Channel.Email, "Second"))
        .Configure(o =>
        {
            // Short leases: the work a killed process held comes back quickly.
            o.LeaseDuration = TimeSpan.FromSeconds(2);
            o.MaxIdle = TimeSpan.FromMilliseconds(500);
            o.ShardCount = 2;
            o.BatchSize = 64;
        });
});
using var host = builder.Build();
await host.StartAsync();
var manager = host.Services.GetRequiredService<IJourneyManager>();
if (await manager.GetAsync("crash") is null)
{
    // Upsert is idempotent: a kill during the first start just repeats it (with a later start time).
    var store = host.Services.GetRequiredService<ICustomerStore>();
    await store.SaveSchemaAsync(CustomerFieldSchema.Create(new FieldDefinition("resume_at", FieldType.DateTime)));
    var start = TimeProvider.System.GetUtcNow();
    await store.UpsertAsync([.. Enumerable.Range(0, customers).Select(i => new Customer(
        $"c{i:D5}",
        [new("resume_at", FieldValue.FromDateTime(start + (spread * i / customers)))]))]);
    var journey = JourneyBuilder.Create("crash", "Crash")
        .EnterAllCustomers()
        .Steps(p => p
            .Send(Channel.Push, "first", id: "send-1")
            .DelayUntilField("resume_at", TimeSpan.FromSeconds(2), id: "delay")
            .WaitForEvent("never", TimeSpan.FromSeconds(2), w => w
                .OnEvent(e => e.Exit("unexpected", id: "unexpected"))
                .OnTimeout(t => t.Send(Channel.Email, "second", id: "send-2").Exit("done", id: "done")), id: "wait"))
        .Build();
    await manager.CreateAsync(journey);
}

// A kill between creating and activating the journey leaves it a draft: activate on the next start.
if ((await manager.GetAsync("crash"))!.Journey.Status != JourneyStatus.Active)
{
    await manager.ActivateAsync("crash");
}

Console.WriteLine("READY");
var enrollments = host.Services.GetRequiredService<IEnrollmentStore>();
var outbox = host.Services.GetRequiredService<IOutboxStore>();
while (true)
{
    await Task.Delay(200);
    if (!untilDone)
    {
        continue;
    }

    var statistics = await manager.GetStatisticsAsync("crash");
    // Every send completed (a message being sent is leased, so the outbox's next due time does not show it), every
    // enrollment exited, nothing left due.
    var sent = statistics.Get("send-1", StatisticCounter.Sent) + statistics.Get("send-2", StatisticCounter.Sent);
    if (statistics.Get(StatisticCounter.Exited) >= customers && sent >= 2L * customers
        && await outbox.GetNextDueAsync() is null && await enrollments.GetNextWakeAsync() is null)
    {
        break;
    }
}

await host.StopAsync();
Console.WriteLine("DONE");
return 0;

static Dictionary<string, string> ParseArgs(string[] args)
{
    var options = new Dictionary<string, string>(StringComparer.Ordinal);
    for (var i = 0; i < args.Length; i++)
    {
        var name = args[i].TrimStart('-');
        options[name] = i + 1 < args.Length && !args[i + 1].StartsWith("--", StringComparison.Ordinal) ? args[++i] : "true";
    }

    return options;
}
