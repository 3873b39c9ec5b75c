using System.Collections.Immutable;
using System.IO.Hashing;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Unicode;
using Journeys.Model;

namespace Journeys.Storage.InMemory;

/// <summary>
/// An <see cref="ICustomerStore"/> in process memory, for tests, benchmarks and single-process hosts. One lock, which
/// reads take too, guards the data, so an upsert, an import or a checkpoint's field updates become visible all at
/// once; <see cref="ScanAsync"/> streams a snapshot taken when the enumeration starts, in id order (ordinal), however the
/// store changes meanwhile. A batch that names one id twice is refused with an <see cref="ArgumentException"/> before
/// anything is written.
/// </summary>
/// <remarks>
/// Compact, so that millions of customers fit: a customer is not an object but one record in an append-only byte arena
/// (1 MiB pages): its id, time zone and field values in the form of <see cref="CustomerRecordCodec"/> (a field as the
/// index of its name in the store's name table, a type tag and the value: UTF-8 text, small whole numbers and
/// midnight dates in 1 to 3 bytes). An open-addressing table (linear probing, at most 70% full, 8 bytes a slot: the
/// id's hash and the row) and an array of rows (the record's place, 8 bytes) find a record by id. 1,000,000 customers of
/// the CSV benchmark (a 21-character id, a short name, a number, a boolean, a date) take about 70 MB, against about
/// 600 MB as <see cref="Customer"/> objects with immutable dictionaries. A change writes a new record and leaves the old
/// one as garbage; when garbage outweighs live data the arena is compacted into new pages (a running scan keeps the
/// old pages, which nothing writes again). Reads decode a new <see cref="Customer"/> each time.
/// </remarks>
internal sealed class InMemoryCustomerStore : ICustomerStore
{
    private const int PageSize = 1 << 20;
    private const long FreeRow = -1;
    private const long MinGarbageToCompact = 8L << 20;

    /// <summary>
    /// Staged rows of a commit whose table slots are read together before they are looked up (<see cref="CommitStage"/>):
    /// independent loads the processor overlaps, so a chunk's cache misses (the table is 16 MiB for a million customers,
    /// each id at a random place) cost about one miss's time instead of one each.
    /// </summary>
    private const int TouchChunk = 256;

    /// <summary>
    /// Slots of <see cref="_sharedStrings"/>: the engine's reads of a customer (<see cref="FillSlots"/>) share the string
    /// of a value read lately instead of decoding a new one each time. Most string fields a journey reads take few values
    /// (a country, a plan, a language, a segment), and those then cost no allocation per enrollment; a field whose values
    /// are all different (a name, an e-mail address) misses and costs a hash of its bytes. Direct-mapped, a miss replaces
    /// the slot: at most 4,096 strings of at most <see cref="MaxSharedStringBytes"/> UTF-8 bytes stay referenced (~350 KB).
    /// </summary>
    private const int SharedStringSlots = 4096;

    /// <summary>The longest value (UTF-8 bytes) <see cref="FillSlots"/> shares; longer ones are rarely repeated.</summary>
    private const int MaxSharedStringBytes = 32;

    [ThreadStatic]
    private static RecordBuffer? t_buffer;

    // Created by the first engine read (a store that only holds customers never needs it); used under SyncRoot only.
    private string?[]? _sharedStrings;

    private readonly Dictionary<string, int> _fieldIds = new(StringComparer.OrdinalIgnoreCase);
    private readonly List<string> _fieldNames = [];
    private string? _lastFieldName;
    private int _lastFieldId;
    private CustomerFieldSchema? _slotsSchema;
    private int[] _slots = [];
    private readonly Dictionary<string, int> _zoneIds = new(StringComparer.Ordinal);
    private readonly List<string> _zoneNames = [];
    private CustomerFieldSchema _schema = CustomerFieldSchema.Empty;

    private byte[][] _pages = [];
    private int _pageCount;
    private int _tail = PageSize;

    private long[] _rowRef = [];
    private int _rowCount;
    private int[] _freeRows = [];
    private int _freeCount;

    // An entry is the id's 32-bit hash (high half) and the row + 1 (low half; 0 is an empty slot). The slot is the
    // hash's top bits, so probing and growing never touch the records; 4 or 8 entries share a cache line.
    private ulong[] _table = new ulong[16];
    private int _shift = 32 - 4;
    private int _count;
    private long _liveBytes;
    private long _garbageBytes;

    // Enumerations reading a snapshot of the pages outside the lock (an abandoned, undisposed one keeps it above zero:
    // records are then only appended, which is always safe).
    private int _snapshots;

    // What CommitStage's slot reads read, kept so the reads are not optimised away.
    private ulong _touched;

    /// <summary>Guards the data; <see cref="InMemoryEngineStore"/> takes it too, after its own, to apply a checkpoint's field updates atomically.</summary>
    internal Lock SyncRoot { get; } = new();

