namespace Journeys.Storage.InMemory;

/// <summary>
/// A CSV import's good rows, staged for an <see cref="InMemoryCustomerStore"/> before anything is written to it: each
/// row already as the store's record (<see cref="CustomerRecordCodec"/>: the id, no time zone, the non-null values with
/// the store's field ids) in 1 MiB pages of the store's own layout, and an id table of the store's own layout (the id's
/// 32-bit hash and the row) that finds the rows whose id an earlier row has, exactly. When the file is accepted,
/// <see cref="InMemoryCustomerStore.CommitStage"/> takes the pages over as they are (a new customer's record is not
/// copied again) and, into an empty store, the table and rows too; a rejected file's stage is simply dropped, so the
/// store never sees any of it. The stage holds what the store would hold for the same rows, plus 8 bytes a row
/// while it reads (its line, for the duplicate message) and one batch of pending rows.
/// </summary>
/// <param name="duplicate">Called for a row whose id an earlier row of the stage has: its line, the earlier row's line and the id.</param>
internal sealed class CustomerStage(Action<long, long, string> duplicate)
{
    /// <summary>The size of a page (a larger record gets a page of its own).</summary>
    internal const int PageSize = 1 << 20;

    /// <summary>
    /// Rows written to the pages but not yet entered into the table: their slots are read together first, so the
    /// table's cache misses overlap (the table is 16 MiB for a million ids, each id at a random place).
    /// </summary>
    private const int PendingRows = 256;

    private readonly List<byte[]> _pages = [];
    private readonly List<int> _pageEnds = [];
    private HashSet<long>? _duplicatePlaces;
    private readonly long[] _pendingPlace = new long[PendingRows];
    private readonly long[] _pendingLine = new long[PendingRows];
    private readonly uint[] _pendingHash = new uint[PendingRows];
    private int _pending;
    private byte[] _page = [];
    private int _tail;

    private long[] _places = new long[1024];
    private long[] _lines = new long[1024];
    private int _count;
    private ulong[] _table = new ulong[1 << 12];
    private int _shift = 32 - 12;
    private ulong _touched;

    /// <summary>Rows staged (duplicates not counted); final once <see cref="Complete"/> is called.</summary>
    public int Count => _count;

    /// <summary>Rows refused because an earlier row has their id.</summary>
    public long Duplicates { get; private set; }

    /// <summary>Bytes of the staged rows' records (without their length prefixes).</summary>
    public long RecordBytes { get; private set; }

    /// <summary>The pages, in order: a record's place is its page's index (high half) and its offset in it (low half), its length prefix first.</summary>
    internal IReadOnlyList<byte[]> Pages => _pages;

    /// <summary>The place of each staged row, in file order (<see cref="Count"/> of them are valid).</summary>
    internal long[] Places => _places;

    /// <summary>
    /// Hands the places over (to an empty store, as its rows), each plus <paramref name="rebase"/>; the stage has none
    /// afterwards (<see cref="Ids"/> reads the pages).
    /// </summary>
    internal long[] TakePlaces(long rebase)
    {
        var places = _places;
        for (var row = 0; row < _count; row++)
        {
            places[row] += rebase;
        }

        _places = [];
        return places;
    }

    /// <summary>The id table: each entry the id's 32-bit hash (high half) and the row + 1 (low half), 0 for an empty slot; at most 70 % full.</summary>
    internal ulong[] Table => _table;

    /// <summary>32 − log2 of the table's size: an id's home slot is its hash shifted right by this.</summary>
    internal int Shift => _shift;

    /// <summary>True once <see cref="InMemoryCustomerStore.CommitStage"/> has taken the stage.</summary>
    internal bool Committed { get; set; }

    /// <summary>The store's 32-bit hash of an id payload: the low half of the import's 64-bit id hash.</summary>
    internal static uint StoreHash(ulong idHash) => (uint)idHash;

    /// <summary>
    /// Stages a good row: <paramref name="record"/> is the store's record (its id payload first) and
    /// <paramref name="hash"/> its id's 32-bit hash (<see cref="StoreHash"/>). Whether the id repeats an earlier row's is
    /// known once the pending rows are entered (at the latest by <see cref="Complete"/>): then the duplicate callback runs
    /// and the row is left out.
    /// </summary>
    public void Add(ReadOnlySpan<byte> record, uint hash, long line)
    {
        var size = CustomerRecordCodec.VarintLength((ulong)record.Length) + record.Length;
        if (_page.Length - _tail < size)
        {
            if (_pages.Count > 0)
            {
                _pageEnds.Add(_tail);
            }

            _page = new byte[Math.Max(PageSize, size)];
            _pages.Add(_page);
            _tail = 0;
        }

        var place = ((long)(_pages.Count - 1) << 32) | (uint)_tail;
        _tail += CustomerRecordCodec.WriteVarint(_page.AsSpan(_tail), (ulong)record.Length);
        record.CopyTo(_page.AsSpan(_tail));
        _tail += record.Length;
        _pendingPlace[_pending] = place;
        _pendingLine[_pending] = line;
        _pendingHash[_pending] = hash;
        if (++_pending == PendingRows)
        {
            EnterPending();
        }
    }

