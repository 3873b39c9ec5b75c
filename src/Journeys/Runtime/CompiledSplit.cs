using System.Collections.Immutable;
using Journeys.Conditions;
using Journeys.Messaging;
using Journeys.Model;

namespace Journeys.Runtime;

/// <summary>A compiled random split: cumulative thresholds over the 64-bit hash space.</summary>
internal sealed class CompiledSplit(string id, int index, ImmutableArray<ulong> thresholds, ImmutableArray<int> targets, ulong seed) : CompiledNode(id, index)
{
    /// <summary>Path i is taken when the hash is below thresholds[i] (and not below thresholds[i-1]); the last is <see cref="ulong.MaxValue"/>.</summary>
    public ImmutableArray<ulong> Thresholds { get; } = thresholds;

    public ImmutableArray<int> Targets { get; } = targets;

    /// <summary>A hash of (journey id, node id): the customer id is hashed with it.</summary>
    public ulong Seed { get; } = seed;

    /// <summary>The path a customer takes: the same every time, on every host.</summary>
    public int ChoosePath(string customerId)
    {
        var hash = StableHash.Hash(customerId, Seed);
        var path = 0;
        while (path < Thresholds.Length - 1 && hash >= Thresholds[path])
        {
            path++;
        }

        return path;
    }
}
