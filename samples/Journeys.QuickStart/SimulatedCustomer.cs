using Journeys.Audiences;
using Journeys.Model;

namespace Journeys.QuickStart;

/// <summary>
/// One simulated shopper and everything they will do, drawn up front so that the run does not depend on the order in
/// which the engine's threads send messages. Times are offsets from the start of the run or from a message.
/// </summary>
internal sealed record SimulatedCustomer(
    string Id,
    string FirstName,
    bool Vip,
    TimeSpan AbandonsAt,
    TimeSpan? AbandonsAgainAfter,
    TimeSpan? BuysBeforeReminderAfter,
    TimeSpan? ClicksPushAfter,
    TimeSpan? BuysAfterClickAfter,
    TimeSpan? BuysWithoutClickAfter)
{
    /// <summary>Draws <paramref name="count"/> shoppers from one seeded generator, so every run is the same.</summary>
    public static IReadOnlyList<SimulatedCustomer> Draw(int count, Random random)
    {
        var customers = new List<SimulatedCustomer>(count);
        for (var i = 0; i < count; i++)
        {
            var clicks = random.NextDouble() < 0.30;
            customers.Add(new SimulatedCustomer(
                Id: $"shopper{i:D5}@example.com",
                FirstName: FirstNames[random.Next(FirstNames.Length)],
                Vip: random.NextDouble() < 0.10,
                AbandonsAt: Minutes(random, 0, 24 * 60),                                   // during the first day
                AbandonsAgainAfter: Maybe(random, 0.05, 2 * 60, 20 * 60),                   // refused by the entry rules
                BuysBeforeReminderAfter: Maybe(random, 0.04, 10, 50),                       // buys before the 1 hour delay ends
                ClicksPushAfter: clicks ? Minutes(random, 1, 30) : null,
                BuysAfterClickAfter: clicks ? Maybe(random, 0.50, 1, 8) : null,
                BuysWithoutClickAfter: clicks ? null : Maybe(random, 0.05, 60, 23 * 60)));
        }

        return customers;
    }

    public CustomerInput ToInput() => new(Id, new Dictionary<string, object?>
    {
        ["firstName"] = FirstName,
        ["email"] = Id,
        ["vip"] = Vip,
    });

    private static readonly string[] FirstNames = ["Ada", "Grace", "Alan", "Edsger", "Barbara", "Donald", "Margaret", "Ken", "Frances", "Niklaus"];

    private static TimeSpan Minutes(Random random, int min, int max) => TimeSpan.FromMinutes(random.Next(min, max));

    // Always draw both numbers, so one shopper's choices never shift the next shopper's.
    private static TimeSpan? Maybe(Random random, double probability, int min, int max)
    {
        var happens = random.NextDouble() < probability;
        var after = Minutes(random, min, max);
        return happens ? after : null;
    }
}
