using System.Collections.Immutable;
using Journeys.Model;

namespace Journeys.Storage;

/// <summary>
/// A change to one customer for <see cref="ICustomerStore.MergeAsync"/>: the fields it names are set (a
/// <see cref="FieldValue.Null"/> value removes the field), the fields it does not name keep their stored values, and
/// the time zone changes only when one is given. A customer the store does not have is created.
/// </summary>
/// <param name="CustomerId">The customer id.</param>
/// <param name="Fields">The field values by name (names are compared case-insensitively, as <see cref="Customer.Fields"/> does; give each once).</param>
/// <param name="TimeZoneId">The IANA time zone, or <see langword="null"/> to keep the stored one.</param>
public sealed record CustomerPatch(string CustomerId, IReadOnlyDictionary<string, FieldValue> Fields, string? TimeZoneId = null)
{
    /// <summary>
    /// The customer this patch makes of <paramref name="stored"/>: its fields with the patch's set or removed, and the
    /// patch's time zone if it has one. A store that merges on its own data (under its write lock or transaction) calls it.
    /// </summary>
    /// <param name="stored">The stored customer with this patch's id, or <see langword="null"/> when there is none.</param>
    /// <returns>The merged customer.</returns>
    /// <exception cref="ArgumentException"><paramref name="stored"/> is another customer.</exception>
    public Customer ApplyTo(Customer? stored)
    {
        if (stored is not null && !string.Equals(stored.Id, CustomerId, StringComparison.Ordinal))
        {
            throw new ArgumentException($"The patch of customer '{CustomerId}' cannot be applied to customer '{stored.Id}'.", nameof(stored));
        }

        var fields = stored?.Fields.ToBuilder() ?? ImmutableDictionary.CreateBuilder<string, FieldValue>(StringComparer.OrdinalIgnoreCase);
        foreach (var (name, value) in Fields)
        {
            if (value.IsNull)
            {
                fields.Remove(name);
            }
            else
            {
                fields[name] = value;
            }
        }

        return new Customer(CustomerId, fields.ToImmutable(), TimeZoneId ?? stored?.TimeZoneId);
    }
}
