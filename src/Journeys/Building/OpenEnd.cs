using System.Collections.Immutable;
using Journeys.Model;

namespace Journeys.Building;

/// <summary>An edge that is not connected yet: the node it leaves (null for the journey's start) and which edge.</summary>
/// <param name="NodeId">The node, or <see langword="null"/> for the journey's start.</param>
/// <param name="Edge">Which edge of the node.</param>
/// <param name="Index">The branch or path index, for <see cref="EdgeKind.Branch"/> and <see cref="EdgeKind.Path"/>.</param>
internal readonly record struct OpenEnd(string? NodeId, EdgeKind Edge, int Index = 0);
