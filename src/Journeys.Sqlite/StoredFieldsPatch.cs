using System.Buffers;
using System.Text;
using System.Text.Json;
using Journeys.Model;
using Journeys.Storage;

namespace Journeys.Sqlite;

/// <summary>
/// Applies a commit's customer field updates to a stored fields document (<see cref="FieldValueStoreJson"/>'s typed
/// JSON) without decoding it into a dictionary and encoding it again: the stored properties are copied as they are,
/// an updated one is written in its place with its final value (or left out when removed), and new fields are
/// appended. The result reads back exactly as decoding, applying the updates in order to the case-insensitive
/// dictionary and encoding would, key spelling included (a set to a different value takes the update's spelling, a
/// set to an equal value keeps the one there).
/// </summary>
internal sealed class StoredFieldsPatch : IDisposable
{
    private static readonly byte[] EmptyObject = "{}"u8.ToArray();

    private readonly List<(string Field, FieldValue Value)> _updates = [];
    private readonly ArrayBufferWriter<byte> _buffer = new(1024);
    private readonly Utf8JsonWriter _writer;

    // Per update: the index of the first update of the same field (its group), and whether the group is written.
    private int[] _group = new int[8];
    private bool[] _written = new bool[8];

    public StoredFieldsPatch()
    {
        _writer = new Utf8JsonWriter(_buffer);
    }

    public void Dispose() => _writer.Dispose();

    /// <summary>Starts the updates of one customer.</summary>
    public void Clear() => _updates.Clear();

    /// <summary>Adds an update after the earlier ones.</summary>
    public void Add(CustomerFieldUpdate update) => _updates.Add((update.Field, update.Value));

    /// <summary>The stored document (empty: a new customer) with the updates applied, as UTF-8 bytes in this patch's buffer (valid until its next use).</summary>
    /// <exception cref="FormatException">The stored document is not a JSON object of fields.</exception>
    public ReadOnlySpan<byte> Apply(ReadOnlySpan<byte> stored)
    {
        if (_group.Length < _updates.Count)
        {
            _group = new int[Math.Max(_updates.Count, _group.Length * 2)];
            _written = new bool[_group.Length];
        }

        for (var i = 0; i < _updates.Count; i++)
        {
            _written[i] = false;
            _group[i] = i;
            for (var j = 0; j < i; j++)
            {
                if (string.Equals(_updates[j].Field, _updates[i].Field, StringComparison.OrdinalIgnoreCase))
                {
                    _group[i] = _group[j];
                    break;
                }
            }
        }

        _buffer.ResetWrittenCount();
        _writer.Reset(_buffer);
        _writer.WriteStartObject();
        if (stored.IsEmpty)
        {
            stored = EmptyObject;
        }

        try
        {
            CopyStored(stored);
        }
        catch (JsonException ex)
        {
            throw new FormatException($"The stored fields of a customer are not valid typed JSON: {ex.Message}", ex);
        }

        for (var i = 0; i < _updates.Count; i++)
        {
            if (_group[i] == i && !_written[i])
            {
                var (present, name, value) = Final(i, present: false, null, default);
                if (present)
                {
                    FieldValueStoreJson.WriteField(_writer, name!, value);
                }
            }
        }

        _writer.WriteEndObject();
        _writer.Flush();
        return _buffer.WrittenSpan;
    }

    // The field of group `first` after its updates in order, starting from what is stored (the dictionary's rules).
    private (bool Present, string? Name, FieldValue Value) Final(int first, bool present, string? name, FieldValue value)
    {
        for (var i = first; i < _updates.Count; i++)
        {
            if (_group[i] != first)
            {
                continue;
            }

            var (field, newValue) = _updates[i];
            if (newValue.IsNull)
            {
                present = false;
            }
            else if (!present || !value.Equals(newValue))
            {
                (present, name, value) = (true, field, newValue);
            }
        }

        return (present, name, value);
    }

    private void CopyStored(ReadOnlySpan<byte> stored)
    {
        var reader = new Utf8JsonReader(stored);
        if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
        {
            throw new FormatException("The stored fields of a customer are not a JSON object of [type, value] pairs.");
        }

        Span<byte> nameBytes = stackalloc byte[256];
        Span<char> nameChars = stackalloc char[256];
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            // Names are short; a long one (never written by this library) takes the allocating path.
            var longName = reader.ValueSpan.Length > nameBytes.Length ? reader.GetString()! : null;
            scoped ReadOnlySpan<byte> name = default;
            scoped ReadOnlySpan<char> chars;
            if (longName is null)
            {
                name = nameBytes[..reader.CopyString(nameBytes)];
                chars = nameChars[..Encoding.UTF8.GetChars(name, nameChars)];
            }
            else
            {
                chars = longName;
            }

            var group = -1;
            for (var i = 0; i < _updates.Count; i++)
            {
                if (_group[i] == i && chars.Equals(_updates[i].Field, StringComparison.OrdinalIgnoreCase))
                {
                    group = i;
                    break;
                }
            }

            if (!reader.Read() || reader.TokenType != JsonTokenType.StartArray)
            {
                throw new FormatException($"Stored field '{chars}' is not a [type, value] pair.");
            }

            var start = (int)reader.TokenStartIndex;
            reader.Skip();
            var value = stored[start..(int)reader.BytesConsumed];
            if (group >= 0 && !_written[group])
            {
                _written[group] = true;
                var storedName = longName ?? chars.ToString();
                var (present, finalName, finalValue) = Final(group, present: true, storedName, Decode(value, storedName));
                if (!present)
                {
                    continue;
                }

                if (!ReferenceEquals(finalName, storedName))
                {
                    FieldValueStoreJson.WriteField(_writer, finalName!, finalValue);
                    continue;
                }
            }

            // Not updated, or updated to an equal value: the stored bytes as they are.
            if (longName is null)
            {
                _writer.WritePropertyName(name);
            }
            else
            {
                _writer.WritePropertyName(longName);
            }

            _writer.WriteRawValue(value, skipInputValidation: true);
        }

        if (reader.TokenType != JsonTokenType.EndObject)
        {
            throw new FormatException("The stored fields of a customer are not a JSON object of [type, value] pairs.");
        }
    }

    // One stored [type, value] pair (only for a field that an update names), without building a dictionary for the document.
    private static FieldValue Decode(ReadOnlySpan<byte> pair, string name)
    {
        var reader = new Utf8JsonReader(pair);
        try
        {
            reader.Read();
        }
        catch (JsonException ex)
        {
            throw new FormatException($"Stored field '{name}' of a customer is not a valid [type, value] pair: {ex.Message}", ex);
        }

        return FieldValueStoreJson.ReadField(ref reader, name);
    }
}