    /// <summary>How many customers are stored.</summary>
    internal int Count
    {
        get
        {
            lock (SyncRoot)
            {
                return _count;
            }
        }
    }

    /// <summary>Bytes of the arena pages, row arrays and table (what the customers cost, beside the name tables).</summary>
    internal long AllocatedBytes
    {
        get
        {
            lock (SyncRoot)
            {
                long pages = 0;
                for (var i = 0; i < _pageCount; i++)
                {
                    pages += _pages[i].Length;
                }

                return pages + (_rowRef.Length * 8L) + (_freeRows.Length * 4L) + (_table.Length * 8L);
            }
        }
    }

    /// <inheritdoc />
    public ValueTask<CustomerFieldSchema> GetSchemaAsync(CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        return ValueTask.FromResult(Volatile.Read(ref _schema));
    }

    /// <inheritdoc />
    public ValueTask SaveSchemaAsync(CustomerFieldSchema schema, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(schema);
        cancellationToken.ThrowIfCancellationRequested();
        Volatile.Write(ref _schema, schema);
        return ValueTask.CompletedTask;
    }

    /// <inheritdoc />
    public ValueTask<Customer?> GetAsync(string customerId, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(customerId);
        cancellationToken.ThrowIfCancellationRequested();
        var key = Buffer();
        key.Clear();
        CustomerRecordCodec.WriteString(key, customerId);
        lock (SyncRoot)
        {
            var row = FindRow(key.WrittenSpan, out _);
            return ValueTask.FromResult(row < 0 ? null : Decode(Record(_pages, _rowRef[row]), _fieldNames, _zoneNames));
        }
    }

    /// <summary>
    /// The engine's read: writes the customer's values straight into schema slots (defaults where the customer has no
    /// value or a null one, as <see cref="Conditions.CustomerSlots.Fill"/> does) without building a <see cref="Customer"/>.
    /// </summary>
    /// <param name="customerId">The customer.</param>
    /// <param name="schema">The schema whose slots to fill.</param>
    /// <param name="destination">At least as long as the schema has fields.</param>
    /// <param name="timeZoneId">The customer's time zone id, or <see langword="null"/>.</param>
    /// <param name="readSlots">
    /// The slots to decode (<see cref="Runtime.CompiledJourney.ReadSlots"/>), or <see langword="null"/> for all; the others
    /// keep their default without being decoded.
    /// </param>
    /// <returns>Whether the customer exists; when not, every slot holds its default.</returns>
    internal bool FillSlots(string customerId, CustomerFieldSchema schema, Span<FieldValue> destination, out string? timeZoneId, bool[]? readSlots = null)
    {
        ArgumentNullException.ThrowIfNull(customerId);
        ArgumentNullException.ThrowIfNull(schema);
        var definitions = schema.Fields;
        if (destination.Length < definitions.Count)
        {
            throw new ArgumentException($"The destination has {destination.Length} slots but the schema has {definitions.Count} fields.", nameof(destination));
        }

        for (var slot = 0; slot < definitions.Count; slot++)
        {
            destination[slot] = definitions[slot].Default;
        }

        var key = Buffer();
        key.Clear();
        CustomerRecordCodec.WriteString(key, customerId);
        lock (SyncRoot)
        {
            var row = FindRow(key.WrittenSpan, out _);
            if (row < 0)
            {
                timeZoneId = null;
                return false;
            }

            var slots = SlotsOf(schema);
            var record = Record(_pages, _rowRef[row]);
            var position = 0;
            CustomerRecordCodec.ReadStringBytes(record, ref position, out _);
            var zone = (int)CustomerRecordCodec.ReadVarint(record, ref position);
            timeZoneId = zone == 0 ? null : _zoneNames[zone - 1];
            var count = (int)CustomerRecordCodec.ReadVarint(record, ref position);
            for (var i = 0; i < count; i++)
            {
                var fieldId = (int)CustomerRecordCodec.ReadVarint(record, ref position);
                var slot = fieldId < slots.Length ? slots[fieldId] : -1;
                if (slot < 0 || (readSlots is not null && (slot >= readSlots.Length || !readSlots[slot])))
                {
                    // A field the schema does not name, or one no node reads: skipped without decoding (no string is built for it).
                    position += CustomerRecordCodec.ValueLength(record, position);
                    continue;
                }

                var value = ReadValueShared(record, ref position);
                if (!value.IsNull)
                {
                    destination[slot] = value;
                }
            }

            return true;
        }
    }

