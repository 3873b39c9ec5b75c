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
    private readonly List<(string Field, FieldValue Value)> _updates = [];

    // The patched document, written raw: a stored property kept as it is is copied byte for byte (name, colon and
    // pair as stored), one the updates write goes through _fieldWriter.
    private readonly ArrayBufferWriter<byte> _buffer = new(1024);
    private readonly ArrayBufferWriter<byte> _fieldBuffer = new(256);
    private readonly Utf8JsonWriter _fieldWriter;

    // The UTF-8 bytes of each ASCII field name the updates use (null for a name with other characters), so a stored
    // name is matched without decoding it; kept across customers (a commit's updates name the same few fields).
    private readonly Dictionary<string, byte[]?> _asciiNames = new(StringComparer.Ordinal);

    // Per update: the index of the first update of the same field (its group), whether the group is written, and
    // the group's name in ASCII bytes (or null).
    private int[] _group = new int[8];
    private bool[] _written = new bool[8];
    private byte[]?[] _ascii = new byte[8][];
    private bool _anyProperty;

    public StoredFieldsPatch()
    {
        _fieldWriter = new Utf8JsonWriter(_fieldBuffer);
    }

    public void Dispose() => _fieldWriter.Dispose();

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
            _ascii = new byte[_group.Length][];
        }

        for (var i = 0; i < _updates.Count; i++)
        {
            _written[i] = false;
            _group[i] = i;
            _ascii[i] = null;
            for (var j = 0; j < i; j++)
            {
                if (string.Equals(_updates[j].Field, _updates[i].Field, StringComparison.OrdinalIgnoreCase))
                {
                    _group[i] = _group[j];
                    break;
                }
            }

            if (_group[i] == i)
            {
                _ascii[i] = AsciiName(_updates[i].Field);
            }
        }

        _buffer.ResetWrittenCount();
        _anyProperty = false;
        _buffer.Write("{"u8);
        if (!stored.IsEmpty)
        {
            try
            {
                CopyStored(stored);
            }
            catch (JsonException ex)
            {
                throw new FormatException($"The stored fields of a customer are not valid typed JSON: {ex.Message}", ex);
            }
        }

        for (var i = 0; i < _updates.Count; i++)
        {
            if (_group[i] == i && !_written[i])
            {
                var (present, name, value) = Final(i, present: false, null, default);
                if (present)
                {
                    WriteField(name!, value);
                }
            }
        }

        _buffer.Write("}"u8);
        return _buffer.WrittenSpan;
    }

    private byte[]? AsciiName(string field)
    {
        if (!_asciiNames.TryGetValue(field, out var bytes))
        {
            bytes = Ascii.IsValid(field) ? Encoding.ASCII.GetBytes(field) : null;
            _asciiNames.Add(field, bytes);
        }

        return bytes;
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
            // The property as stored, from its name's opening quote to the end of its pair.
            var propertyStart = (int)reader.TokenStartIndex;

            // A plain ASCII name (what this library's fields almost always are) is compared in UTF-8 as stored; any
            // other name is decoded. Names are short; a long one (never written by this library) takes the allocating path.
            var raw = reader.ValueSpan;
            var plainAscii = !reader.ValueIsEscaped && Ascii.IsValid(raw);
            string? longName = null;
            scoped ReadOnlySpan<char> chars = default;
            var decoded = false;
            var group = -1;
            for (var i = 0; i < _updates.Count; i++)
            {
                if (_group[i] != i)
                {
                    continue;
                }

                bool same;
                if (plainAscii && _ascii[i] is { } asciiField)
                {
                    same = Ascii.EqualsIgnoreCase(raw, asciiField);
                }
                else
                {
                    if (!decoded)
                    {
                        var length = DecodeName(ref reader, nameBytes, nameChars, out longName);
                        chars = longName ?? (ReadOnlySpan<char>)nameChars[..length];
                        decoded = true;
                    }

                    same = chars.Equals(_updates[i].Field, StringComparison.OrdinalIgnoreCase);
                }

                if (same)
                {
                    group = i;
                    break;
                }
            }

            if (group >= 0 && !decoded)
            {
                var length = DecodeName(ref reader, nameBytes, nameChars, out longName);
                chars = longName ?? (ReadOnlySpan<char>)nameChars[..length];
            }

            if (!reader.Read() || reader.TokenType != JsonTokenType.StartArray)
            {
                throw new FormatException($"Stored field '{(decoded || group >= 0 ? chars.ToString() : Encoding.UTF8.GetString(raw))}' is not a [type, value] pair.");
            }

            var start = (int)reader.TokenStartIndex;
            reader.Skip();
            var end = (int)reader.BytesConsumed;
            if (group >= 0 && !_written[group])
            {
                _written[group] = true;
                var storedName = longName ?? chars.ToString();
                var (present, finalName, finalValue) = Final(group, present: true, storedName, DecodePair(stored[start..end], storedName));
                if (!present)
                {
                    continue;
                }

                if (!ReferenceEquals(finalName, storedName))
                {
                    WriteField(finalName!, finalValue);
                    continue;
                }
            }

            // Not updated, or updated to an equal value: the stored bytes as they are.
            AppendProperty(stored[propertyStart..end]);
        }

        if (reader.TokenType != JsonTokenType.EndObject)
        {
            throw new FormatException("The stored fields of a customer are not a JSON object of [type, value] pairs.");
        }
    }

    // The current property name, unescaped, as UTF-16: its length in nameChars, or -1 and longName for a long one.
    private static int DecodeName(ref Utf8JsonReader reader, scoped Span<byte> nameBytes, scoped Span<char> nameChars, out string? longName)
    {
        if (reader.ValueSpan.Length > nameBytes.Length)
        {
            longName = reader.GetString()!;
            return -1;
        }

        longName = null;
        return Encoding.UTF8.GetChars(nameBytes[..reader.CopyString(nameBytes)], nameChars);
    }

    // One property written by the library's own writer: written as the only property of an object, then copied in.
    private void WriteField(string name, FieldValue value)
    {
        _fieldBuffer.ResetWrittenCount();
        _fieldWriter.Reset(_fieldBuffer);
        _fieldWriter.WriteStartObject();
        FieldValueStoreJson.WriteField(_fieldWriter, name, value);
        _fieldWriter.WriteEndObject();
        _fieldWriter.Flush();
        AppendProperty(_fieldBuffer.WrittenSpan[1..^1]);
    }

    private void AppendProperty(ReadOnlySpan<byte> property)
    {
        if (_anyProperty)
        {
            _buffer.Write(","u8);
        }

        _buffer.Write(property);
        _anyProperty = true;
    }

    // One stored [type, value] pair (only for a field that an update names), without building a dictionary for the document.
    private static FieldValue DecodePair(ReadOnlySpan<byte> pair, string name)
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
