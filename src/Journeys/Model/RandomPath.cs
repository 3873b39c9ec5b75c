namespace Journeys.Model;

/// <summary>One weighted path of a <see cref="RandomSplitNode"/>.</summary>
/// <param name="Weight">The path's positive weight; its share is weight / sum of weights.</param>
/// <param name="Next">The path's first node, or <see langword="null"/> for a control group that completes.</param>
public sealed record RandomPath(double Weight, string? Next);
