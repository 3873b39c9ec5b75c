using System.Collections.Immutable;
using System.Globalization;

namespace Journeys.Model;

/// <summary>
/// A typed value of a customer field, an event property or a condition operand: null, string, number,
/// boolean, date-time (an instant, kept in UTC) or string list. A small immutable struct that compares by value.
/// </summary>
public readonly struct FieldValue : IEquatable<FieldValue>
{
    private readonly object? _reference;
    private readonly long _bits;

    private FieldValue(FieldType? type, object? reference, long bits)
    {
        Type = type;
        _reference = reference;
        _bits = bits;
    }

    /// <summary>The null value (no value).</summary>
    public static FieldValue Null => default;

    /// <summary>The type of the value, or <see langword="null"/> for <see cref="Null"/>.</summary>
    public FieldType? Type { get; }

    /// <summary>True when this is <see cref="Null"/>.</summary>
    public bool IsNull => Type is null;

    /// <summary>Creates a string value; a <see langword="null"/> string gives <see cref="Null"/>.</summary>
    /// <param name="value">The text.</param>
    public static FieldValue FromString(string? value) => value is null ? Null : new(FieldType.String, value, 0);

    /// <summary>Creates a number value.</summary>
    /// <param name="value">The number; NaN and infinities are refused.</param>
    /// <exception cref="ArgumentOutOfRangeException">The number is NaN or infinite.</exception>
    public static FieldValue FromNumber(double value)
    {
        if (!double.IsFinite(value))
        {
            throw new ArgumentOutOfRangeException(nameof(value), value, "A number field value must be finite (not NaN or infinity).");
        }

        // Normalise -0 so that equal numbers have equal bits.
        return new(FieldType.Number, null, BitConverter.DoubleToInt64Bits(value == 0 ? 0d : value));
    }

    /// <summary>Creates a boolean value.</summary>
    /// <param name="value">The boolean.</param>
    public static FieldValue FromBoolean(bool value) => new(FieldType.Boolean, null, value ? 1 : 0);

    /// <summary>Creates a date-time value; the instant is kept, the offset is normalised to UTC.</summary>
    /// <param name="value">The instant.</param>
    public static FieldValue FromDateTime(DateTimeOffset value) => new(FieldType.DateTime, null, value.UtcTicks);

    /// <summary>Creates a string list value.</summary>
    /// <param name="values">The texts; <see langword="null"/> items are refused.</param>
    /// <exception cref="ArgumentException">An item is <see langword="null"/>.</exception>
    public static FieldValue FromStringList(IEnumerable<string> values)
    {
        ArgumentNullException.ThrowIfNull(values);
        var items = values.ToImmutableArray();
        foreach (var item in items)
        {
            if (item is null)
            {
                throw new ArgumentException("A string list field value cannot contain null items.", nameof(values));
            }
        }

        return new(FieldType.StringList, new EquatableArray<string>(items), 0);
    }

    /// <summary>Converts a string (a <see langword="null"/> string gives <see cref="Null"/>).</summary>
    /// <param name="value">The text.</param>
    public static implicit operator FieldValue(string? value) => FromString(value);

    /// <summary>Converts a number.</summary>
    /// <param name="value">The number.</param>
    public static implicit operator FieldValue(double value) => FromNumber(value);

    /// <summary>Converts a boolean.</summary>
    /// <param name="value">The boolean.</param>
    public static implicit operator FieldValue(bool value) => FromBoolean(value);

    /// <summary>Converts a date-time.</summary>
    /// <param name="value">The instant.</param>
    public static implicit operator FieldValue(DateTimeOffset value) => FromDateTime(value);

    /// <summary>Compares two values.</summary>
    /// <param name="left">The first value.</param>
    /// <param name="right">The second value.</param>
    public static bool operator ==(FieldValue left, FieldValue right) => left.Equals(right);

    /// <summary>Compares two values.</summary>
    /// <param name="left">The first value.</param>
    /// <param name="right">The second value.</param>
    public static bool operator !=(FieldValue left, FieldValue right) => !left.Equals(right);

    /// <summary>The string, or throws when the value is not a string.</summary>
    /// <exception cref="InvalidOperationException">The value is not a string.</exception>
    public string AsString() => Type == FieldType.String ? (string)_reference! : throw WrongType(FieldType.String);

    /// <summary>The number, or throws when the value is not a number.</summary>
    /// <exception cref="InvalidOperationException">The value is not a number.</exception>
    public double AsNumber() => Type == FieldType.Number ? BitConverter.Int64BitsToDouble(_bits) : throw WrongType(FieldType.Number);

    /// <summary>The boolean, or throws when the value is not a boolean.</summary>
    /// <exception cref="InvalidOperationException">The value is not a boolean.</exception>
    public bool AsBoolean() => Type == FieldType.Boolean ? _bits != 0 : throw WrongType(FieldType.Boolean);

    /// <summary>The instant (in UTC), or throws when the value is not a date-time.</summary>
    /// <exception cref="InvalidOperationException">The value is not a date-time.</exception>
    public DateTimeOffset AsDateTime() => Type == FieldType.DateTime ? new DateTimeOffset(_bits, TimeSpan.Zero) : throw WrongType(FieldType.DateTime);

    /// <summary>The string list, or throws when the value is not a string list.</summary>
    /// <exception cref="InvalidOperationException">The value is not a string list.</exception>
    public EquatableArray<string> AsStringList() => Type == FieldType.StringList ? (EquatableArray<string>)_reference! : throw WrongType(FieldType.StringList);

    /// <inheritdoc />
    public bool Equals(FieldValue other) =>
        Type == other.Type && _bits == other._bits && Type switch
        {
            FieldType.String => string.Equals((string)_reference!, (string)other._reference!, StringComparison.Ordinal),
            FieldType.StringList => ((EquatableArray<string>)_reference!).Equals((EquatableArray<string>)other._reference!),
            _ => true,
        };

    /// <inheritdoc />
    public override bool Equals(object? obj) => obj is FieldValue other && Equals(other);

    /// <inheritdoc />
    public override int GetHashCode() => HashCode.Combine(Type, _bits, _reference);

    /// <summary>An invariant text form, for messages and logs at Debug level.</summary>
    public override string ToString() => Type switch
    {
        null => "null",
        FieldType.String => (string)_reference!,
        FieldType.Number => AsNumber().ToString("R", CultureInfo.InvariantCulture),
        FieldType.Boolean => AsBoolean() ? "true" : "false",
        FieldType.DateTime => AsDateTime().ToString("O", CultureInfo.InvariantCulture),
        FieldType.StringList => AsStringList().ToString(),
        _ => "?",
    };

    private InvalidOperationException WrongType(FieldType wanted) =>
        new($"The value is {(Type is { } t ? t.ToString() : "null")}, not {wanted}.");
}
