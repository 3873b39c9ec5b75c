using Journeys.Runtime;
using Journeys.Storage;

namespace Journeys.Tests.Runtime;

/// <summary>The dispatcher's shared one-delta arrays: always exactly the delta asked for, shared while its slot holds it.</summary>
public sealed class SingleDeltaCacheTests
{
    [Fact]
    public void The_same_key_gets_the_same_array_holding_exactly_that_delta()
    {
        var cache = new SingleDeltaCache();

        var first = cache.Get("journey", 3, "send", StatisticCounter.Sent);
        var again = cache.Get(new string("journey".AsSpan()), 3, new string("send".AsSpan()), StatisticCounter.Sent);

        Assert.Same(first, again);
        Assert.Equal([new StatisticDelta("journey", 3, "send", StatisticCounter.Sent)], first);
    }

    [Fact]
    public void Keys_that_differ_in_any_part_never_get_each_others_delta_even_when_they_share_a_slot()
    {
        var cache = new SingleDeltaCache();
        var keys = new List<(string Journey, int Version, string? Node, StatisticCounter Counter)>();
        foreach (var journey in new[] { "a", "b", "journey-1", "journey-2" })
        {
            foreach (var version in new[] { 1, 2, 17 })
            {
                foreach (var node in new[] { "send", "send2", "x", null })
                {
                    foreach (var counter in new[] { StatisticCounter.Sent, StatisticCounter.Failed, StatisticCounter.Capped })
                    {
                        keys.Add((journey, version, node, counter));
                    }
                }
            }
        }

        // 144 keys for 64 slots: many replace each other; every answer must still be the key's own delta.
        for (var round = 0; round < 3; round++)
        {
            foreach (var (journey, version, node, counter) in keys)
            {
                var deltas = cache.Get(journey, version, node, counter);
                Assert.Equal([new StatisticDelta(journey, version, node, counter)], deltas);
            }
        }
    }

    [Fact]
    public void Two_keys_in_use_together_both_stay_shared_whatever_their_slots()
    {
        // A journey's two send nodes counted alternately (the common case): with one slot per key, a pair whose hashes
        // collide (a 1 in 64 chance per pair) made a new array for every message. 500 pairs make a collision certain in practice.
        for (var pair = 0; pair < 500; pair++)
        {
            var cache = new SingleDeltaCache();
            var nodeA = "send-" + pair.ToString(System.Globalization.CultureInfo.InvariantCulture);
            var nodeB = "send-" + (pair * 7 + 3).ToString(System.Globalization.CultureInfo.InvariantCulture) + "b";
            var a = cache.Get("journey", 1, nodeA, StatisticCounter.Sent);
            var b = cache.Get("journey", 1, nodeB, StatisticCounter.Sent);

            Assert.Same(a, cache.Get("journey", 1, nodeA, StatisticCounter.Sent));
            Assert.Same(b, cache.Get("journey", 1, nodeB, StatisticCounter.Sent));
            Assert.Equal([new StatisticDelta("journey", 1, nodeB, StatisticCounter.Sent)], b);
        }
    }
}