    /// <summary>
    /// <see cref="CustomerRecordCodec.ReadValue"/>, except that a short string comes from <see cref="_sharedStrings"/>
    /// when an equal one was read before (strings are immutable, so readers may share one). The caller holds
    /// <see cref="SyncRoot"/>.
    /// </summary>
    private FieldValue ReadValueShared(ReadOnlySpan<byte> record, ref int position)
    {
        var start = position;
        if (record[position] != CustomerRecordCodec.StringTag)
        {
            return CustomerRecordCodec.ReadValue(record, ref position);
        }

        position++;
        var bytes = CustomerRecordCodec.ReadStringBytes(record, ref position, out var utf16);
        Span<char> chars = stackalloc char[MaxSharedStringBytes];
        if (utf16 || bytes.Length > MaxSharedStringBytes
            || Utf8.ToUtf16(bytes, chars, out _, out var length, replaceInvalidSequences: false) != System.Buffers.OperationStatus.Done)
        {
            position = start;
            return CustomerRecordCodec.ReadValue(record, ref position);
        }

        var text = chars[..length];
        var shared = _sharedStrings ??= new string?[SharedStringSlots];
        ref var slot = ref shared[(int)(Hash(bytes) & (SharedStringSlots - 1))];
        if (slot is { } known && text.SequenceEqual(known))
        {
            return FieldValue.FromString(known);
        }

        // A miss (a value not read lately, or another one in its slot) replaces the slot.
        var decoded = new string(text);
        slot = decoded;
        return FieldValue.FromString(decoded);
    }

    /// <summary>
    /// For each stored field id, its slot in <paramref name="schema"/> or -1: cached for the last schema asked for (a
    /// compiled journey keeps its schema object), rebuilt when the schema or the set of stored field names changes.
    /// The caller holds <see cref="SyncRoot"/>.
    /// </summary>
    private int[] SlotsOf(CustomerFieldSchema schema)
    {
        if (ReferenceEquals(_slotsSchema, schema) && _slots.Length == _fieldNames.Count)
        {
            return _slots;
        }

        var slots = new int[_fieldNames.Count];
        for (var id = 0; id < slots.Length; id++)
        {
            slots[id] = -1;
            for (var slot = 0; slot < schema.Fields.Count; slot++)
            {
                if (string.Equals(schema.Fields[slot].Name, _fieldNames[id], StringComparison.OrdinalIgnoreCase))
                {
                    slots[id] = slot;
                    break;
                }
            }
        }

        _slotsSchema = schema;
        _slots = slots;
        return slots;
    }

    /// <inheritdoc />
    public ValueTask<CustomerUpsertResult> UpsertAsync(IReadOnlyList<Customer> customers, CancellationToken cancellationToken = default)
    {
        StoreArgumentChecks.Customers(customers, nameof(customers));
        cancellationToken.ThrowIfCancellationRequested();

        var record = Buffer();
        lock (SyncRoot)
        {
            int created = 0, updated = 0;
            foreach (var customer in customers)
            {
                var idLength = Encode(record, customer);
                if (Put(record.WrittenSpan, idLength))
                {
                    updated++;
                }
                else
                {
                    created++;
                }
            }

            CompactIfWasteful();
            return ValueTask.FromResult(new CustomerUpsertResult(created, updated));
        }
    }

    /// <inheritdoc />
    /// <remarks>Under the store's lock, which the engine store's commit takes to apply its field updates: each customer is read, merged and written while no other writer can change it.</remarks>
    public ValueTask<CustomerMergeResult> MergeAsync(IReadOnlyList<CustomerPatch> patches, CancellationToken cancellationToken = default)
    {
        StoreArgumentChecks.CustomerPatches(patches, nameof(patches));
        cancellationToken.ThrowIfCancellationRequested();
        var merged = new Customer[patches.Count];
        var record = Buffer();
        lock (SyncRoot)
        {
            int created = 0, updated = 0;
            for (var i = 0; i < merged.Length; i++)
            {
                record.Clear();
                CustomerRecordCodec.WriteString(record, patches[i].CustomerId);
                var row = FindRow(record.WrittenSpan, out _);
                merged[i] = patches[i].ApplyTo(row < 0 ? null : Decode(Record(_pages, _rowRef[row]), _fieldNames, _zoneNames));
                var idLength = Encode(record, merged[i]);
                if (Put(record.WrittenSpan, idLength))
                {
                    updated++;
                }
                else
                {
                    created++;
                }
            }

            CompactIfWasteful();
            return ValueTask.FromResult(new CustomerMergeResult(created, updated, merged));
        }
    }

