using Journeys.Model;

// Uses the package's public API exactly as a user's project would; any failure exits non-zero.
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
    Console.Error.WriteLine("package consumer: the model API did not behave as expected");
    return 1;
}

var assembly = typeof(JourneyDefinition).Assembly;
var version = System.Reflection.CustomAttributeExtensions
    .GetCustomAttribute<System.Reflection.AssemblyInformationalVersionAttribute>(assembly)?.InformationalVersion;
Console.WriteLine($"package consumer: Journeys {version} from {assembly.Location}");
Console.WriteLine($"package consumer: journey '{journey.Id}' with {journey.Nodes.Count} nodes, schema with {schema.Fields.Count} fields: OK");
return 0;
