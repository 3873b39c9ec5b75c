using Journeys.Conditions;
using Journeys.Runtime;
using Journeys.Storage;
using Microsoft.Extensions.Logging;

namespace Journeys.Tests.Runtime;

/// <summary>
/// Plays the store's part around <see cref="StepExecutor"/> for one enrollment: keeps its state, its customer's events
/// and everything committed (outbox, updates, statistics), and hands the executor what a claim would.
/// </summary>
internal sealed class ExecutorHarness
{
    private readonly List<SequencedEvent> _events = [];
    private long _sequence;

    public ExecutorHarness(JourneyDefinition journey, CustomerFieldSchema schema, CampaignCatalog campaigns, Customer customer, DateTimeOffset enteredAt)
    {
        Journey = JourneyCompiler.Compile(journey, schema, campaigns);
        Customer = customer;
        Fields = CustomerSlots.ToArray(customer, schema);
        State = new Enrollment(
            Guid.Parse("00000000-0000-0000-0000-0000000000e1"),
            journey.Id,
            journey.Version,
            customer.Id,
            journey.StartNodeId,
            EnrollmentStatus.Active,
            null,
            null,
            0,
            enteredAt,
            enteredAt,
            1)
        { WakeEvents = Journey.GoalEvents, NodeEnteredAt = enteredAt };
    }

    public CompiledJourney Journey { get; }

    public Customer Customer { get; }

    public FieldValue[] Fields { get; }

    public Enrollment State { get; private set; }

    public List<OutboxMessage> Outbox { get; } = [];

    /// <summary>Given to the executor as its logger, when set.</summary>
    public ILogger? Logger { get; init; }

    public List<CustomerFieldUpdate> Updates { get; } = [];

    public List<StatisticDelta> Statistics { get; } = [];

    public void Publish(string name, DateTimeOffset at, string? messageId = null, params (string Key, FieldValue Value)[] properties) =>
        _events.Add(new SequencedEvent(
            ++_sequence,
            new CustomerEvent(Customer.Id, name, properties.ToDictionary(p => p.Key, p => p.Value).ToImmutableDictionary(), at, messageId)));

    /// <summary>Runs the enrollment as a claim at <paramref name="now"/> would, and commits the checkpoint.</summary>
    public EnrollmentCheckpoint Run(DateTimeOffset now)
    {
        var pending = _events.Where(e => e.Sequence > State.EventCursor).ToList();
        var earlier = _events.Where(e => e.Sequence <= State.EventCursor && WorkItem.IsOwnMessage(e.Event.MessageId, State.Id)).ToList();
        var item = new WorkItem(State, pending, now.AddMinutes(1)) { EarlierFeedback = earlier };
        var checkpoint = StepExecutor.Execute(Journey, item, Fields, Journey.Zone, now, logger: Logger);
        Assert.Equal(State.ConcurrencyToken, checkpoint.ExpectedToken);
        State = checkpoint.State with { ConcurrencyToken = State.ConcurrencyToken + 1 };
        Outbox.AddRange(checkpoint.Outbox);
        Updates.AddRange(checkpoint.CustomerUpdates);
        Statistics.AddRange(checkpoint.Statistics);
        return checkpoint;
    }

    public long Count(string? nodeId, StatisticCounter counter) =>
        Statistics.Where(s => s.NodeId == nodeId && s.Counter == counter).Sum(s => s.Amount);

    public string[] SentCampaigns => [.. Outbox.Select(o => o.Message.CampaignId)];
}
