using System.Globalization;
using Journeys.Model;
using Journeys.Storage;

namespace Journeys.QuickStart;

/// <summary>Prints the per-node statistics and the journey totals, and checks that the run adds up.</summary>
internal static class RunReport
{
    public static void PrintNodeTable(JourneyDefinition journey, JourneyStatistics statistics)
    {
        Console.WriteLine();
        Console.WriteLine($"{"node",-16} {"kind",-14} {"entered",8} {"sent",7} {"clicked",8} {"click rate",10} {"converted",10} {"exited",7} {"failed",7}");
        Console.WriteLine(new string('-', 93));
        foreach (var node in journey.Nodes)
        {
            long Get(StatisticCounter counter) => statistics.Get(node.Id, counter);
            var isSend = node is SendNode;
            Console.WriteLine(string.Create(
                CultureInfo.InvariantCulture,
                $"{node.Id,-16} {Kind(node),-14} {Get(StatisticCounter.Entered),8:N0} {(isSend ? Get(StatisticCounter.Sent).ToString("N0", CultureInfo.InvariantCulture) : ""),7} " +
                $"{(isSend ? Get(StatisticCounter.Clicked).ToString("N0", CultureInfo.InvariantCulture) : ""),8} {(isSend ? statistics.ClickRate(node.Id).ToString("P1", CultureInfo.InvariantCulture) : ""),10} " +
                $"{Get(StatisticCounter.Converted),10:N0} {Get(StatisticCounter.Exited),7:N0} {Get(StatisticCounter.Failed),7:N0}"));
        }
    }

    public static void PrintJourneyTotals(JourneyStatistics statistics)
    {
        Console.WriteLine();
        Console.Write("journey totals:");
        foreach (var counter in new[] { StatisticCounter.Entered, StatisticCounter.Completed, StatisticCounter.Converted, StatisticCounter.Exited, StatisticCounter.Failed, StatisticCounter.Cancelled })
        {
            Console.Write(string.Create(CultureInfo.InvariantCulture, $"  {counter.ToString().ToLowerInvariant()} {statistics.Get(counter):N0}"));
        }

        Console.WriteLine();
    }

    /// <summary>Every inconsistency of the run, or none.</summary>
    public static async Task<List<string>> CheckAsync(
        JourneyDefinition journey,
        JourneyStatistics statistics,
        IEnrollmentStore enrollments,
        IReadOnlyList<SimulatedCustomer> customers,
        IReadOnlyList<SimulatedChannelSender> senders,
        int clicksPublished,
        DateTimeOffset now)
    {
        var problems = new List<string>();
        void Expect(bool condition, string problem)
        {
            if (!condition)
            {
                problems.Add(problem);
            }
        }

        // Sends: what the engine counts as sent is what the senders saw, and nothing failed.
        foreach (var send in journey.Nodes.OfType<SendNode>())
        {
            var seen = senders.Sum(s => s.SentBy(send.Id));
            Expect(statistics.Get(send.Id, StatisticCounter.Sent) == seen, $"{send.Id}: the engine counts {statistics.Get(send.Id, StatisticCounter.Sent)} sent, the senders saw {seen}.");
            Expect(statistics.Get(send.Id, StatisticCounter.Failed) == 0, $"{send.Id}: {statistics.Get(send.Id, StatisticCounter.Failed)} sends failed.");
        }

        // Entry: each shopper entered once; repeated abandons were refused by the entry rules.
        var byStatus = new Dictionary<EnrollmentStatus, int>();
        foreach (var customer in customers)
        {
            var list = await enrollments.GetByCustomerAsync(customer.Id);
            Expect(list.Count == 1, $"{customer.Id} has {list.Count} enrollments (expected 1).");
            foreach (var e in list)
            {
                byStatus[e.Status] = byStatus.GetValueOrDefault(e.Status) + 1;
                Expect(e.IsEnded || (e.Status == EnrollmentStatus.Waiting && e.WakeAt > now), $"{customer.Id} is {e.Status} at {e.CurrentNodeId} (wake {e.WakeAt:u}).");
            }
        }

        Expect(statistics.Get(StatisticCounter.Entered) == customers.Count, $"the journey counts {statistics.Get(StatisticCounter.Entered)} entries, {customers.Count} shoppers abandoned a cart.");
        Expect(statistics.Get(journey.StartNodeId, StatisticCounter.Entered) == customers.Count, $"{statistics.Get(journey.StartNodeId, StatisticCounter.Entered)} entered the start node, {customers.Count} shoppers abandoned a cart.");

        // Every enrollment ended or waits, and the journey's end counters agree with the enrollments' states.
        (EnrollmentStatus Status, StatisticCounter Counter)[] ends =
        [
            (EnrollmentStatus.Completed, StatisticCounter.Completed),
            (EnrollmentStatus.Converted, StatisticCounter.Converted),
            (EnrollmentStatus.Exited, StatisticCounter.Exited),
            (EnrollmentStatus.Failed, StatisticCounter.Failed),
            (EnrollmentStatus.Cancelled, StatisticCounter.Cancelled),
        ];
        foreach (var (status, counter) in ends)
        {
            Expect(statistics.Get(counter) == byStatus.GetValueOrDefault(status), $"journey {counter} is {statistics.Get(counter)}, {byStatus.GetValueOrDefault(status)} enrollments are {status}.");
        }

        Expect(byStatus.GetValueOrDefault(EnrollmentStatus.Active) == 0, $"{byStatus.GetValueOrDefault(EnrollmentStatus.Active)} enrollments are still active.");

        // Every click counts at the push, and went to a shopper still waiting for it: the wait let them through.
        Expect(statistics.Get("cart-push", StatisticCounter.Clicked) == clicksPublished, $"cart-push counts {statistics.Get("cart-push", StatisticCounter.Clicked)} clicks, {clicksPublished} were published.");
        // Left counts the shoppers who ended at the wait too (a purchase, the goal, converts them there).
        var leftOnClick = statistics.Get("wait-click", StatisticCounter.Left) - statistics.Get("email-or-sms", StatisticCounter.Entered)
            - statistics.Get("wait-click", StatisticCounter.Converted);
        Expect(leftOnClick == clicksPublished, $"{leftOnClick} shoppers left the wait on a click, {clicksPublished} clicks were published.");
        return problems;
    }

    private static string Kind(JourneyNode node) => node.GetType().Name.Replace("Node", "", StringComparison.Ordinal) switch
    {
        "WaitForEvent" => "wait for event",
        "RandomSplit" => "random split",
        var kind => kind.ToLowerInvariant(),
    };
}
