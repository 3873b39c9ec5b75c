using Journeys.Model;

// A welcome journey built from the immutable model types: send a welcome e-mail, wait two days,
// then send a push reminder and leave. The end-to-end sample (running it on SQLite) arrives with the engine.
JourneyNode[] nodes =
[
    new SendNode(
        "welcome",
        Channel.Email,
        new CampaignReference("welcome-email", new VariableBinding[] { new("name", "firstName", "there") }),
        "wait"),
    new DelayNode("wait", new DurationDelay(TimeSpan.FromDays(2)), "reminder"),
    new SendNode("reminder", Channel.Push, new CampaignReference("reminder-push", EquatableArray<VariableBinding>.Empty), "done"),
    new ExitNode("done", "journey-complete"),
];

var journey = new JourneyDefinition(
    Id: "welcome",
    Name: "Welcome series",
    Version: 1,
    Status: JourneyStatus.Draft,
    Entry: new AllCustomersEntry(),
    EntryRules: EntryRules.Default,
    ExitRules: ExitRules.None,
    Nodes: nodes,
    StartNodeId: "welcome");

Console.WriteLine($"Journey '{journey.Name}' ({journey.Id} v{journey.Version}, {journey.Status}), starts at '{journey.StartNodeId}'");
foreach (var node in journey.Nodes)
{
    Console.WriteLine($"  {node.Id} ({node.GetType().Name})");
    foreach (var edge in node.GetEdges())
    {
        Console.WriteLine($"    --{edge.Name}--> {edge.Target ?? "(end)"}");
    }
}
