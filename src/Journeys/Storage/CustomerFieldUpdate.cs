using Journeys.Model;

namespace Journeys.Storage;

/// <summary>A customer field set by an update node.</summary>
/// <param name="CustomerId">The customer.</param>
/// <param name="Field">The field.</param>
/// <param name="Value">The value (<see cref="FieldValue.Null"/> clears it).</param>
public readonly record struct CustomerFieldUpdate(string CustomerId, string Field, FieldValue Value);