    /// <inheritdoc />
    public ValueTask<bool> DeleteAsync(string customerId, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(customerId);
        cancellationToken.ThrowIfCancellationRequested();
        var key = Buffer();
        key.Clear();
        CustomerRecordCodec.WriteString(key, customerId);
        lock (SyncRoot)
        {
            var row = FindRow(key.WrittenSpan, out var slot);
            if (row < 0)
            {
                return ValueTask.FromResult(false);
            }

            RemoveSlot(slot);
            var length = Record(_pages, _rowRef[row]).Length;
            _liveBytes -= length;
            _garbageBytes += length;
            _rowRef[row] = FreeRow;
            if (_freeCount == _freeRows.Length)
            {
                Array.Resize(ref _freeRows, Math.Max(16, _freeRows.Length * 2));
            }

            _freeRows[_freeCount++] = row;
            _count--;
            return ValueTask.FromResult(true);
        }
    }

    /// <inheritdoc />
    public IAsyncEnumerable<Customer> ScanAsync(CancellationToken cancellationToken = default) => Stream(cancellationToken);

    /// <summary>The store's field id of each name (names it does not know yet are added; no customer changes).</summary>
    /// <param name="names">Field names.</param>
    /// <returns>Their ids, in order.</returns>
    internal int[] FieldIds(IReadOnlyList<string> names)
    {
        var ids = new int[names.Count];
        lock (SyncRoot)
        {
            for (var i = 0; i < ids.Length; i++)
            {
                ids[i] = FieldId(names[i]);
            }
        }

        return ids;
    }

    /// <summary>
    /// Writes a CSV import's staged rows (the good, distinct rows of an accepted file, as records with this store's field
    /// ids: <see cref="FieldIds"/>): a new customer gets the staged record, which stays where it is (the stage's pages
    /// become the store's); a stored customer keeps its time zone and the fields the file has no column for, and gets the
    /// file's non-null values (a column left empty clears the field). Into an empty store the stage's id table and rows
    /// become the store's as they are. All rows become visible at once (one hold of the lock).
    /// </summary>
    /// <param name="stage">The stage, complete (<see cref="CustomerStage.Complete"/>); it is the store's afterwards and cannot be committed again.</param>
    /// <param name="columnFieldIds">The field ids of the file's columns: the fields an existing customer's record gets from the file.</param>
    /// <returns>How many customers were created and how many updated.</returns>
    internal CustomerUpsertResult CommitStage(CustomerStage stage, ReadOnlySpan<int> columnFieldIds)
    {
        ArgumentNullException.ThrowIfNull(stage);
        if (stage.Committed)
        {
            throw new InvalidOperationException("The stage was already committed.");
        }

        var count = stage.Count;
        lock (SyncRoot)
        {
            stage.Committed = true;
            if (count == 0)
            {
                return new CustomerUpsertResult(0, 0);
            }

            // The stage's pages after the store's; the store's next record starts a new page after them.
            var rebase = (long)_pageCount << 32;
            foreach (var page in stage.Pages)
            {
                if (_pageCount == _pages.Length)
                {
                    Array.Resize(ref _pages, Math.Max(8, _pages.Length * 2));
                }

                _pages[_pageCount++] = page;
            }

            _tail = PageSize;
            var places = stage.Places;
            if (_count == 0)
            {
                // Empty (every row free, if any): the stage's table and rows are the store's, row for row.
                _rowRef = stage.TakePlaces(rebase);
                _rowCount = count;
                _freeCount = 0;
                _table = stage.Table;
                _shift = stage.Shift;
                _count = count;
                _liveBytes += stage.RecordBytes;
                return new CustomerUpsertResult(count, 0);
            }

            int created = 0, updated = 0;
            EnsureRoom(count);
            var record = Buffer();
            Span<uint> hashes = stackalloc uint[TouchChunk];
            for (var chunk = 0; chunk < count; chunk += TouchChunk)
            {
                var chunkLength = Math.Min(TouchChunk, count - chunk);
                var table = _table;
                ulong touched = 0;
                for (var i = 0; i < chunkLength; i++)
                {
                    var staged = Record(_pages, places[chunk + i] + rebase);
                    var idEnd = 0;
                    CustomerRecordCodec.ReadStringBytes(staged, ref idEnd, out _);
                    hashes[i] = Hash(staged[..idEnd]);
                    touched |= table[(int)(hashes[i] >> _shift)];
                }

                _touched = touched;
                for (var i = 0; i < chunkLength; i++)
                {
                    var place = places[chunk + i] + rebase;
                    var staged = Record(_pages, place);
                    var at = 0;
                    CustomerRecordCodec.ReadStringBytes(staged, ref at, out _);
                    var idPayload = staged[..at];
                    var hash = hashes[i];
                    var row = FindRow(idPayload, hash, out var slot);
                    _liveBytes += staged.Length;
                    if (row < 0)
                    {
                        AddRow(place, slot, hash);
                        created++;
                        continue;
                    }

                    // The stored fields the file has no column for, then the file's values.
                    CustomerRecordCodec.ReadVarint(staged, ref at);
                    var values = (int)CustomerRecordCodec.ReadVarint(staged, ref at);
                    var fileValues = staged[at..];
                    record.Clear();
                    record.Write(idPayload);
                    var old = Record(_pages, _rowRef[row]);
                    var from = idPayload.Length;
                    var zone = CustomerRecordCodec.ReadVarint(old, ref from);
                    var oldCount = (int)CustomerRecordCodec.ReadVarint(old, ref from);
                    record.WriteVarint(zone);
                    var countAt = record.Length;
                    record.Write([0, 0, 0, 0, 0]);
                    var kept = 0;
                    for (var f = 0; f < oldCount; f++)
                    {
                        var fieldId = (int)CustomerRecordCodec.ReadVarint(old, ref from);
                        var length = CustomerRecordCodec.ValueLength(old, from);
                        if (columnFieldIds.IndexOf(fieldId) < 0)
                        {
                            record.WriteVarint((ulong)fieldId);
                            record.Write(old.Slice(from, length));
                            kept++;
                        }

                        from += length;
                    }

                    record.Write(fileValues);
                    CustomerRecordCodec.WriteFixedVarint(record.At(countAt, 5), (uint)(kept + values));

                    // The staged record is garbage now (counted live above, as Put counts the replaced one).
                    _liveBytes -= staged.Length;
                    _garbageBytes += staged.Length;
                    Put(record.WrittenSpan, row, slot, hash);
                    updated++;
                }
            }

            CompactIfWasteful();
            return new CustomerUpsertResult(created, updated);
        }
    }

