using System.Collections.Immutable;
using Journeys.Conditions;
using Journeys.Messaging;
using Journeys.Model;

namespace Journeys.Runtime;

/// <summary>A compiled filter node: the first matching condition wins.</summary>
internal sealed class CompiledFilter(string id, int index, ImmutableArray<CompiledCondition> conditions, ImmutableArray<int> targets, int @else) : CompiledNode(id, index)
{
    public ImmutableArray<CompiledCondition> Conditions { get; } = conditions;

    public ImmutableArray<int> Targets { get; } = targets;

    public int Else { get; } = @else;
}
