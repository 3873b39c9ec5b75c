using System.Collections.Immutable;
using Journeys.Model;

namespace Journeys.Building;

/// <summary>The edges a node can have.</summary>
internal enum EdgeKind
{
    Start,
    Next,
    Branch,
    Else,
    OnEvent,
    OnTimeout,
    Path,
    OnConverted,
    OnExhausted,
    OnSuccess,
    OnFailure,
}
