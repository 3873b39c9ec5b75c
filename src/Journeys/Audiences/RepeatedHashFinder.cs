using System.Runtime.InteropServices;

namespace Journeys.Audiences;

/// <summary>
/// Finds the 64-bit id hashes that occur more than once among all rows of an import, in bounded memory: hashes are
/// collected in a run of <see cref="RunLength"/> (8 MiB, and 8 MiB more to sort it); a full run is sorted and written to a temporary file; at the
/// end the runs are merged (64 KiB of buffer each) and equal neighbours reported. Up to <see cref="RunLength"/> rows
/// nothing touches the disk. The hashes found are candidates: the import confirms each by comparing the ids.
/// </summary>
internal sealed class RepeatedHashFinder(int runLength = RepeatedHashFinder.RunLength) : IAsyncDisposable
{
    /// <summary>Hashes kept in memory before a sorted run goes to disk.</summary>
    public const int RunLength = 1 << 20;

    private const int MergeBufferLength = 8 * 1024;

    /// <summary>The largest bucket of <see cref="Sort"/> sorted by <see cref="InsertionSort"/>.</summary>
    private const int SmallBucket = 48;

    private readonly ulong[] _run = new ulong[runLength];
    private ulong[]? _sorted;
    private readonly List<(long Offset, int Count)> _runs = [];
    private int _count;
    private long _written;
    private FileStream? _file;

    public void Add(ulong hash)
    {
        _run[_count++] = hash;
        if (_count == _run.Length)
        {
            Spill();
        }
    }

    /// <summary>The hashes added more than once.</summary>
    public async ValueTask<HashSet<ulong>> FindRepeatedAsync(CancellationToken cancellationToken)
    {
        var repeated = new HashSet<ulong>();
        if (_runs.Count == 0)
        {
            var run = Sort();
            for (var i = 1; i < run.Length; i++)
            {
                if (run[i] == run[i - 1])
                {
                    repeated.Add(run[i]);
                }
            }

            return repeated;
        }

        if (_count > 0)
        {
            Spill();
        }

        var readers = new RunReader[_runs.Count];
        var queue = new PriorityQueue<int, ulong>(_runs.Count);
        for (var r = 0; r < readers.Length; r++)
        {
            readers[r] = new RunReader(_file!, _runs[r].Offset, _runs[r].Count);
            if (await readers[r].MoveNextAsync(cancellationToken).ConfigureAwait(false))
            {
                queue.Enqueue(r, readers[r].Current);
            }
        }

        ulong previous = 0;
        var first = true;
        while (queue.TryDequeue(out var r, out var hash))
        {
            if (!first && hash == previous)
            {
                repeated.Add(hash);
            }

            first = false;
            previous = hash;
            if (await readers[r].MoveNextAsync(cancellationToken).ConfigureAwait(false))
            {
                queue.Enqueue(r, readers[r].Current);
            }
        }

        return repeated;
    }

    public async ValueTask DisposeAsync()
    {
        if (_file is not null)
        {
            await _file.DisposeAsync().ConfigureAwait(false);
        }
    }

    private void Spill()
    {
        _file ??= new FileStream(
            Path.Combine(Path.GetTempPath(), $"journeys-import-{Guid.NewGuid():N}.ids"),
            FileMode.CreateNew,
            FileAccess.ReadWrite,
            FileShare.None,
            1,
            FileOptions.DeleteOnClose | FileOptions.Asynchronous);
        var run = Sort();

        // Written synchronously: the run is a span over an array of hashes, which an async write cannot take without a copy.
        RandomAccess.Write(_file.SafeFileHandle, MemoryMarshal.AsBytes(run), _written);
        _runs.Add((_written, _count));
        _written += (long)_count * sizeof(ulong);
        _count = 0;
    }

    /// <summary>
    /// The run sorted: the hashes are uniform, so one counting pass on their top 16 bits into a second array leaves
    /// buckets of a few items each to sort (several times faster than a comparison sort of the whole run).
    /// </summary>
    private Span<ulong> Sort()
    {
        var run = _run.AsSpan(0, _count);
        if (run.Length < 1 << 16)
        {
            run.Sort();
            return run;
        }

        var sorted = (_sorted ??= new ulong[_run.Length]).AsSpan(0, _count);
        var starts = new int[(1 << 16) + 1];
        foreach (var hash in run)
        {
            starts[(int)(hash >> 48) + 1]++;
        }

        for (var b = 1; b < starts.Length; b++)
        {
            starts[b] += starts[b - 1];
        }

        var next = starts.AsSpan(0, 1 << 16).ToArray();
        foreach (var hash in run)
        {
            sorted[next[(int)(hash >> 48)]++] = hash;
        }

        for (var b = 0; b < 1 << 16; b++)
        {
            var bucket = sorted[starts[b]..starts[b + 1]];
            if (bucket.Length > SmallBucket)
            {
                bucket.Sort();
            }
            else
            {
                InsertionSort(bucket);
            }
        }

        return sorted;
    }

    /// <summary>
    /// A bucket of at most <see cref="SmallBucket"/> hashes sorted in place without the general sort's calls (a million
    /// hashes make 65,536 buckets of about 15). A larger bucket (only ids crafted to share their hash's top bits make
    /// one) gets the general O(n log n) sort.
    /// </summary>
    private static void InsertionSort(Span<ulong> bucket)
    {
        for (var i = 1; i < bucket.Length; i++)
        {
            var value = bucket[i];
            var j = i - 1;
            while (j >= 0 && bucket[j] > value)
            {
                bucket[j + 1] = bucket[j];
                j--;
            }

            bucket[j + 1] = value;
        }
    }

    /// <summary>Reads one sorted run back in small blocks.</summary>
    private sealed class RunReader(FileStream file, long offset, int count)
    {
        private readonly byte[] _buffer = new byte[MergeBufferLength * sizeof(ulong)];
        private int _next;
        private int _filled;
        private int _read;

        public ulong Current { get; private set; }

        public async ValueTask<bool> MoveNextAsync(CancellationToken cancellationToken)
        {
            if (_next == _filled)
            {
                if (_read == count)
                {
                    return false;
                }

                var take = Math.Min(MergeBufferLength, count - _read);
                var bytes = _buffer.AsMemory(0, take * sizeof(ulong));
                var done = 0;
                while (done < bytes.Length)
                {
                    var n = await RandomAccess.ReadAsync(file.SafeFileHandle, bytes[done..], offset + ((long)_read * sizeof(ulong)) + done, cancellationToken).ConfigureAwait(false);
                    if (n == 0)
                    {
                        throw new EndOfStreamException("The import's id hash file ended early.");
                    }

                    done += n;
                }

                _read += take;
                _filled = take;
                _next = 0;
            }

            Current = MemoryMarshal.Cast<byte, ulong>(_buffer.AsSpan())[_next++];
            return true;
        }
    }
}