    /// <summary>
    /// Sets customer fields (a <see cref="FieldValue.Null"/> value removes the field); a customer the store does not have
    /// is created with the field. The caller holds <see cref="SyncRoot"/>.
    /// </summary>
    /// <param name="updates">The updates, applied in order.</param>
    internal void ApplyFieldUpdatesLocked(IReadOnlyList<CustomerFieldUpdate> updates)
    {
        for (var i = 0; i < updates.Count; i++)
        {
            Apply(updates[i]);
        }

        CompactIfWasteful();
    }

    /// <summary>
    /// The field updates of the applied checkpoints, in checkpoint order. The caller holds <see cref="SyncRoot"/>, so
    /// readers see all of them or none.
    /// </summary>
    /// <param name="checkpoints">The checkpoints of a commit.</param>
    /// <param name="applied">Which of them are applied.</param>
    internal void ApplyFieldUpdatesLocked(IReadOnlyList<EnrollmentCheckpoint> checkpoints, bool[] applied)
    {
        for (var i = 0; i < checkpoints.Count; i++)
        {
            if (applied[i])
            {
                // Indexed through the checkpoint: an executor's writes are applied without building its update list.
                var checkpoint = checkpoints[i];
                for (var u = 0; u < checkpoint.CustomerUpdateCount; u++)
                {
                    Apply(checkpoint.CustomerUpdate(u));
                }

                CompactIfWasteful();
            }
        }
    }

    /// <summary>Writes a customer's record into <paramref name="record"/> (cleared first); returns the length of its id payload. The caller holds <see cref="SyncRoot"/>.</summary>
    private int Encode(RecordBuffer record, Customer customer)
    {
        record.Clear();
        CustomerRecordCodec.WriteString(record, customer.Id);
        var idLength = record.Length;
        record.WriteVarint(customer.TimeZoneId is { } zone ? (ulong)ZoneId(zone) : 0);
        var fields = 0;
        foreach (var (_, value) in customer.Fields)
        {
            fields += value.IsNull ? 0 : 1;
        }

        record.WriteVarint((ulong)fields);
        foreach (var (name, value) in customer.Fields)
        {
            if (!value.IsNull)
            {
                record.WriteVarint((ulong)FieldId(name));
                CustomerRecordCodec.WriteValue(record, value);
            }
        }

        return idLength;
    }

    private static RecordBuffer Buffer() => t_buffer ??= new RecordBuffer(1024);

    /// <summary>A record (without its length prefix) by its place in the arena.</summary>
    private static ReadOnlySpan<byte> Record(byte[][] pages, long place)
    {
        var page = pages[(int)(place >> 32)];
        var position = (int)place;
        var length = (int)CustomerRecordCodec.ReadVarint(page, ref position);
        return page.AsSpan(position, length);
    }

    private static Customer Decode(ReadOnlySpan<byte> record, IReadOnlyList<string> fieldNames, IReadOnlyList<string> zoneNames)
    {
        var position = 0;
        var id = CustomerRecordCodec.ReadString(record, ref position);
        var zone = (int)CustomerRecordCodec.ReadVarint(record, ref position);
        var count = (int)CustomerRecordCodec.ReadVarint(record, ref position);
        var fields = ImmutableDictionary.CreateBuilder<string, FieldValue>(StringComparer.OrdinalIgnoreCase);
        for (var i = 0; i < count; i++)
        {
            var name = fieldNames[(int)CustomerRecordCodec.ReadVarint(record, ref position)];
            fields[name] = CustomerRecordCodec.ReadValue(record, ref position);
        }

        return new Customer(id, fields.ToImmutable(), zone == 0 ? null : zoneNames[zone - 1]);
    }

