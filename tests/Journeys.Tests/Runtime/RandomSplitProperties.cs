using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using Journeys.Building;
using Journeys.Runtime;
using Journeys.Tests.Building;

namespace Journeys.Tests.Runtime;

public static class SplitWeights
{
    public static Arbitrary<int[]> Weights() => Gen.Choose(1, 10).ArrayOf().Where(w => w.Length is >= 2 and <= 5).ToArbitrary();
}

public sealed class RandomSplitProperties
{
    [Property(MaxTest = 30, Arbitrary = [typeof(SplitWeights)])]
    public void Shares_over_many_customers_converge_to_the_weights(int[] weights)
    {
        var journey = JourneyBuilder.Create("exp", "Experiment").EnterAllCustomers()
            .Steps(p => p.RandomSplit(s =>
            {
                for (var i = 0; i < weights.Length; i++)
                {
                    var index = i;
                    s.Path(weights[i], b => b.Exit($"path-{index}", id: $"path-{index}"));
                }
            }, id: "split"))
            .Build();
        var compiled = JourneyCompiler.Compile(journey, SampleJourneys.Schema, SampleJourneys.Campaigns);
        var split = (CompiledSplit)compiled.Nodes[compiled.IndexById["split"]];

        const int Customers = 20_000;
        var counts = new int[weights.Length];
        for (var c = 0; c < Customers; c++)
        {
            counts[split.ChoosePath($"customer-{c}@example.com")]++;
        }

        var total = weights.Sum();
        for (var i = 0; i < weights.Length; i++)
        {
            var expected = (double)weights[i] / total;
            var share = (double)counts[i] / Customers;
            // 20,000 draws: the standard error of a share is at most 0.0035; 0.02 is more than five of them.
            Assert.InRange(share, expected - 0.02, expected + 0.02);
        }
    }

    [Property(MaxTest = 30, Arbitrary = [typeof(SplitWeights)])]
    public void The_chosen_path_is_the_first_threshold_above_the_customer_hash(int[] weights)
    {
        var journey = JourneyBuilder.Create("exp", "Experiment").EnterAllCustomers()
            .Steps(p => p.RandomSplit(s =>
            {
                for (var i = 0; i < weights.Length; i++)
                {
                    var index = i;
                    s.Path(weights[i], b => b.Exit($"path-{index}", id: $"path-{index}"));
                }
            }, id: "split"))
            .Build();
        var compiled = JourneyCompiler.Compile(journey, SampleJourneys.Schema, SampleJourneys.Campaigns);
        var split = (CompiledSplit)compiled.Nodes[compiled.IndexById["split"]];
        Assert.Equal(ulong.MaxValue, split.Thresholds[^1]);

        for (var c = 0; c < 2_000; c++)
        {
            var customer = $"customer-{c}@example.com";
            var hash = StableHash.Hash(customer, split.Seed);
            var expected = split.Thresholds.IndexOf(split.Thresholds.First(t => hash < t || t == ulong.MaxValue));
            Assert.Equal(expected, split.ChoosePath(customer));
        }
    }
}

public sealed class RandomSplitWeightTests
{
    [Theory]
    [InlineData(new[] { 1e308, 1e308 }, new[] { 0.5, 1.0 })]
    [InlineData(new[] { 1e308, 1e308, 1.5e308 }, new[] { 2 / 7d, 4 / 7d, 1.0 })]
    [InlineData(new[] { double.MaxValue, 1e-300 }, new[] { 1.0, 1.0 })]
    public void Weights_whose_sum_overflows_still_share_the_hash_space_by_their_ratios(double[] weights, double[] cumulativeShares)
    {
        // Every weight is finite and positive, so validation accepts it; their sum is infinite, which put every
        // threshold but the last at 0: every customer took the last path.
        var thresholds = JourneyCompiler.Thresholds([.. weights.Select((w, i) => new RandomPath(w, $"p{i}"))]);

        Assert.Equal(ulong.MaxValue, thresholds[^1]);
        for (var i = 0; i < weights.Length; i++)
        {
            Assert.InRange(thresholds[i] / (double)ulong.MaxValue, cumulativeShares[i] - 1e-9, cumulativeShares[i] + 1e-9);
        }
    }
}

public sealed class StableHashTests
{
    [Fact]
    public void The_split_hash_is_pinned_so_customers_keep_their_paths_across_processes_hosts_and_library_versions()
    {
        // XxHash3 of the UTF-16 bytes, seeded with the hash of (journey id, node id): changing any of it would move
        // customers to other paths of running experiments.
        Assert.Equal(9501232393901349000UL, StableHash.Hash("ana@example.com", StableHash.Seed("welcome", "split")));
    }
}
