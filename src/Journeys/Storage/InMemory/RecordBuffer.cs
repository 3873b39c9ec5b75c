namespace Journeys.Storage.InMemory;

/// <summary>A growable byte buffer that records are encoded into (reused, so encoding allocates nothing once warm).</summary>
internal sealed class RecordBuffer(int capacity = 256)
{
    private byte[] _data = new byte[capacity];

    public int Length { get; private set; }

    public ReadOnlySpan<byte> WrittenSpan => _data.AsSpan(0, Length);

    public byte[] Data => _data;

    public void Clear() => Length = 0;

    /// <summary>Drops what was written after <paramref name="length"/> bytes (a row that turned out bad).</summary>
    public void Truncate(int length)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(length, Length);
        Length = length;
    }

    /// <summary>Space for at least <paramref name="size"/> bytes at the end; <see cref="Advance"/> commits what was written.</summary>
    public Span<byte> Reserve(int size)
    {
        if (_data.Length - Length < size)
        {
            Array.Resize(ref _data, Math.Max(_data.Length * 2, Length + size));
        }

        return _data.AsSpan(Length);
    }

    public void Advance(int count) => Length += count;

    public void WriteByte(byte value)
    {
        Reserve(1)[0] = value;
        Length++;
    }

    public void Write(ReadOnlySpan<byte> bytes)
    {
        bytes.CopyTo(Reserve(bytes.Length));
        Length += bytes.Length;
    }

    public void WriteVarint(ulong value)
    {
        if (value < 0x80)
        {
            WriteByte((byte)value);
            return;
        }

        var span = Reserve(10);
        CustomerRecordCodec.WriteVarint(span, value);
        Length += CustomerRecordCodec.VarintLength(value);
    }

    /// <summary>Overwrites bytes already written (for a length or count fixed up after the fact).</summary>
    public Span<byte> At(int position, int count) => _data.AsSpan(position, count);
}
