using Journeys.Building;
using Journeys.Model;
using Journeys.Serialization;
using Journeys.Validation;

// The abandoned-cart journey: built with the fluent builder, validated against the customer fields and the
// campaign catalog, written as a JSON document and read back. Running it for simulated customers on the
// embedded SQLite store arrives with the engine.
var schema = CustomerFieldSchema.Create(
    new FieldDefinition("firstName", FieldType.String),
    new FieldDefinition("email", FieldType.String),
    new FieldDefinition("vip", FieldType.Boolean, false));

var campaigns = CampaignCatalog.Create(
    new Campaign("vip-offer", Channel.WhatsApp, "Hi {{name}}, your VIP discount is waiting."),
    new Campaign("cart-reminder", Channel.Push, "{{name}}, you left something in your cart"),
    new Campaign("cart-email", Channel.Email, "Dear {{name}}, your cart misses you."),
    new Campaign("cart-sms", Channel.Sms, "Your cart is waiting."));

var journey = JourneyBuilder.Create("abandoned-cart", "Abandoned cart")
    .EnterOnEvent("cart_abandoned")
    .ConvertOn("purchase")
    .ReEnterAfterCooldown(TimeSpan.FromDays(7))
    .Steps(p => p
        .Delay(TimeSpan.FromHours(1))
        .Filter(f => f
            .When(Condition.Eq("vip", true), vip => vip
                .Send(Channel.WhatsApp, "vip-offer", v => v.Bind("name", "firstName", "friend")))
            .Otherwise(other => other
                .Send(Channel.Push, "cart-reminder", v => v.Bind("name", "firstName", "friend"), id: "cart-push")
                .WaitForEvent("click", TimeSpan.FromDays(1), w => w
                    .CorrelatedTo("cart-push")
                    .OnTimeout(t => t.RandomSplit(s => s
                        .Path(50, e => e.Send(Channel.Email, "cart-email", v => v.Bind("name", "firstName", "friend")))
                        .Path(50, m => m.Send(Channel.Sms, "cart-sms")))))))
        .Webhook("https://crm.example.com/hooks/cart", h => h
            .Fields("email")
            .OnFailure(f => f.Exit("crm-unreachable"))))
    .Build();

Console.WriteLine($"Journey '{journey.Name}' ({journey.Id} v{journey.Version}, {journey.Status}), starts at '{journey.StartNodeId}'");
foreach (var node in journey.Nodes)
{
    Console.WriteLine($"  {node.Id} ({node.GetType().Name})");
    foreach (var edge in node.GetEdges())
    {
        Console.WriteLine($"    --{edge.Name}--> {edge.Target ?? "(end)"}");
    }
}

var result = JourneyValidator.Validate(journey, schema, campaigns);
Console.WriteLine(result.IsValid ? "Validation: clean." : result.ToString());

var json = JourneyJson.Serialize(journey, indented: true);
var readBack = JourneyJson.Deserialize(json);
Console.WriteLine($"JSON document: {json.Length} characters; read back equal: {readBack == journey}");

// A broken draft: every problem comes back at once, each with its node id.
var broken = journey.AddNode(new SendNode("orphan", Channel.Email, new CampaignReference("no-such-campaign", []), null));
Console.WriteLine(JourneyValidator.Validate(broken, schema, campaigns));
return result.IsValid && readBack == journey ? 0 : 1;