    /// <summary>
    /// Sizes the id table and the row arrays for <paramref name="more"/> rows beyond those staged (an estimate of the
    /// rest of the file): one table instead of one per doubling, each rehashed into the next. Rows past the estimate
    /// grow them as usual.
    /// </summary>
    public void Reserve(long more)
    {
        var needed = _count + _pending + Math.Max(0, more);
        var size = (long)_table.Length;
        while (needed * 10L > size * 7L && size < 1L << 30)
        {
            size *= 2;
        }

        if (size > _table.Length)
        {
            Grow((int)size);
        }

        if (needed > _places.Length && needed <= Array.MaxLength)
        {
            Array.Resize(ref _places, (int)needed);
            Array.Resize(ref _lines, (int)needed);
        }
    }

    /// <summary>Enters the last pending rows: after it, <see cref="Count"/> and <see cref="Duplicates"/> are final.</summary>
    public void Complete()
    {
        EnterPending();
        _lines = [];
    }

    /// <summary>
    /// The staged rows' ids in file order, read from the pages in the order they were written (so after a commit too,
    /// whatever the store does with its rows meanwhile), the duplicates left out.
    /// </summary>
    public IEnumerable<string> Ids()
    {
        for (var p = 0; p < _pages.Count; p++)
        {
            var end = p == _pages.Count - 1 ? _tail : _pageEnds[p];
            var position = 0;
            while (position < end)
            {
                var place = ((long)p << 32) | (uint)position;
                var length = (int)CustomerRecordCodec.ReadVarint(_pages[p], ref position);
                var at = position;
                position += length;
                if (_duplicatePlaces is null || !_duplicatePlaces.Contains(place))
                {
                    yield return CustomerRecordCodec.ReadString(_pages[p].AsSpan(0, position), ref at);
                }
            }
        }
    }

    /// <summary>A staged row's record (without its length prefix).</summary>
    internal ReadOnlySpan<byte> Record(int row) => RecordAt(_pages, _places[row]);

    internal static ReadOnlySpan<byte> RecordAt(IReadOnlyList<byte[]> pages, long place)
    {
        var page = pages[(int)(place >> 32)];
        var position = (int)place;
        var length = (int)CustomerRecordCodec.ReadVarint(page, ref position);
        return page.AsSpan(position, length);
    }

    private void EnterPending()
    {
        var needed = (long)_count + _pending;
        if (needed * 10L > _table.Length * 7L)
        {
            var size = (long)_table.Length;
            while (needed * 10L > size * 7L)
            {
                size *= 2;
            }

            Grow((int)size);
        }

        if (needed > _places.Length)
        {
            var capacity = Math.Max(_places.Length * 2L, needed);
            Array.Resize(ref _places, (int)capacity);
            Array.Resize(ref _lines, (int)capacity);
        }

        // The slots first, all of them: independent loads the processor overlaps.
        var table = _table;
        var shift = _shift;
        ulong touched = 0;
        for (var i = 0; i < _pending; i++)
        {
            touched |= table[(int)(_pendingHash[i] >> shift)];
        }

        _touched = touched;
        var mask = table.Length - 1;
        for (var i = 0; i < _pending; i++)
        {
            var hash = _pendingHash[i];
            var record = RecordAt(_pages, _pendingPlace[i]);
            var idEnd = 0;
            CustomerRecordCodec.ReadStringBytes(record, ref idEnd, out _);
            var id = record[..idEnd];
            var slot = (int)(hash >> shift);
            var first = -1;
            while (table[slot] is var entry && entry != 0)
            {
                var row = (int)(uint)entry - 1;
                if ((uint)(entry >> 32) == hash && Record(row).StartsWith(id))
                {
                    first = row;
                    break;
                }

                slot = (slot + 1) & mask;
            }

            if (first >= 0)
            {
                Duplicates++;
                (_duplicatePlaces ??= []).Add(_pendingPlace[i]);
                var at = 0;
                duplicate(_pendingLine[i], _lines[first], CustomerRecordCodec.ReadString(record, ref at));
                continue;
            }

            _places[_count] = _pendingPlace[i];
            _lines[_count] = _pendingLine[i];
            table[slot] = ((ulong)hash << 32) | (uint)(_count + 1);
            RecordBytes += record.Length;
            _count++;
        }

        _pending = 0;
    }

    private void Grow(int size) => _table = InMemoryCustomerStore.Rehashed(_table, size, out _shift);
}
