using System.Collections.Frozen;
using System.Collections.Immutable;

namespace Journeys.Model;

/// <summary>
/// The customer field schema (the product's "Customer Fields"): which fields customers have and their types.
/// Validation checks every condition and variable binding against it. Field names are matched case-insensitively.
/// </summary>
public sealed class CustomerFieldSchema : IEquatable<CustomerFieldSchema>
{
    private readonly FrozenDictionary<string, int> _slots;

    private CustomerFieldSchema(ImmutableArray<FieldDefinition> fields)
    {
        Fields = fields;
        var slots = new Dictionary<string, int>(StringComparer.OrdinalIgnoreCase);
        for (var i = 0; i < fields.Length; i++)
        {
            slots.Add(fields[i].Name, i);
        }

        _slots = slots.ToFrozenDictionary(StringComparer.OrdinalIgnoreCase);
    }

    /// <summary>A schema with no fields.</summary>
    public static CustomerFieldSchema Empty { get; } = new([]);

    /// <summary>The fields, in order; a field's index is its slot.</summary>
    public EquatableArray<FieldDefinition> Fields { get; }

    /// <summary>Creates a schema, checking names, defaults and duplicates.</summary>
    /// <param name="fields">The field definitions.</param>
    /// <exception cref="ArgumentException">A name is invalid or repeated (ignoring case), or a default does not have the field's type.</exception>
    public static CustomerFieldSchema Create(params IEnumerable<FieldDefinition> fields)
    {
        ArgumentNullException.ThrowIfNull(fields);
        var list = fields.ToImmutableArray();
        var seen = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        foreach (var field in list)
        {
            if (field is null)
            {
                throw new ArgumentException("A field definition is null.", nameof(fields));
            }

            if (!IsValidFieldName(field.Name))
            {
                throw new ArgumentException($"Field name '{field.Name}' is invalid: use letters, digits, '_', '-' or '.', starting with a letter, at most 128 characters.", nameof(fields));
            }

            if (!seen.Add(field.Name))
            {
                throw new ArgumentException($"Field '{field.Name}' is defined twice (field names are case-insensitive).", nameof(fields));
            }

            if (!field.Default.IsNull && field.Default.Type != field.Type)
            {
                throw new ArgumentException($"Field '{field.Name}' is {field.Type} but its default value is {field.Default.Type}.", nameof(fields));
            }
        }

        return new CustomerFieldSchema(list);
    }

    /// <summary>True when <paramref name="name"/> is a valid field name.</summary>
    /// <param name="name">The candidate name.</param>
    public static bool IsValidFieldName(string? name)
    {
        if (string.IsNullOrEmpty(name) || name.Length > 128 || !char.IsAsciiLetter(name[0]))
        {
            return false;
        }

        foreach (var c in name)
        {
            if (!char.IsAsciiLetterOrDigit(c) && c is not '_' and not '-' and not '.')
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>Finds a field by name (case-insensitive).</summary>
    /// <param name="name">The field name.</param>
    /// <param name="field">The field, when found.</param>
    public bool TryGetField(string name, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out FieldDefinition? field)
    {
        if (name is not null && _slots.TryGetValue(name, out var slot))
        {
            field = Fields[slot];
            return true;
        }

        field = null;
        return false;
    }

    /// <summary>The slot (index) of a field, or -1.</summary>
    /// <param name="name">The field name.</param>
    public int GetSlot(string name) => name is not null && _slots.TryGetValue(name, out var slot) ? slot : -1;

    /// <summary>A schema with the field added, or replaced when one of that name exists.</summary>
    /// <param name="field">The field.</param>
    public CustomerFieldSchema WithField(FieldDefinition field)
    {
        ArgumentNullException.ThrowIfNull(field);
        var slot = GetSlot(field.Name);
        var fields = Fields.AsImmutableArray();
        return Create(slot >= 0 ? fields.SetItem(slot, field) : fields.Add(field));
    }

    /// <summary>A schema without the named field (unchanged when there is none).</summary>
    /// <param name="name">The field name.</param>
    public CustomerFieldSchema WithoutField(string name)
    {
        var slot = GetSlot(name);
        return slot < 0 ? this : new CustomerFieldSchema(Fields.AsImmutableArray().RemoveAt(slot));
    }

    /// <inheritdoc />
    public bool Equals(CustomerFieldSchema? other) => other is not null && Fields.Equals(other.Fields);

    /// <inheritdoc />
    public override bool Equals(object? obj) => Equals(obj as CustomerFieldSchema);

    /// <inheritdoc />
    public override int GetHashCode() => Fields.GetHashCode();
}
