using System.Buffers.Binary;
using System.Collections.Immutable;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Unicode;
using Journeys.Model;

namespace Journeys.Storage.InMemory;

/// <summary>
/// The compact binary form of customer field values, shared by the in-memory customer store (its records) and the CSV
/// import's spool (so a spooled value is copied into the store without being decoded). A value is a tag byte and a
/// payload: strings as UTF-8 (UTF-16 code units only for a string that is not valid UTF-16, so every string round-trips),
/// whole numbers below 2^53 and midnight date-times as variable-length integers, other numbers and date-times as 8 bytes.
/// </summary>
internal static class CustomerRecordCodec
{
    public const byte NullTag = 0;
    public const byte StringTag = 1;
    public const byte NumberBitsTag = 2;
    public const byte NumberIntTag = 3;
    public const byte FalseTag = 4;
    public const byte TrueTag = 5;
    public const byte DateTicksTag = 6;
    public const byte DateDaysTag = 7;
    public const byte ListTag = 8;

    private const double MaxExactInteger = 9007199254740992d; // 2^53

    /// <summary>Writes a string payload: a length (bytes, shifted left once, low bit set for UTF-16) and the bytes.</summary>
    public static void WriteString(RecordBuffer buffer, string value)
    {
        var max = Encoding.UTF8.GetMaxByteCount(value.Length);
        var span = buffer.Reserve(max + 10);
        var status = Utf8.FromUtf16(value, span[5..], out _, out var written, replaceInvalidSequences: false);
        if (status == System.Buffers.OperationStatus.Done)
        {
            // Shift the bytes to follow the length once it is known.
            var lengthBytes = VarintLength((ulong)written << 1);
            span.Slice(5, written).CopyTo(span[lengthBytes..]);
            WriteVarint(span, (ulong)written << 1);
            buffer.Advance(lengthBytes + written);
            return;
        }

        var utf16 = MemoryMarshal.AsBytes(value.AsSpan());
        buffer.WriteVarint(((ulong)utf16.Length << 1) | 1);
        buffer.Write(utf16);
    }

    /// <summary>Writes a string payload from UTF-8 bytes that are known to be valid.</summary>
    public static void WriteUtf8String(RecordBuffer buffer, ReadOnlySpan<byte> utf8)
    {
        buffer.WriteVarint((ulong)utf8.Length << 1);
        buffer.Write(utf8);
    }

