using Journeys.Model;

namespace Journeys.Conditions;

/// <summary>Lays a customer's field values out by schema slot, the form compiled conditions read.</summary>
internal static class CustomerSlots
{
    /// <summary>
    /// Writes the customer's value of each schema field at its slot; where the customer has no value (or a null one)
    /// the field's schema default is written. Customer fields the schema does not name are ignored.
    /// </summary>
    /// <param name="customer">The customer.</param>
    /// <param name="schema">The schema.</param>
    /// <param name="destination">At least as long as the schema has fields.</param>
    /// <exception cref="ArgumentException"><paramref name="destination"/> is too short.</exception>
    public static void Fill(Customer customer, CustomerFieldSchema schema, Span<FieldValue> destination)
    {
        ArgumentNullException.ThrowIfNull(customer);
        ArgumentNullException.ThrowIfNull(schema);
        var definitions = schema.Fields;
        if (destination.Length < definitions.Count)
        {
            throw new ArgumentException($"The destination has {destination.Length} slots but the schema has {definitions.Count} fields.", nameof(destination));
        }

        for (var slot = 0; slot < definitions.Count; slot++)
        {
            var definition = definitions[slot];
            destination[slot] = customer.Fields.TryGetValue(definition.Name, out var value) && !value.IsNull ? value : definition.Default;
        }
    }

    /// <summary>The customer's values by schema slot, in a new array (see <see cref="Fill"/>).</summary>
    /// <param name="customer">The customer.</param>
    /// <param name="schema">The schema.</param>
    public static FieldValue[] ToArray(Customer customer, CustomerFieldSchema schema)
    {
        ArgumentNullException.ThrowIfNull(schema);
        var values = new FieldValue[schema.Fields.Count];
        Fill(customer, schema, values);
        return values;
    }
}