    private static uint Hash(ReadOnlySpan<byte> idPayload) => (uint)XxHash3.HashToUInt64(idPayload);

    private void Apply(CustomerFieldUpdate update)
    {
        var record = Buffer();
        record.Clear();
        CustomerRecordCodec.WriteString(record, update.CustomerId);
        var idLength = record.Length;
        var row = FindRow(record.WrittenSpan, out _);
        var fieldId = FieldId(update.Field);
        if (row < 0)
        {
            record.WriteByte(0);
            if (update.Value.IsNull)
            {
                record.WriteByte(0);
            }
            else
            {
                record.WriteByte(1);
                record.WriteVarint((ulong)fieldId);
                CustomerRecordCodec.WriteValue(record, update.Value);
            }
        }
        else
        {
            var old = Record(_pages, _rowRef[row]);
            if (!update.Value.IsNull && TryReplaceValue(record, old, fieldId, update.Value, out var unchanged))
            {
                if (unchanged || TryOverwrite(row, record.WrittenSpan))
                {
                    return;
                }

                Put(record.WrittenSpan, idLength);
                return;
            }

            record.Truncate(idLength);
            var at = idLength;
            record.WriteVarint(CustomerRecordCodec.ReadVarint(old, ref at));
            var count = (int)CustomerRecordCodec.ReadVarint(old, ref at);
            var countAt = record.Length;
            record.Write([0, 0, 0, 0, 0]);
            var kept = 0;
            for (var f = 0; f < count; f++)
            {
                var id = (int)CustomerRecordCodec.ReadVarint(old, ref at);
                var length = CustomerRecordCodec.ValueLength(old, at);
                if (id != fieldId)
                {
                    record.WriteVarint((ulong)id);
                    record.Write(old.Slice(at, length));
                    kept++;
                }

                at += length;
            }

            if (!update.Value.IsNull)
            {
                record.WriteVarint((ulong)fieldId);
                CustomerRecordCodec.WriteValue(record, update.Value);
                kept++;
            }

            CustomerRecordCodec.WriteFixedVarint(record.At(countAt, 5), (uint)kept);
            if (TryOverwrite(row, record.WrittenSpan))
            {
                return;
            }
        }

        Put(record.WrittenSpan, idLength);
    }

    /// <summary>
    /// The update node's common case, a field the customer has set to a value: the new record is the old one with that
    /// field's value bytes replaced (its place and the field count unchanged), copied as the two spans around it instead
    /// of field by field. False when the customer does not have the field (the caller re-encodes the record, adding it).
    /// <paramref name="unchanged"/>: the value's bytes are the ones already stored, so nothing needs to be written.
    /// </summary>
    private static bool TryReplaceValue(RecordBuffer record, ReadOnlySpan<byte> old, int fieldId, FieldValue value, out bool unchanged)
    {
        unchanged = false;
        var at = record.Length; // the id's bytes, the same in the old record
        CustomerRecordCodec.ReadVarint(old, ref at); // the time zone
        var count = (int)CustomerRecordCodec.ReadVarint(old, ref at);
        for (var f = 0; f < count; f++)
        {
            var id = (int)CustomerRecordCodec.ReadVarint(old, ref at);
            var length = CustomerRecordCodec.ValueLength(old, at);
            if (id == fieldId)
            {
                record.Clear();
                record.Write(old[..at]);
                CustomerRecordCodec.WriteValue(record, value);
                var newLength = record.Length - at;
                if (newLength == length && record.WrittenSpan[at..].SequenceEqual(old.Slice(at, length)))
                {
                    unchanged = true;
                    return true;
                }

                record.Write(old[(at + length)..]);
                return true;
            }

            at += length;
        }

        return false;
    }

    /// <summary>
    /// Writes a customer's new record over its old one when it fits there (no longer, the same length prefix size) and no
    /// enumeration holds a snapshot of the pages (<see cref="Stream"/> reads them outside the lock): an update node's
    /// change then neither grows the arena nor leaves a whole record for compaction, only the bytes it shortened by.
    /// </summary>
    private bool TryOverwrite(int row, ReadOnlySpan<byte> record)
    {
        if (Volatile.Read(ref _snapshots) != 0)
        {
            return false;
        }

        var place = _rowRef[row];
        var page = _pages[(int)(place >> 32)];
        var position = (int)place;
        var oldLength = (int)CustomerRecordCodec.ReadVarint(page, ref position);
        if (record.Length > oldLength || CustomerRecordCodec.VarintLength((ulong)record.Length) != position - (int)place)
        {
            return false;
        }

        CustomerRecordCodec.WriteVarint(page.AsSpan((int)place), (ulong)record.Length);
        record.CopyTo(page.AsSpan(position));
        _liveBytes -= oldLength - record.Length;
        _garbageBytes += oldLength - record.Length;
        return true;
    }

