using System.Globalization;
using Journeys.Model;
using Journeys.Runtime;
using Journeys.Storage;
using Journeys.Storage.InMemory;

namespace Journeys.Benchmarks;

/// <summary>
/// The parts of a shard's per-item work on the peer comparison's delay journey, each timed alone on one thread by its
/// thread CPU time and allocation (<c>-- resume-parts customers rounds</c>): the customer read into slots, the executor's
/// first pass (enroll → filter → split → send → delay) and resumed run (delay → update → send → end), and the in-memory
/// customer store's write of the update node's field. Load-independent figures of what a resumed item does that the
/// first pass does not.
/// </summary>
internal static class ResumeParts
{
    public static async Task RunAsync(int customers, int rounds)
    {
        var store = new InMemoryCustomerStore();
        await store.SaveSchemaAsync(BenchmarkData.Schema);
        var population = EngineScenario.Population(customers);
        await store.UpsertAsync(population);
        var ids = population.Select(c => c.Id).ToArray();
        var journey = JourneyCompiler.Compile(BenchmarkData.ThroughputJourney(ids, TimeSpan.FromSeconds(1)), BenchmarkData.Schema, BenchmarkData.Campaigns);
        var start = journey.Nodes[journey.StartIndex].Id;
        var now = BenchmarkData.Now;
        var fields = new FieldValue[BenchmarkData.Schema.Fields.Count];
        var firstItems = new WorkItem[customers];
        for (var i = 0; i < customers; i++)
        {
            var enrollment = new Enrollment(Guid.NewGuid(), journey.Id, journey.Version, ids[i], start, EnrollmentStatus.Active, null, null, 0, now, now, 1)
            {
                WakeEvents = journey.GoalEvents,
                NodeEnteredAt = now,
            };
            firstItems[i] = new WorkItem(enrollment, [], now + TimeSpan.FromMinutes(1));
        }

        var resumedItems = new WorkItem[customers];
        for (var i = 0; i < customers; i++)
        {
            store.FillSlots(ids[i], journey.Schema, fields, out _, journey.ReadSlots);
            var checkpoint = StepExecutor.Execute(journey, firstItems[i], fields, journey.Zone, now);
            resumedItems[i] = new WorkItem(checkpoint.State, [], now + TimeSpan.FromMinutes(2));
        }

        var later = now + TimeSpan.FromSeconds(1.001);

        // A new value each round (the same length as the last), so no round writes the value the customer already has.
        var segment = "welcomed";
        var parts = new (string Name, Action<int> Part)[]
        {
            ("customer read into slots (FillSlots)", i => store.FillSlots(ids[i], journey.Schema, fields, out _, journey.ReadSlots)),
            ("executor, first pass (5 nodes, to the delay)", i => StepExecutor.Execute(journey, firstItems[i], fields, journey.Zone, now)),
            ("executor, resumed run (delay → update → send → end)", i => StepExecutor.Execute(journey, resumedItems[i], fields, journey.Zone, later)),
            ("customer field write of the update node (locked apply)", i =>
            {
                IReadOnlyList<CustomerFieldUpdate> one = [new CustomerFieldUpdate(ids[i], "segment", segment)];
                lock (store.SyncRoot)
                {
                    store.ApplyFieldUpdatesLocked(one);
                }
            }),
        };

        for (var round = 0; round < rounds; round++)
        {
            segment = round % 2 == 0 ? "welcomed" : "welcome!";
            foreach (var (name, part) in parts)
            {
                var (cpu, bytes) = ThreadCost.Now();
                for (var i = 0; i < customers; i++)
                {
                    part(i);
                }

                var (cpu2, bytes2) = ThreadCost.Now();
                if (round == rounds - 1 || round == rounds / 2)
                {
                    Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"round {round}: {name,-58} {(cpu2 - cpu) / 1000.0 / customers,7:N3} µs, {(double)(bytes2 - bytes) / customers,6:N0} B per item"));
                }
            }
        }
    }
}
