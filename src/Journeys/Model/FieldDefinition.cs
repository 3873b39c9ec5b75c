using System.Collections.Frozen;
using System.Collections.Immutable;

namespace Journeys.Model;

/// <summary>A customer field of the schema: its name, type and optional default value.</summary>
/// <param name="Name">The field name: letters, digits, '_', '-' or '.', starting with a letter; matched case-insensitively.</param>
/// <param name="Type">The type of its values.</param>
/// <param name="Default">The value used when a customer has none (<see cref="FieldValue.Null"/> for no default).</param>
public sealed record FieldDefinition(string Name, FieldType Type, FieldValue Default = default);
