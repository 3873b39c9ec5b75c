using Journeys.Messaging;
using Journeys.Runtime;

namespace Journeys.QuickStart;

/// <summary>Turns the simulated shoppers' plans into customer events on the schedule.</summary>
internal sealed class Shoppers(IReadOnlyList<SimulatedCustomer> customers, EventSchedule schedule)
{
    private readonly Dictionary<string, SimulatedCustomer> _byId = customers.ToDictionary(c => c.Id, StringComparer.Ordinal);

    public IReadOnlyList<SimulatedCustomer> All => customers;

    /// <summary>What shoppers do on their own: abandon a cart (some twice), and some buy before any reminder.</summary>
    public void ScheduleOwnActions(DateTimeOffset start)
    {
        foreach (var c in customers)
        {
            var abandoned = start + c.AbandonsAt;
            schedule.Add(c.Id, "cart_abandoned", abandoned);
            if (c.AbandonsAgainAfter is { } again)
            {
                schedule.Add(c.Id, "cart_abandoned", abandoned + again);
            }

            if (c.BuysBeforeReminderAfter is { } buys)
            {
                schedule.Add(c.Id, "purchase", abandoned + buys);
            }
        }
    }

    /// <summary>
    /// The push provider's feedback and the shopper's reaction to a push: a click on that message a few minutes later
    /// (and, for some, a purchase right after), or for some of those who never click, a purchase hours later.
    /// </summary>
    public void OnPushSent(OutboundMessage message, DateTimeOffset sentAt)
    {
        var c = _byId[message.CustomerId];
        if (c.ClicksPushAfter is { } clickAfter)
        {
            var clickedAt = sentAt + clickAfter;
            schedule.Add(c.Id, FeedbackEvents.Clicked, clickedAt, message.MessageId);
            if (c.BuysAfterClickAfter is { } buyAfter)
            {
                schedule.Add(c.Id, "purchase", clickedAt + buyAfter);
            }
        }
        else if (c.BuysWithoutClickAfter is { } buyAfter)
        {
            schedule.Add(c.Id, "purchase", sentAt + buyAfter);
        }
    }
}
