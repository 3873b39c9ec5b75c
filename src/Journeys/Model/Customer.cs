using System.Collections.Frozen;
using System.Collections.Immutable;

namespace Journeys.Model;

/// <summary>A customer: an id (often an e-mail), typed field values and an optional IANA time zone.</summary>
public sealed class Customer
{
    /// <summary>
    /// The longest customer id accepted: 256 UTF-16 code units (<see cref="string.Length"/>), so any e-mail address
    /// (at most 254) fits, and 128 characters outside the Basic Multilingual Plane (such as emoji, two units each). Every
    /// store keeps such an id (at most 768 bytes in UTF-8); the entry points refuse a longer one before writing anything.
    /// </summary>
    public const int MaxIdLength = 256;

    /// <summary>Creates a customer.</summary>
    /// <param name="id">The customer id.</param>
    /// <param name="fields">The field values by name (case-insensitive).</param>
    /// <param name="timeZoneId">The IANA time zone, such as <c>Europe/Madrid</c>, or <see langword="null"/>.</param>
    /// <exception cref="ArgumentException">The id is empty or whitespace.</exception>
    public Customer(string id, IEnumerable<KeyValuePair<string, FieldValue>>? fields = null, string? timeZoneId = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(id);
        Id = id;
        Fields = fields is null
            ? ImmutableDictionary<string, FieldValue>.Empty.WithComparers(StringComparer.OrdinalIgnoreCase)
            : ImmutableDictionary.CreateRange(StringComparer.OrdinalIgnoreCase, fields);
        TimeZoneId = timeZoneId;
    }

    /// <summary>The customer id.</summary>
    public string Id { get; }

    /// <summary>The field values by name (case-insensitive).</summary>
    public ImmutableDictionary<string, FieldValue> Fields { get; }

    /// <summary>The IANA time zone, or <see langword="null"/> to use the journey's.</summary>
    public string? TimeZoneId { get; }

    /// <summary>The value of a field, or <see cref="FieldValue.Null"/> when the customer has none.</summary>
    /// <param name="name">The field name.</param>
    public FieldValue GetField(string name) => Fields.TryGetValue(name, out var value) ? value : FieldValue.Null;
}