    private int FieldId(string name)
    {
        // An update node names its field with the same string instance every time: its id without hashing the name.
        // Ids are never reassigned (the name table only grows), so the pair stays right.
        if (ReferenceEquals(name, _lastFieldName))
        {
            return _lastFieldId;
        }

        var found = FieldIdSlow(name);
        _lastFieldName = name;
        _lastFieldId = found;
        return found;
    }

    private int FieldIdSlow(string name)
    {
        ref var id = ref CollectionsMarshal.GetValueRefOrAddDefault(_fieldIds, name, out var exists);
        if (!exists)
        {
            id = _fieldNames.Count;
            _fieldNames.Add(name);
        }

        return id;
    }

    private int ZoneId(string zone)
    {
        ref var id = ref CollectionsMarshal.GetValueRefOrAddDefault(_zoneIds, zone, out var exists);
        if (!exists)
        {
            _zoneNames.Add(zone);
            id = _zoneNames.Count;
        }

        return id;
    }

    /// <summary>The row of an id (a string payload), or -1; <paramref name="slot"/> is its table slot, or the empty slot where it would go.</summary>
    private int FindRow(ReadOnlySpan<byte> idPayload, out int slot) => FindRow(idPayload, Hash(idPayload), out slot);

    private int FindRow(ReadOnlySpan<byte> idPayload, uint hash, out int slot)
    {
        var mask = _table.Length - 1;
        slot = (int)(hash >> _shift);
        while (true)
        {
            var entry = _table[slot];
            if (entry == 0)
            {
                return -1;
            }

            var row = (int)(uint)entry - 1;
            if ((uint)(entry >> 32) == hash && Record(_pages, _rowRef[row]).StartsWith(idPayload))
            {
                return row;
            }

            slot = (slot + 1) & mask;
        }
    }

    /// <summary>Stores a record (its id payload first, <paramref name="idLength"/> bytes), replacing the record of that id; true when it replaced one.</summary>
    private bool Put(ReadOnlySpan<byte> record, int idLength)
    {
        EnsureRoom(1);
        var hash = Hash(record[..idLength]);
        var row = FindRow(record[..idLength], hash, out var slot);
        Put(record, row, slot, hash);
        return row >= 0;
    }

    /// <summary>Stores a record at <paramref name="row"/> (found by <see cref="FindRow(ReadOnlySpan{byte}, uint, out int)"/>), or as a new row at the empty <paramref name="slot"/>.</summary>
    private void Put(ReadOnlySpan<byte> record, int row, int slot, uint hash)
    {
        if (row >= 0)
        {
            var oldLength = Record(_pages, _rowRef[row]).Length;
            _liveBytes -= oldLength;
            _garbageBytes += oldLength;
            _rowRef[row] = Append(record);
            return;
        }

        AddRow(Append(record), slot, hash);
    }

    /// <summary>Room for <paramref name="more"/> new customers without growing the table or the row arrays (so a slot found stays valid).</summary>
    private void EnsureRoom(int more)
    {
        var needed = (long)_count + more;
        if (needed * 10L > _table.Length * 7L)
        {
            var size = (long)_table.Length;
            while (needed * 10L > size * 7L)
            {
                size *= 2;
            }

            Rehash((int)size);
        }

        var rows = (long)_rowCount + Math.Max(0, more - _freeCount);
        if (rows > _rowRef.Length)
        {
            var capacity = Math.Max(1024L, _rowRef.Length * 2L);
            while (capacity < rows)
            {
                capacity *= 2;
            }

            Array.Resize(ref _rowRef, (int)capacity);
        }
    }

    /// <summary>Appends a record with its length prefix; returns its place (page in the high half, offset in the low).</summary>
    private long Append(ReadOnlySpan<byte> record)
    {
        var place = Allocate(record.Length, out var destination);
        record.CopyTo(destination);
        return place;
    }

    /// <summary>
    /// Room for a record of <paramref name="length"/> bytes at the end of the arena, its length prefix written: the
    /// caller writes the record into <paramref name="destination"/>. Returns its place (page in the high half, offset in the low).
    /// </summary>
    private long Allocate(int length, out Span<byte> destination)
    {
        var size = CustomerRecordCodec.VarintLength((ulong)length) + length;
        if (PageSize - _tail < size || _pageCount == 0)
        {
            if (_pageCount == _pages.Length)
            {
                Array.Resize(ref _pages, Math.Max(8, _pages.Length * 2));
            }

            _pages[_pageCount++] = new byte[Math.Max(PageSize, size)];
            _tail = 0;
        }

        var page = _pages[_pageCount - 1];
        var place = ((long)(_pageCount - 1) << 32) | (uint)_tail;
        CustomerRecordCodec.WriteVarint(page.AsSpan(_tail), (ulong)length);
        destination = page.AsSpan(_tail + size - length, length);
        _tail = page.Length == PageSize ? _tail + size : PageSize;
        _liveBytes += length;
        return place;
    }