    /// <summary>Writes a value: its tag and payload.</summary>
    public static void WriteValue(RecordBuffer buffer, FieldValue value)
    {
        switch (value.Type)
        {
            case null:
                buffer.WriteByte(NullTag);
                break;
            case FieldType.String:
                buffer.WriteByte(StringTag);
                WriteString(buffer, value.AsString());
                break;
            case FieldType.Number:
                WriteNumber(buffer, value.AsNumber());
                break;
            case FieldType.Boolean:
                buffer.WriteByte(value.AsBoolean() ? TrueTag : FalseTag);
                break;
            case FieldType.DateTime:
                WriteDateTime(buffer, value.AsDateTime().UtcTicks);
                break;
            case FieldType.StringList:
                var items = value.AsStringList();
                buffer.WriteByte(ListTag);
                buffer.WriteVarint((ulong)items.Count);
                foreach (var item in items)
                {
                    WriteString(buffer, item);
                }

                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(value), value.Type, "Unknown field type.");
        }
    }

    /// <summary>Writes a (finite) number value.</summary>
    public static void WriteNumber(RecordBuffer buffer, double number)
    {
        if (number == Math.Floor(number) && Math.Abs(number) < MaxExactInteger)
        {
            var whole = (long)number;
            buffer.WriteByte(NumberIntTag);
            buffer.WriteVarint((ulong)((whole << 1) ^ (whole >> 63)));
        }
        else
        {
            buffer.WriteByte(NumberBitsTag);
            BinaryPrimitives.WriteInt64LittleEndian(buffer.Reserve(8), BitConverter.DoubleToInt64Bits(number));
            buffer.Advance(8);
        }
    }

    /// <summary>Writes a date-time value from its UTC ticks.</summary>
    public static void WriteDateTime(RecordBuffer buffer, long utcTicks)
    {
        if (utcTicks % TimeSpan.TicksPerDay == 0)
        {
            buffer.WriteByte(DateDaysTag);
            buffer.WriteVarint((ulong)(utcTicks / TimeSpan.TicksPerDay));
        }
        else
        {
            buffer.WriteByte(DateTicksTag);
            BinaryPrimitives.WriteInt64LittleEndian(buffer.Reserve(8), utcTicks);
            buffer.Advance(8);
        }
    }

    /// <summary>Reads a value at <paramref name="position"/>, moving past it.</summary>
    public static FieldValue ReadValue(ReadOnlySpan<byte> data, ref int position)
    {
        var tag = data[position++];
        switch (tag)
        {
            case NullTag:
                return FieldValue.Null;
            case StringTag:
                return FieldValue.FromString(ReadString(data, ref position));
            case NumberBitsTag:
                var bits = BinaryPrimitives.ReadInt64LittleEndian(data[position..]);
                position += 8;
                return FieldValue.FromNumber(BitConverter.Int64BitsToDouble(bits));
            case NumberIntTag:
                var zigzag = ReadVarint(data, ref position);
                return FieldValue.FromNumber((long)(zigzag >> 1) ^ -(long)(zigzag & 1));
            case FalseTag:
                return FieldValue.FromBoolean(false);
            case TrueTag:
                return FieldValue.FromBoolean(true);
            case DateTicksTag:
                var ticks = BinaryPrimitives.ReadInt64LittleEndian(data[position..]);
                position += 8;
                return FieldValue.FromDateTime(new DateTimeOffset(ticks, TimeSpan.Zero));
            case DateDaysTag:
                return FieldValue.FromDateTime(new DateTimeOffset((long)ReadVarint(data, ref position) * TimeSpan.TicksPerDay, TimeSpan.Zero));
            case ListTag:
                var count = (int)ReadVarint(data, ref position);
                var items = ImmutableArray.CreateBuilder<string>(count);
                for (var i = 0; i < count; i++)
                {
                    items.Add(ReadString(data, ref position));
                }

                return FieldValue.FromStringList(items.MoveToImmutable());
            default:
                throw new InvalidDataException($"Unknown value tag {tag} in a customer record.");
        }
    }

    /// <summary>The length of the value (tag and payload) that starts at <paramref name="position"/>.</summary>
    public static int ValueLength(ReadOnlySpan<byte> data, int position)
    {
        var start = position;
        var tag = data[position++];
        switch (tag)
        {
            case NullTag or FalseTag or TrueTag:
                break;
            case StringTag:
                SkipString(data, ref position);
                break;
            case NumberBitsTag or DateTicksTag:
                position += 8;
                break;
            case NumberIntTag or DateDaysTag:
                ReadVarint(data, ref position);
                break;
            case ListTag:
                var count = (int)ReadVarint(data, ref position);
                for (var i = 0; i < count; i++)
                {
                    SkipString(data, ref position);
                }

                break;
            default:
                throw new InvalidDataException($"Unknown value tag {tag} in a customer record.");
        }

        return position - start;
    }

    /// <summary>Reads a string payload.</summary>
    public static string ReadString(ReadOnlySpan<byte> data, ref int position)
    {
        var bytes = ReadStringBytes(data, ref position, out var utf16);
        return utf16 ? new string(MemoryMarshal.Cast<byte, char>(bytes)) : Encoding.UTF8.GetString(bytes);
    }

    /// <summary>The bytes of a string payload, and whether they are UTF-16.</summary>
    public static ReadOnlySpan<byte> ReadStringBytes(ReadOnlySpan<byte> data, ref int position, out bool utf16)
    {
        var header = ReadVarint(data, ref position);
        utf16 = (header & 1) != 0;
        var length = (int)(header >> 1);
        var bytes = data.Slice(position, length);
        position += length;
        return bytes;
    }

    /// <summary>Compares two string payloads in the order of <see cref="string.CompareOrdinal(string?, string?)"/>.</summary>
    public static int CompareStrings(ReadOnlySpan<byte> a, bool aUtf16, ReadOnlySpan<byte> b, bool bUtf16)
    {
        if (aUtf16 || bUtf16)
        {
            var x = aUtf16 ? new string(MemoryMarshal.Cast<byte, char>(a)) : Encoding.UTF8.GetString(a);
            var y = bUtf16 ? new string(MemoryMarshal.Cast<byte, char>(b)) : Encoding.UTF8.GetString(b);
            return string.CompareOrdinal(x, y);
        }

        var i = a.CommonPrefixLength(b);
        if (i == a.Length || i == b.Length)
        {
            return a.Length - b.Length;
        }

        // UTF-8 bytes sort like code points; UTF-16 puts the supplementary planes (surrogates, D800-DFFF) before
        // E000-FFFF. The first differing byte is at the same place in both characters, so only lead bytes can disagree.
        int p = a[i], q = b[i];
        if (p >= 0xEE && q >= 0xEE && (p >= 0xF0) != (q >= 0xF0))
        {
            return p >= 0xF0 ? -1 : 1;
        }

        return p - q;
    }

    /// <summary>A 5-byte varint, so a count can be written before it is known.</summary>
    public static void WriteFixedVarint(Span<byte> span, uint value)
    {
        for (var i = 0; i < 4; i++)
        {
            span[i] = (byte)(value | 0x80);
            value >>= 7;
        }

        span[4] = (byte)value;
    }

    /// <summary>Writes a variable-length integer (7 bits a byte, low first); returns its length.</summary>
    public static int WriteVarint(Span<byte> span, ulong value)
    {
        var i = 0;
        while (value >= 0x80)
        {
            span[i++] = (byte)(value | 0x80);
            value >>= 7;
        }

        span[i] = (byte)value;
        return i + 1;
    }

    public static int VarintLength(ulong value)
    {
        var length = 1;
        while (value >= 0x80)
        {
            value >>= 7;
            length++;
        }

        return length;
    }

    public static ulong ReadVarint(ReadOnlySpan<byte> data, ref int position)
    {
        ulong value = 0;
        var shift = 0;
        while (true)
        {
            var b = data[position++];
            value |= (ulong)(b & 0x7F) << shift;
            if (b < 0x80)
            {
                return value;
            }

            shift += 7;
        }
    }

    private static void SkipString(ReadOnlySpan<byte> data, ref int position)
    {
        var header = ReadVarint(data, ref position);
        position += (int)(header >> 1);
    }
}
