using System.Diagnostics;
using Journeys.Audiences;
using Journeys.Building;
using Journeys.Messaging;
using Journeys.Model;
using Journeys.Runtime;
using Journeys.Serialization;
using Journeys.Storage;
using Journeys.Validation;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Time.Testing;

// Uses the packages' public API exactly as a user's project would: the model, then README's example journey and
// quick start registration (Host.CreateApplicationBuilder, AddJourneys on the SQLite store, IAudienceManager,
// IJourneyManager) run end to end on a fake clock. Any failure exits non-zero.
var schema = CustomerFieldSchema.Create(
    new FieldDefinition("firstName", FieldType.String),
    new FieldDefinition("vip", FieldType.Boolean, FieldValue.FromBoolean(false)));

JourneyNode[] nodes =
[
    new SendNode("welcome", Channel.Email, new CampaignReference("welcome-email", new VariableBinding[] { new("name", "firstName") }), "done"),
    new ExitNode("done", "complete"),
];

var journey = new JourneyDefinition(
    "consumer-check", "Package consumer check", 1, JourneyStatus.Draft, new AllCustomersEntry(),
    EntryRules.Default, ExitRules.None, nodes, "welcome");

if (journey.FindNode("done") is not ExitNode || schema.GetSlot("VIP") != 1 || journey.Nodes.Count != 2)
{
    return Fail("the model API did not behave as expected");
}

var assembly = typeof(JourneyDefinition).Assembly;
var version = System.Reflection.CustomAttributeExtensions
    .GetCustomAttribute<System.Reflection.AssemblyInformationalVersionAttribute>(assembly)?.InformationalVersion;
Console.WriteLine($"package consumer: Journeys {version} from {assembly.Location}");
Console.WriteLine($"package consumer: journey '{journey.Id}' with {journey.Nodes.Count} nodes, schema with {schema.Fields.Count} fields: OK");

// README's example, as written there.
var cart = JourneyBuilder.Create("abandoned-cart", "Abandoned cart")
    .EnterOnEvent("cart_abandoned")
    .ConvertOn("purchase")
    .ReEnterAfterCooldown(TimeSpan.FromDays(7))
    .Steps(p => p
        .Delay(TimeSpan.FromHours(1))
        .Filter(f => f
            .When(Condition.Eq("vip", true), vip => vip.Send(Channel.WhatsApp, "vip-offer"))
            .Otherwise(other => other
                .Send(Channel.Push, "cart-reminder", id: "cart-push")
                .WaitForEvent("clicked", TimeSpan.FromDays(1), w => w
                    .CorrelatedTo("cart-push")
                    .OnTimeout(t => t.RandomSplit(s => s
                        .Path(50, e => e.Send(Channel.Email, "cart-email"))
                        .Path(50, m => m.Send(Channel.Sms, "cart-sms")))))))
        .Webhook("https://crm.example.com/hooks/cart", h => h
            .Fields("email")
            .OnFailure(f => f.Exit("crm-unreachable"))))
    .Build();

var cartSchema = CustomerFieldSchema.Create(new FieldDefinition("vip", FieldType.Boolean), new FieldDefinition("email", FieldType.String));
Campaign[] campaigns =
[
    new("vip-offer", Channel.WhatsApp, "A gift for you"),
    new("cart-reminder", Channel.Push, "Your cart is waiting"),
    new("cart-email", Channel.Email, "Still thinking about it?"),
    new("cart-sms", Channel.Sms, "Your cart is waiting"),
];
var result = JourneyValidator.Validate(cart, cartSchema, CampaignCatalog.Create(campaigns));
if (!result.IsValid)
{
    return Fail($"README's journey does not validate: {string.Join("; ", result.Errors.Select(e => e.Message))}");
}

var json = JourneyJson.Serialize(cart, indented: true);
if (JourneyJson.Serialize(JourneyJson.Deserialize(json), indented: true) != json)
{
    return Fail("README's journey does not survive a JSON round trip");
}

// README's quick start registration: the hosted engine on the SQLite store, on a fake clock.
var databasePath = Path.Combine(Path.GetTempPath(), $"journeys-consumer-{Environment.ProcessId}.db");
var clock = new FakeTimeProvider(new DateTimeOffset(2026, 5, 4, 9, 0, 0, TimeSpan.Zero));
var push = new RecordingChannelSender();
var builder = Host.CreateApplicationBuilder(args);
builder.Logging.SetMinimumLevel(LogLevel.Warning);
builder.Services.AddSingleton<TimeProvider>(clock);
builder.Services.AddJourneys(j => j
    .UseSqlite($"Data Source={databasePath}")
    .AddSender(Channel.Push, push)
    .AddSender(Channel.WhatsApp, new RecordingChannelSender())
    .AddSender(Channel.Email, new RecordingChannelSender())
    .AddSender(Channel.Sms, new RecordingChannelSender())
    .AddCampaigns(campaigns));
try
{
    using var host = builder.Build();
    await host.StartAsync();
    var audience = host.Services.GetRequiredService<IAudienceManager>();
    await audience.DefineFieldAsync(new FieldDefinition("vip", FieldType.Boolean));
    await audience.DefineFieldAsync(new FieldDefinition("email", FieldType.String));
    await audience.PutCustomersAsync([new CustomerInput("ana@example.com", new Dictionary<string, object?> { ["vip"] = false, ["email"] = "ana@example.com" })]);

    var manager = host.Services.GetRequiredService<IJourneyManager>();
    await manager.CreateAsync(cart);
    await manager.ActivateAsync(cart.Id);
    await manager.PublishAsync([new CustomerEvent("ana@example.com", "cart_abandoned", [], clock.GetUtcNow())]);
    await Eventually(async () => (await manager.GetStatisticsAsync(cart.Id)).Get(StatisticCounter.Entered) == 1, "the cart_abandoned event enrolls the customer");

    clock.Advance(TimeSpan.FromHours(1));
    await Eventually(() => ValueTask.FromResult(push.Messages.Count == 1), "the push after the 1-hour delay");
    await manager.PublishAsync([new CustomerEvent("ana@example.com", "purchase", [], clock.GetUtcNow())]);
    await Eventually(async () => (await manager.GetStatisticsAsync(cart.Id)).Get(StatisticCounter.Converted) == 1, "the purchase converts the enrollment");
    await host.StopAsync();
}
catch (TimeoutException ex)
{
    return Fail(ex.Message);
}
finally
{
    foreach (var file in new[] { databasePath, databasePath + "-wal", databasePath + "-shm" })
    {
        File.Delete(file);
    }
}

Console.WriteLine("package consumer: README's abandoned-cart journey on AddJourneys(j => j.UseSqlite(...)): entered, pushed after the delay, converted: OK");
return 0;

static int Fail(string message)
{
    Console.Error.WriteLine($"package consumer: {message}");
    return 1;
}

static async Task Eventually(Func<ValueTask<bool>> condition, string what)
{
    var started = Stopwatch.GetTimestamp();
    while (!await condition())
    {
        if (Stopwatch.GetElapsedTime(started) > TimeSpan.FromSeconds(30))
        {
            throw new TimeoutException($"timed out after 30 s waiting for: {what}");
        }

        await Task.Delay(20);
    }
}