    /// <summary>A new customer's row for a record already at <paramref name="place"/>, entered at the empty table <paramref name="slot"/>.</summary>
    private void AddRow(long place, int slot, uint hash)
    {
        var row = _freeCount > 0 ? _freeRows[--_freeCount] : _rowCount++;
        _rowRef[row] = place;
        _table[slot] = ((ulong)hash << 32) | (uint)(row + 1);
        _count++;
    }

    private void Rehash(int size) => _table = Rehashed(_table, size, out _shift);

    /// <summary>
    /// The entries of an id table (hash in the high 32 bits, row + 1 in the low; 0 = empty) placed by linear probing
    /// into a new table of <paramref name="size"/> (a power of two) slots; <paramref name="shift"/> maps a hash to its slot.
    /// </summary>
    internal static ulong[] Rehashed(ulong[] entries, int size, out int shift)
    {
        var table = new ulong[size];
        var mask = table.Length - 1;
        shift = 32 - System.Numerics.BitOperations.Log2((uint)size);
        foreach (var entry in entries)
        {
            if (entry == 0)
            {
                continue;
            }

            var slot = (int)((uint)(entry >> 32) >> shift);
            while (table[slot] != 0)
            {
                slot = (slot + 1) & mask;
            }

            table[slot] = entry;
        }

        return table;
    }

    /// <summary>Empties a slot of the linear-probing table, moving later entries of the run back so no lookup stops early.</summary>
    private void RemoveSlot(int slot)
    {
        var mask = _table.Length - 1;
        var hole = slot;
        var next = slot;
        while (true)
        {
            next = (next + 1) & mask;
            var entry = _table[next];
            if (entry == 0)
            {
                break;
            }

            var home = (int)((uint)(entry >> 32) >> _shift);

            // The entry may move into the hole unless its home lies cyclically in (hole, next].
            var inRange = hole <= next ? home > hole && home <= next : home > hole || home <= next;
            if (!inRange)
            {
                _table[hole] = entry;
                hole = next;
            }
        }

        _table[hole] = 0;
    }

    /// <summary>Copies the live records into new pages once garbage outweighs them (old pages stay valid for running scans).</summary>
    private void CompactIfWasteful()
    {
        if (_garbageBytes < MinGarbageToCompact || _garbageBytes < _liveBytes)
        {
            return;
        }

        var old = _pages;
        _pages = [];
        _pageCount = 0;
        _tail = PageSize;
        _liveBytes = 0;
        _garbageBytes = 0;
        for (var row = 0; row < _rowCount; row++)
        {
            if (_rowRef[row] != FreeRow)
            {
                _rowRef[row] = Append(Record(old, _rowRef[row]));
            }
        }
    }

    // The snapshot is taken when enumeration starts, so each enumeration sees the store as it was then.
    private async IAsyncEnumerable<Customer> Stream([EnumeratorCancellation] CancellationToken cancellationToken)
    {
        long[] places;
        byte[][] pages;
        string[] fieldNames;
        string[] zoneNames;
        lock (SyncRoot)
        {
            places = new long[_count];
            var n = 0;
            for (var row = 0; row < _rowCount; row++)
            {
                if (_rowRef[row] != FreeRow)
                {
                    places[n++] = _rowRef[row];
                }
            }

            pages = _pages;
            fieldNames = [.. _fieldNames];
            zoneNames = [.. _zoneNames];

            // While the snapshot is read, updates append new records instead of overwriting (TryOverwrite).
            Interlocked.Increment(ref _snapshots);
        }

        try
        {
            Array.Sort(places, (x, y) => CompareIds(pages, x, y));
            foreach (var place in places)
            {
                cancellationToken.ThrowIfCancellationRequested();
                yield return Decode(Record(pages, place), fieldNames, zoneNames);
            }

            await Task.CompletedTask.ConfigureAwait(false);
        }
        finally
        {
            Interlocked.Decrement(ref _snapshots);
        }
    }

    private static int CompareIds(byte[][] pages, long x, long y)
    {
        int i = 0, j = 0;
        var a = CustomerRecordCodec.ReadStringBytes(Record(pages, x), ref i, out var aUtf16);
        var b = CustomerRecordCodec.ReadStringBytes(Record(pages, y), ref j, out var bUtf16);
        return CustomerRecordCodec.CompareStrings(a, aUtf16, b, bUtf16);
    }
}
