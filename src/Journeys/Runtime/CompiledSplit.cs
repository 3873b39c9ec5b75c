using System.Collections.Immutable;
using Journeys.Conditions;
using Journeys.Messaging;
using Journeys.Model;

namespace Journeys.Runtime;

/// <summary>A compiled random split: cumulative thresholds over the 64-bit hash space.</summary>
internal sealed class CompiledSplit(string id, int index, ImmutableArray<ulong> thresholds, ImmutableArray<int> targets, ulong seed) : CompiledNode(id, index)
{
    // The thresholds but the last (always ulong.MaxValue), as a plain array: the hot loop reads it without the
    // ImmutableArray wrapper, and a two-path split is one comparison.
    private readonly ulong[] _bounds = thresholds.IsDefaultOrEmpty ? [] : [.. thresholds.AsSpan(0, thresholds.Length - 1)];

    /// <summary>Path i is taken when the hash is below thresholds[i] (and not below thresholds[i-1]); the last is <see cref="ulong.MaxValue"/>.</summary>
    public ImmutableArray<ulong> Thresholds { get; } = thresholds;

    public ImmutableArray<int> Targets { get; } = targets;

    /// <summary>A hash of (journey id, node id): the customer id is hashed with it.</summary>
    public ulong Seed { get; } = seed;

    /// <summary>The path a customer takes: the same every time, on every host.</summary>
    public int ChoosePath(string customerId)
    {
        var hash = StableHash.Hash(customerId, Seed);
        var bounds = _bounds;
        var path = 0;
        while ((uint)path < (uint)bounds.Length && hash >= bounds[path])
        {
            path++;
        }

        return path;
    }
}
