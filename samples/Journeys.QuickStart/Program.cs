using System.Diagnostics;
using Journeys.Audiences;
using Journeys.Model;
using Journeys.QuickStart;
using Journeys.Runtime;
using Journeys.Storage;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Time.Testing;

// The abandoned-cart journey, run end to end for 5,000 simulated shoppers over 3 simulated days: the hosted engine on
// the embedded SQLite store (a local file, recreated per run; `--in-memory` for the in-memory store), a fake clock
// moved 10 minutes at a time, console senders that play the providers' feedback.
const int ShopperCount = 5_000;
var simulatedDays = TimeSpan.FromDays(3);
var step = TimeSpan.FromMinutes(10);
var wallClock = Stopwatch.StartNew();

// The simulated world: a fake clock, the shoppers (drawn from one seeded generator, so every run is the same),
// and the events they will produce, waiting for their simulated time.
var start = new DateTimeOffset(2026, 5, 4, 0, 0, 0, TimeSpan.Zero);
var clock = new FakeTimeProvider(start);
var schedule = new EventSchedule();
var shoppers = new Shoppers(SimulatedCustomer.Draw(ShopperCount, new Random(42)), schedule);
SimulatedChannelSender[] senders =
[
    new(Channel.Push, clock, logEvery: 1_000, onSent: shoppers.OnPushSent),
    new(Channel.WhatsApp, clock, logEvery: 250),
    new(Channel.Email, clock, logEvery: 500),
    new(Channel.Sms, clock, logEvery: 500),
];

// The store: a SQLite file next to the sample's binaries, deleted first so every run starts empty.
var inMemory = args.Contains("--in-memory", StringComparer.Ordinal);
var databasePath = Path.Combine(AppContext.BaseDirectory, "journeys-quickstart.db");
if (!inMemory)
{
    foreach (var file in new[] { databasePath, databasePath + "-wal", databasePath + "-shm" })
    {
        File.Delete(file);
    }
}

// The host: Journeys on SQLite (or in memory), reading time from the fake clock.
var builder = Host.CreateApplicationBuilder(args.Where(a => a != "--in-memory").ToArray());
var logs = new WarningSummaryLoggerProvider();
builder.Logging.ClearProviders().AddProvider(logs).SetMinimumLevel(LogLevel.Warning);
builder.Services.AddSingleton<TimeProvider>(clock);
builder.Services.AddJourneys(j =>
{
    foreach (var sender in senders)
    {
        j.AddSender(sender.Channel, sender);
    }

    j.AddCampaigns(AbandonedCart.Campaigns);
    if (!inMemory)
    {
        j.UseSqlite($"Data Source={databasePath}");
    }
});
using var host = builder.Build();
await host.StartAsync();

var manager = host.Services.GetRequiredService<IJourneyManager>();
var audience = host.Services.GetRequiredService<IAudienceManager>();
foreach (var field in AbandonedCart.Schema.Fields)
{
    await audience.DefineFieldAsync(field);
}

await audience.PutCustomersAsync([.. shoppers.All.Select(s => s.ToInput())]);

var journey = AbandonedCart.Build();
await manager.CreateAsync(journey);
await manager.ActivateAsync(journey.Id);
Console.WriteLine(inMemory ? "Store: in memory (--in-memory)." : $"Store: SQLite file {databasePath} (recreated per run; --in-memory for the in-memory store).");
Console.WriteLine($"Journey '{journey.Name}' active; {ShopperCount:N0} shoppers abandon carts during the first day.");
Console.WriteLine($"The CRM webhook ({AbandonedCart.CrmUrl}) is not configured in this sample (no network), so every call fails");
Console.WriteLine("at once: shoppers still in the journey leave through the failure exit 'crm-unreachable'.");
Console.WriteLine();

// Run: publish what is due, move the clock, let the engine catch up; repeat.
shoppers.ScheduleOwnActions(start);
var driver = new EngineDriver(clock, manager, host.Services.GetRequiredService<IEnrollmentStore>(), journey, senders);
var published = new Dictionary<string, int>(StringComparer.Ordinal);
try
{
    while (driver.Now < start + simulatedDays)
    {
        var due = schedule.TakeDue(driver.Now);
        if (due.Count > 0)
        {
            await driver.PublishAsync(due);
            foreach (var e in due)
            {
                published[e.Name] = published.GetValueOrDefault(e.Name) + 1;
            }
        }

        await driver.AdvanceAsync(step);
        if ((driver.Now - start).Ticks % TimeSpan.FromHours(12).Ticks == 0)
        {
            Console.WriteLine($"  -- simulated {driver.Now:ddd HH:mm}: {string.Join(", ", published.Select(p => $"{p.Value:N0} {p.Key}"))}");
        }
    }
}
catch (TimeoutException ex)
{
    Console.WriteLine($"INCONSISTENT: {ex.Message}");
    return 1;
}

// Report.
var statistics = await manager.GetStatisticsAsync(journey.Id);
RunReport.PrintNodeTable(journey, statistics);
RunReport.PrintJourneyTotals(statistics);
var problems = await RunReport.CheckAsync(
    journey, statistics, host.Services.GetRequiredService<IEnrollmentStore>(), shoppers.All, senders, published.GetValueOrDefault(FeedbackEvents.Clicked), driver.Now);
await host.StopAsync();
logs.PrintRepeats();

Console.WriteLine();
Console.WriteLine($"{ShopperCount:N0} shoppers, {published.Values.Sum():N0} events, {senders.Sum(s => s.Total):N0} messages, " +
    $"{simulatedDays.TotalDays} simulated days in {wallClock.Elapsed.TotalSeconds:F1} s of wall-clock time.");
Console.WriteLine($"{published.GetValueOrDefault("cart_abandoned") - ShopperCount:N0} repeat abandons enrolled no one twice (already in the journey, or inside the 7-day re-entry cooldown).");

foreach (var problem in problems)
{
    Console.WriteLine($"INCONSISTENT: {problem}");
}

Console.WriteLine(problems.Count == 0 ? "Consistent: every enrollment ended or waits, and the sends add up." : $"{problems.Count} problems.");
return problems.Count == 0 ? 0 : 1;
