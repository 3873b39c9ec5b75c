using System.Buffers.Binary;
using Journeys.Storage.InMemory;

namespace Journeys.Audiences;

/// <summary>
/// The CSV import's spool: the checked rows in compact binary form (a row number, a line and a merge patch of
/// <see cref="CustomerRecordCodec"/> values) in a temporary file deleted when the spool is disposed, written once and read
/// back in batches. It is what lets the import read the CSV once and still write nothing from a bad file: about 45
/// bytes a row of the benchmark's 5 columns on disk, and a fixed 1 MiB of buffers in memory whatever the file size.
/// </summary>
internal sealed class ImportSpool : IAsyncDisposable
{
    private const int FlushAt = 1 << 20;

    private readonly FileStream _file;
    private readonly RecordBuffer _write = new(FlushAt + (1 << 16));
    private byte[] _read = [];
    private int _readStart;
    private int _readEnd;
    private bool _end;

    private ImportSpool(FileStream file) => _file = file;

    /// <summary>Rows written.</summary>
    public long Count { get; private set; }

    public static ImportSpool Create() => new(new FileStream(
        Path.Combine(Path.GetTempPath(), $"journeys-import-{Guid.NewGuid():N}.spool"),
        FileMode.CreateNew,
        FileAccess.ReadWrite,
        FileShare.None,
        1,
        FileOptions.DeleteOnClose | FileOptions.Asynchronous));

    /// <summary>Appends the current row of <paramref name="reader"/>; returns the hash of its id.</summary>
    public ulong Append(CustomerCsvReader reader, long row, long line)
    {
        var start = _write.Length;
        _write.Reserve(4);
        _write.Advance(4);
        _write.WriteVarint((ulong)row);
        _write.WriteVarint((ulong)line);
        var hash = reader.EncodePatch(_write);
        BinaryPrimitives.WriteInt32LittleEndian(_write.At(start, 4), _write.Length - start - 4);
        Count++;
        return hash;
    }

    /// <summary>
    /// Checks the current row of <paramref name="reader"/> and appends it when it is good, in one pass over its cells
    /// (<see cref="CustomerCsvReader.TryEncodeRow(RecordBuffer, out ulong)"/>); a bad row leaves the spool as it was, its problems in the reader.
    /// </summary>
    /// <param name="reader">The reader, on a row (<see cref="CustomerCsvReader.NextRowAsync"/>).</param>
    /// <param name="row">The row's number.</param>
    /// <param name="line">The line where the row starts.</param>
    /// <param name="hash">For a good row, the hash of its id.</param>
    /// <returns>True when the row is good and was appended.</returns>
    public bool TryAppend(CustomerCsvReader reader, long row, long line, out ulong hash)
    {
        var start = _write.Length;
        _write.Reserve(4);
        _write.Advance(4);
        _write.WriteVarint((ulong)row);
        _write.WriteVarint((ulong)line);
        if (!reader.TryEncodeRow(_write, out hash))
        {
            _write.Truncate(start);
            return false;
        }

        BinaryPrimitives.WriteInt32LittleEndian(_write.At(start, 4), _write.Length - start - 4);
        Count++;
        return true;
    }

    /// <summary>True when the write buffer should go to the file (<see cref="FlushAsync"/>).</summary>
    public bool IsFull => _write.Length >= FlushAt;

    public async ValueTask FlushAsync(CancellationToken cancellationToken)
    {
        if (_write.Length > 0)
        {
            await _file.WriteAsync(_write.Data.AsMemory(0, _write.Length), cancellationToken).ConfigureAwait(false);
            _write.Clear();
        }
    }

    /// <summary>Flushes what is written and starts reading from the first row.</summary>
    public async ValueTask RewindAsync(CancellationToken cancellationToken)
    {
        await FlushAsync(cancellationToken).ConfigureAwait(false);
        await _file.FlushAsync(cancellationToken).ConfigureAwait(false);
        _file.Position = 0;
        if (_read.Length == 0)
        {
            _read = new byte[FlushAt];
        }

        _readStart = _readEnd = 0;
        _end = false;
    }

    /// <summary>
    /// Reads up to <paramref name="maxRows"/> whole rows into <paramref name="batch"/> (valid until the next call).
    /// </summary>
    /// <returns>False when every row has been read.</returns>
    public async ValueTask<bool> ReadAsync(SpoolBatch batch, int maxRows, CancellationToken cancellationToken)
    {
        batch.Rows.Clear();
        while (batch.Rows.Count < maxRows)
        {
            var available = _readEnd - _readStart;
            if (available >= 4)
            {
                var length = BinaryPrimitives.ReadInt32LittleEndian(_read.AsSpan(_readStart));
                if (available >= 4 + length)
                {
                    batch.Rows.Add((_readStart + 4, length));
                    _readStart += 4 + length;
                    continue;
                }

                if (4 + length > _read.Length)
                {
                    // A row bigger than the buffer (huge cells): grow it, keeping the rows of the batch.
                    Array.Resize(ref _read, Math.Max(_read.Length * 2, 4 + length + (1 << 16)));
                }
            }

            if (_end)
            {
                break;
            }

            if (batch.Rows.Count > 0 && _readEnd == _read.Length)
            {
                // The buffer is full of rows of this batch and a partial one: hand these over first.
                break;
            }

            if (batch.Rows.Count == 0 && _readStart > 0)
            {
                // Move the partial row to the front to make room.
                _read.AsSpan(_readStart, _readEnd - _readStart).CopyTo(_read);
                _readEnd -= _readStart;
                _readStart = 0;
            }

            var read = await _file.ReadAsync(_read.AsMemory(_readEnd), cancellationToken).ConfigureAwait(false);
            _readEnd += read;
            _end = read == 0;
        }

        batch.Data = _read;
        return batch.Rows.Count > 0;
    }

    public ValueTask DisposeAsync() => _file.DisposeAsync();
}
