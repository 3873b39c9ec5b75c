using System.Collections.Immutable;
using System.Globalization;
using System.IO.Hashing;
using System.Text;
using System.Text.Unicode;
using CsvHelper;
using Journeys.Model;
using Journeys.Storage.InMemory;

namespace Journeys.Audiences;

/// <summary>
/// Reads customers from a CSV stream, one row at a time in constant memory, with the rules of the customer import:
/// a header row is required and must have a <c>customerId</c> column (matched ignoring case); every other column is a
/// customer field parsed by its schema type (invariant numbers, ISO 8601 date-times, <c>true/false/yes/no/1/0</c>
/// booleans, <c>a|b</c> string lists); UTF-8 with or without a byte order mark; <c>,</c> <c>;</c> tab or <c>|</c>
/// separators detected from the header; RFC 4180 quoting (separators, quotes and line breaks inside quoted cells);
/// CRLF or LF; empty lines skipped; ids trimmed. Problems of a row (wrong field count, empty id, a value that does not
/// parse, a cell over <see cref="CsvImportOptions.MaxCellBytes"/>) are reported in <see cref="CustomerCsvRow.Problems"/>;
/// problems of the file (no header, no <c>customerId</c> column, unknown columns, more than
/// <see cref="CsvImportOptions.MaxRows"/> rows, malformed input the parser cannot recover from) throw
/// <see cref="CsvImportException"/>. Duplicate ids are not checked here (that needs the whole file): the import does it.
/// Built on CsvHelper 34, whose SIMD UTF-8 reader parses fields as spans without allocating.
/// </summary>
/// <example>
/// <code>
/// await using var reader = CustomerCsvReader.Create(stream, schema);
/// while (await reader.ReadAsync(ct))
/// {
///     if (reader.Current.IsValid) ids.Add(reader.Current.CustomerId!);
/// }
/// </code>
/// </example>
public sealed class CustomerCsvReader : IDisposable, IAsyncDisposable
{
    /// <summary>The name of the id column (matched ignoring case and surrounding spaces).</summary>
    public const string CustomerIdColumn = "customerId";

    /// <summary>CsvHelper's read buffer (it grows for longer records).</summary>
    internal const int ReadBufferSize = 1 << 20;

    private readonly CsvReader _csv;
    private readonly UnclosedQuotes _unclosed;
    private readonly CustomerFieldSchema _schema;
    private readonly CsvImportOptions _options;
    private readonly string[]? _dateFormats;
    private readonly List<CsvProblem> _problems = [];
    private Column[] _columns = [];
    private FieldValue[] _values = [];
    private string[] _headers = [];
    private ImmutableArray<FieldDefinition> _added = [];
    private int _idIndex = -1;
    private bool _headerRead;
    private bool _onRow;
    private bool _rowUnclosed;
    private long _rows;
    private CustomerCsvRow? _current;

    private CustomerCsvReader(CsvReader csv, UnclosedQuotes unclosed, CustomerFieldSchema schema, CsvImportOptions options)
    {
        _csv = csv;
        _unclosed = unclosed;
        _schema = schema;
        _options = options;
        _dateFormats = options.DateTimeFormats?.ToArray();
    }

    /// <summary>Opens a reader over a stream; nothing is read until the first call.</summary>
    /// <param name="stream">The CSV, read sequentially from its current position (it need not be seekable).</param>
    /// <param name="schema">The customer field schema the columns are parsed by.</param>
    /// <param name="options">The reading rules, or <see langword="null"/> for <see cref="CsvImportOptions.Default"/>.</param>
    /// <param name="leaveOpen">True to leave <paramref name="stream"/> open when the reader is disposed.</param>
    /// <exception cref="ArgumentException">An option is out of range.</exception>
    public static CustomerCsvReader Create(Stream stream, CustomerFieldSchema schema, CsvImportOptions? options = null, bool leaveOpen = false)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentNullException.ThrowIfNull(schema);
        options ??= CsvImportOptions.Default;
        options.Validate();
        var unclosed = new UnclosedQuotes();
        var csvOptions = new CsvReaderOptions
        {
            Separator = options.Separator,
            TrackLineNumbers = true,
            IncludeValuesInExceptions = false,
            MaxRecordSize = (int)Math.Min(int.MaxValue / 4, Math.Max(1L << 20, (long)options.MaxCellBytes * 64)),

            // 1 MiB instead of 64 KiB: 16 times fewer asynchronous reads of the stream (each a thread-pool hop and a
            // semaphore of FileStream), and reads that big bypass a FileStream's own buffer instead of being copied through it.
            BufferSize = ReadBufferSize,
            FormatProvider = options.FormatProvider,

            // CsvHelper recovers from a quote that is never closed by reading the rest of the file as that cell's text:
            // the rows after it would vanish into one customer's value. Such a row is made a problem instead.
            OnMalformedRecord = unclosed.Note,
        };
        return new CustomerCsvReader(CsvReader.Create(stream, csvOptions, leaveOpen), unclosed, schema, options);
    }

    /// <summary>The header names, trimmed (read by the first call).</summary>
    public IReadOnlyList<string> Headers => _headers;

    /// <summary>Fields for the columns the schema does not have, as <see cref="FieldType.String"/> fields, when <see cref="CsvImportOptions.UnknownColumns"/> is <see cref="UnknownColumnHandling.AddAsString"/>.</summary>
    public IReadOnlyList<FieldDefinition> AddedFields => _added;

    /// <summary>The separator in use (detected or set); known once the header is read.</summary>
    public char Separator => _csv.Separator;

    /// <summary>How many data rows have been read.</summary>
    public long RowsRead => _rows;

    /// <summary>The current row. Valid until the next <see cref="ReadAsync"/>.</summary>
    /// <exception cref="InvalidOperationException">No row has been read, or the end was reached.</exception>
    public CustomerCsvRow Current => _current ?? throw new InvalidOperationException("There is no current row: call ReadAsync and check that it returned true.");

    /// <summary>The 1-based line where the current row starts.</summary>
    internal long Line => _csv.LineNumber;

    /// <summary>The problems of the current row.</summary>
    internal IReadOnlyList<CsvProblem> RowProblems => _problems;

    /// <summary>Reads and checks the header, if it has not been read yet.</summary>
    /// <param name="cancellationToken">Cancels the read.</param>
    /// <returns>The header names.</returns>
    /// <exception cref="CsvImportException">The file is empty, has no <c>customerId</c> column, or has bad or unknown columns.</exception>
    public async ValueTask<IReadOnlyList<string>> ReadHeaderAsync(CancellationToken cancellationToken = default)
    {
        if (_headerRead)
        {
            return _headers;
        }

        try
        {
            await _csv.ReadHeaderAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (CsvFormatException e)
        {
            throw new CsvImportException([new CsvProblem(Math.Max(1, e.LineNumber), null, e.Message)], 1, 0);
        }

        _headerRead = true;
        var names = _csv.Headers.Select(static h => h.Trim().TrimStart('\uFEFF').Trim()).ToArray();
        if (names.Length == 0 || (names.Length == 1 && names[0].Length == 0))
        {
            throw new CsvImportException([new CsvProblem(1, null, "The file is empty: it needs a header row with a customerId column.")], 1, 0);
        }

        _headers = names;
        var problems = new List<CsvProblem>();
        if (_unclosed.Take())
        {
            problems.Add(new CsvProblem(1, null, UnclosedQuoteMessage));
        }

        var unknownMode = _options.UnknownColumns ?? UnknownColumnHandling.Reject;
        var columns = new Column[names.Length];
        var seen = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        var added = ImmutableArray.CreateBuilder<FieldDefinition>();
        var unknown = new List<string>();
        for (var i = 0; i < names.Length; i++)
        {
            var name = names[i];
            if (name.Length == 0)
            {
                problems.Add(new CsvProblem(1, null, FormattableString.Invariant($"column {i + 1} of the header has no name.")));
                continue;
            }

            if (!seen.Add(name))
            {
                problems.Add(new CsvProblem(1, name, "the column appears twice in the header (names are matched ignoring case)."));
                continue;
            }

            if (string.Equals(name, CustomerIdColumn, StringComparison.OrdinalIgnoreCase))
            {
                _idIndex = i;
                columns[i] = new Column(name, ColumnKind.Id, null);
            }
            else if (_schema.TryGetField(name, out var field))
            {
                columns[i] = new Column(name, ColumnKind.Field, field);
            }
            else if (unknownMode == UnknownColumnHandling.Ignore)
            {
                columns[i] = new Column(name, ColumnKind.Ignored, null);
            }
            else if (unknownMode == UnknownColumnHandling.AddAsString && CustomerFieldSchema.IsValidFieldName(name))
            {
                var newField = new FieldDefinition(name, FieldType.String);
                added.Add(newField);
                columns[i] = new Column(name, ColumnKind.Field, newField);
            }
            else if (unknownMode == UnknownColumnHandling.AddAsString)
            {
                problems.Add(new CsvProblem(1, name, "the column cannot become a field: field names use letters, digits, '_', '-' or '.', start with a letter and have at most 128 characters."));
            }
            else
            {
                unknown.Add(name);
            }
        }

        if (unknown.Count > 0)
        {
            var known = _schema.Fields.Count == 0 ? "the schema has no fields" : "the fields are " + string.Join(", ", _schema.Fields.Select(static f => f.Name));
            problems.Add(new CsvProblem(1, null, $"the columns {string.Join(", ", unknown.Select(static u => $"'{u}'"))} are not customer fields ({known}); define them first, or enable AudienceOptions.AddUnknownFieldsAsStrings."));
        }

        if (_idIndex < 0)
        {
            problems.Insert(0, new CsvProblem(1, null, $"the header has no customerId column (its columns are {string.Join(", ", names.Select(static n => $"'{n}'"))})."));
        }

        if (problems.Count > 0)
        {
            throw new CsvImportException(problems, problems.Count, 0);
        }

        _columns = columns;
        _values = new FieldValue[columns.Length];
        _added = added.ToImmutable();
        return _headers;
    }

    /// <summary>Reads the next data row into <see cref="Current"/>.</summary>
    /// <param name="cancellationToken">Cancels the read.</param>
    /// <returns>False at the end of the file.</returns>
    /// <exception cref="CsvImportException">A problem of the whole file: see <see cref="ReadHeaderAsync"/>; more than <see cref="CsvImportOptions.MaxRows"/> rows; malformed input.</exception>
    public async ValueTask<bool> ReadAsync(CancellationToken cancellationToken = default)
    {
        _current = null;
        if (!await ReadRowAsync(true, cancellationToken).ConfigureAwait(false))
        {
            return false;
        }

        var fields = new Dictionary<string, FieldValue>(StringComparer.OrdinalIgnoreCase);
        if (_problems.Count == 0)
        {
            for (var i = 0; i < _columns.Length; i++)
            {
                if (_columns[i].Kind == ColumnKind.Field)
                {
                    fields[_columns[i].Field!.Name] = _values[i];
                }
            }
        }

        _current = new CustomerCsvRow(Line, ReadCustomerIdOrNull(), fields, _problems.ToArray());
        return true;
    }

    /// <summary>Reads the next row, checking it; numbers, booleans and dates are kept for <see cref="EncodePatch"/>, strings too with <paramref name="parseValues"/> (for <see cref="ReadAsync"/>).</summary>
    internal async ValueTask<bool> ReadRowAsync(bool parseValues, CancellationToken cancellationToken)
    {
        if (!await NextRowAsync(cancellationToken).ConfigureAwait(false))
        {
            return false;
        }

        CheckRow(parseValues);
        return true;
    }

    /// <summary>
    /// Moves to the next row without checking it (the import then calls <see cref="TryEncodeRow(RecordBuffer, out ulong)"/>): counts it and
    /// enforces <see cref="CsvImportOptions.MaxRows"/>. Completes without an async state machine while CsvHelper has
    /// the row in its buffer, which is all rows but one per buffer refill.
    /// </summary>
    /// <returns>False at the end of the file.</returns>
    /// <exception cref="CsvImportException">See <see cref="ReadAsync"/>.</exception>
    internal ValueTask<bool> NextRowAsync(CancellationToken cancellationToken)
    {
        if (!_headerRead)
        {
            return NextRowSlowAsync(cancellationToken);
        }

        _onRow = false;
        ValueTask<bool> read;
        try
        {
            read = _csv.ReadAsync(cancellationToken);
        }
        catch (CsvFormatException e)
        {
            throw Malformed(e);
        }

        return read.IsCompletedSuccessfully ? new ValueTask<bool>(Counted(read.Result)) : AwaitRowAsync(read);
    }

    private async ValueTask<bool> NextRowSlowAsync(CancellationToken cancellationToken)
    {
        await ReadHeaderAsync(cancellationToken).ConfigureAwait(false);
        _onRow = false;
        bool more;
        try
        {
            more = await _csv.ReadAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (CsvFormatException e)
        {
            throw Malformed(e);
        }

        return Counted(more);
    }

    /// <summary>The end of <see cref="NextRowAsync"/> when CsvHelper has to read from the stream.</summary>
    private async ValueTask<bool> AwaitRowAsync(ValueTask<bool> read)
    {
        bool more;
        try
        {
            more = await read.ConfigureAwait(false);
        }
        catch (CsvFormatException e)
        {
            throw Malformed(e);
        }

        return Counted(more);
    }

    private CsvImportException Malformed(CsvFormatException e) => new([new CsvProblem(e.LineNumber, null, e.Message)], 1, _rows);

    private bool Counted(bool more)
    {
        if (!more)
        {
            return false;
        }

        _rows++;
        _rowUnclosed = _unclosed.Take();
        if (_rows > _options.MaxRows)
        {
            throw new CsvImportException(
                [new CsvProblem(_csv.LineNumber, null, FormattableString.Invariant($"the file has more than {_options.MaxRows} data rows, the limit (CsvImportOptions.MaxRows); split it."))],
                1,
                _rows - 1);
        }

        _onRow = true;
        return true;
    }

    /// <summary>The names of the field columns, in column order: the order of the values <see cref="EncodePatch"/> writes.</summary>
    internal IReadOnlyList<string> FieldColumns
    {
        get
        {
            var names = new List<string>();
            foreach (var column in _columns)
            {
                if (column.Kind == ColumnKind.Field)
                {
                    names.Add(column.Field!.Name);
                }
            }

            return names;
        }
    }

    /// <summary>
    /// Writes the current (valid) row as a merge patch (<see cref="CustomerRecordCodec"/>): the id as a string payload,
    /// then one value per field column (null for an empty cell). Text goes from the file's UTF-8 bytes to the buffer
    /// without becoming a string.
    /// </summary>
    /// <returns>A 64-bit hash of the id's bytes (never 0), for duplicate detection.</returns>
    internal ulong EncodePatch(RecordBuffer buffer)
    {
        var start = buffer.Length;
        WriteText(buffer, _csv.GetSpan(_idIndex).TrimBlank());
        var hash = XxHash3.HashToUInt64(buffer.WrittenSpan[start..]) | 1UL << 63;
        for (var i = 0; i < _columns.Length; i++)
        {
            var column = _columns[i];
            if (column.Kind != ColumnKind.Field)
            {
                continue;
            }

            switch (column.Field!.Type)
            {
                case FieldType.String when !_csv.GetSpan(i).TrimBlank().IsEmpty:
                    buffer.WriteByte(CustomerRecordCodec.StringTag);
                    WriteText(buffer, _csv.GetSpan(i));
                    break;
                case FieldType.StringList when !_csv.GetSpan(i).TrimBlank().IsEmpty:
                    CustomerRecordCodec.WriteValue(buffer, FieldValue.FromStringList(Encoding.UTF8.GetString(_csv.GetSpan(i)).Split(_options.ListSeparator)));
                    break;
                case FieldType.String or FieldType.StringList:
                    buffer.WriteByte(CustomerRecordCodec.NullTag);
                    break;
                default:
                    CustomerRecordCodec.WriteValue(buffer, _values[i]);
                    break;
            }
        }

        return hash;
    }

    /// <summary>A string payload from the file's bytes: valid UTF-8 is copied; anything else is decoded as GetString would (with U+FFFD) and encoded again.</summary>
    private static void WriteText(RecordBuffer buffer, ReadOnlySpan<byte> utf8)
    {
        if (Utf8.IsValid(utf8))
        {
            CustomerRecordCodec.WriteUtf8String(buffer, utf8);
        }
        else
        {
            CustomerRecordCodec.WriteString(buffer, Encoding.UTF8.GetString(utf8));
        }
    }

    /// <summary>The current row's id, trimmed.</summary>
    internal string ReadCustomerId() => Encoding.UTF8.GetString(_csv.GetSpan(_idIndex).TrimBlank());

    /// <summary>What is wrong with a row's (trimmed) customer id cell, or null when it is a usable id; the same in both forms of the row checks.</summary>
    private static string? IdProblem(ReadOnlySpan<byte> id) =>
        id.IsEmpty ? "the customer id is empty."
        : !Utf8.IsValid(id) ? NotUtf8
        : IdLimits.IsCustomerIdTooLong(id) ? $"the customer id {IdLimits.CustomerIdTooLong(id)}."
        : null;

    private string? ReadCustomerIdOrNull()
    {
        if (!_onRow || _idIndex >= _csv.FieldCount)
        {
            return null;
        }

        var id = ReadCustomerId();
        return id.Length == 0 ? null : id;
    }

    private void CheckRow(bool parseValues)
    {
        _problems.Clear();
        var line = _csv.LineNumber;
        if (_rowUnclosed)
        {
            _problems.Add(UnclosedQuote(line));
            return;
        }

        if (_csv.FieldCount != _columns.Length)
        {
            _problems.Add(new CsvProblem(line, null, FormattableString.Invariant($"the row has {_csv.FieldCount} fields; the header has {_columns.Length}.")));
            return;
        }

        for (var i = 0; i < _columns.Length; i++)
        {
            var column = _columns[i];
            if (column.Kind == ColumnKind.Ignored)
            {
                continue;
            }

            if (_csv.GetRawSpan(i).Length > _options.MaxCellBytes && _csv.GetSpan(i).Length > _options.MaxCellBytes)
            {
                _problems.Add(new CsvProblem(line, column.Name, FormattableString.Invariant($"the cell is {_csv.GetSpan(i).Length} bytes long; the limit is {_options.MaxCellBytes} (CsvImportOptions.MaxCellBytes).")));
                continue;
            }

            if (column.Kind == ColumnKind.Id)
            {
                if (IdProblem(_csv.GetSpan(i).TrimBlank()) is { } problem)
                {
                    _problems.Add(new CsvProblem(line, column.Name, problem));
                }

                continue;
            }

            if (!TryParse(i, column.Field!, parseValues, out var value, out var error))
            {
                _problems.Add(new CsvProblem(line, column.Name, error));
            }
            else
            {
                _values[i] = value;
            }
        }
    }

    private bool TryParse(int index, FieldDefinition field, bool parseValues, out FieldValue value, out string error)
    {
        value = FieldValue.Null;
        error = "";
        var cell = _csv.GetSpan(index).TrimBlank();
        if (cell.IsEmpty)
        {
            return true;
        }

        switch (field.Type)
        {
            case FieldType.String or FieldType.StringList when !Utf8.IsValid(_csv.GetSpan(index)):
                error = NotUtf8;
                return false;
            case FieldType.String:
                if (parseValues)
                {
                    value = FieldValue.FromString(Encoding.UTF8.GetString(_csv.GetSpan(index)));
                }

                return true;
            case FieldType.Number:
                if (TryParseNumber(cell, out var number))
                {
                    value = FieldValue.FromNumber(number);
                    return true;
                }

                error = NotANumber(field);
                return false;
            case FieldType.Boolean:
                if (TryParseBoolean(cell, out var flag))
                {
                    value = FieldValue.FromBoolean(flag);
                    return true;
                }

                error = NotABoolean(field);
                return false;
            case FieldType.DateTime:
                if (TryParseDateTime(cell, out var instant))
                {
                    value = FieldValue.FromDateTime(instant);
                    return true;
                }

                error = NotADateTime(field);
                return false;
            case FieldType.StringList:
                if (parseValues)
                {
                    value = FieldValue.FromStringList(Encoding.UTF8.GetString(_csv.GetSpan(index)).Split(_options.ListSeparator));
                }

                return true;
            default:
                error = UnknownType(field);
                return false;
        }
    }

    /// <summary>
    /// The import's read of the current row: checks it as <see cref="ReadRowAsync"/> does (the same problems, in the
    /// same order) and at the same time appends it to <paramref name="buffer"/> as the merge patch of
    /// <see cref="EncodePatch"/>, each cell fetched from CsvHelper once and each value encoded straight from the file's
    /// bytes (no <see cref="FieldValue"/>, no string). A bad row leaves the buffer as it was and its problems in
    /// <see cref="RowProblems"/>.
    /// </summary>
    /// <param name="buffer">Where the patch goes.</param>
    /// <param name="idHash">For a good row, the 64-bit hash of the id's payload (never 0), as <see cref="EncodePatch"/> returns.</param>
    /// <returns>True when the row is good and was appended.</returns>
    internal bool TryEncodeRow(RecordBuffer buffer, out ulong idHash) => TryEncodeRow(buffer, null, out idHash);

    /// <summary>
    /// <see cref="TryEncodeRow(RecordBuffer, out ulong)"/>, or with <paramref name="recordFieldIds"/> the row as a record
    /// of the in-memory store (<see cref="CustomerRecordCodec"/>): the id payload, no time zone, the count of non-null
    /// values, then each non-null value after its field id (<paramref name="recordFieldIds"/>[k] for the k-th field
    /// column of <see cref="FieldColumns"/>); empty cells are left out. The checks are the same in both forms.
    /// </summary>
    /// <param name="buffer">Where the patch or record goes.</param>
    /// <param name="recordFieldIds">The store's field id of each field column, or <see langword="null"/> for a merge patch.</param>
    /// <param name="idHash">For a good row, the 64-bit hash of the id's payload (never 0).</param>
    /// <returns>True when the row is good and was appended.</returns>
    internal bool TryEncodeRow(RecordBuffer buffer, int[]? recordFieldIds, out ulong idHash)
    {
        _problems.Clear();
        idHash = 0;
        var line = _csv.LineNumber;
        if (_rowUnclosed)
        {
            _problems.Add(UnclosedQuote(line));
            return false;
        }

        if (_csv.FieldCount != _columns.Length)
        {
            _problems.Add(new CsvProblem(line, null, FormattableString.Invariant($"the row has {_csv.FieldCount} fields; the header has {_columns.Length}.")));
            return false;
        }

        var start = buffer.Length;
        var rawId = _csv.GetSpan(_idIndex);
        var id = rawId.TrimBlank();
        if (!IsTooLong(_idIndex, rawId))
        {
            WriteText(buffer, id);
            idHash = XxHash3.HashToUInt64(buffer.WrittenSpan[start..]) | 1UL << 63;
        }

        // A record: no time zone, then the count of values, fixed up at the end (one byte for fewer than 128 field columns).
        var countAt = -1;
        var values = 0;
        var fieldColumn = -1;
        if (recordFieldIds is not null)
        {
            buffer.WriteByte(0);
            countAt = buffer.Length;
            var countBytes = recordFieldIds.Length < 0x80 ? 1 : 5;
            buffer.Reserve(countBytes);
            buffer.Advance(countBytes);
        }

        for (var i = 0; i < _columns.Length; i++)
        {
            var column = _columns[i];
            if (column.Kind == ColumnKind.Ignored)
            {
                continue;
            }

            var raw = i == _idIndex ? rawId : _csv.GetSpan(i);
            fieldColumn += column.Kind == ColumnKind.Field ? 1 : 0;
            if (IsTooLong(i, raw))
            {
                _problems.Add(TooLong(line, column, raw));
                continue;
            }

            if (column.Kind == ColumnKind.Id)
            {
                if (IdProblem(id) is { } problem)
                {
                    _problems.Add(new CsvProblem(line, column.Name, problem));
                }

                continue;
            }

            var field = column.Field!;
            var cell = raw.TrimBlank();
            if (cell.IsEmpty)
            {
                if (recordFieldIds is null)
                {
                    buffer.WriteByte(CustomerRecordCodec.NullTag);
                }

                continue;
            }

            if (recordFieldIds is not null)
            {
                // Written before the value is parsed: a value that does not parse makes the row bad, and a bad row is cut off.
                buffer.WriteVarint((ulong)recordFieldIds[fieldColumn]);
                values++;
            }

            switch (field.Type)
            {
                case FieldType.String or FieldType.StringList when !Utf8.IsValid(raw):
                    _problems.Add(new CsvProblem(line, column.Name, NotUtf8));
                    break;
                case FieldType.String:
                    buffer.WriteByte(CustomerRecordCodec.StringTag);
                    CustomerRecordCodec.WriteUtf8String(buffer, raw);
                    break;
                case FieldType.StringList:
                    CustomerRecordCodec.WriteValue(buffer, FieldValue.FromStringList(Encoding.UTF8.GetString(raw).Split(_options.ListSeparator)));
                    break;
                case FieldType.Number when TryParseNumber(cell, out var number):
                    CustomerRecordCodec.WriteNumber(buffer, number == 0 ? 0d : number);
                    break;
                case FieldType.Number:
                    _problems.Add(new CsvProblem(line, column.Name, NotANumber(field)));
                    break;
                case FieldType.Boolean when TryParseBoolean(cell, out var flag):
                    buffer.WriteByte(flag ? CustomerRecordCodec.TrueTag : CustomerRecordCodec.FalseTag);
                    break;
                case FieldType.Boolean:
                    _problems.Add(new CsvProblem(line, column.Name, NotABoolean(field)));
                    break;
                case FieldType.DateTime when TryParseDateTime(cell, out var instant):
                    CustomerRecordCodec.WriteDateTime(buffer, instant.UtcTicks);
                    break;
                case FieldType.DateTime:
                    _problems.Add(new CsvProblem(line, column.Name, NotADateTime(field)));
                    break;
                default:
                    _problems.Add(new CsvProblem(line, column.Name, UnknownType(field)));
                    break;
            }
        }

        if (_problems.Count > 0)
        {
            buffer.Truncate(start);
            idHash = 0;
            return false;
        }

        if (countAt >= 0)
        {
            var count = buffer.At(countAt, recordFieldIds!.Length < 0x80 ? 1 : 5);
            if (count.Length == 1)
            {
                count[0] = (byte)values;
            }
            else
            {
                CustomerRecordCodec.WriteFixedVarint(count, (uint)values);
            }
        }

        return true;
    }

    /// <summary>
    /// Text that is not UTF-8 (a file saved as Latin-1 or Windows-1252) would be read with U+FFFD for each bad byte:
    /// values and ids changed without a word, and different ids made the same. The row is refused instead.
    /// </summary>
    private const string NotUtf8 = "the text is not valid UTF-8 (a file saved in another encoding, such as Latin-1 or Windows-1252?); save the file as UTF-8.";

    private const string UnclosedQuoteMessage =
        "a quoted cell is never closed: its opening quote runs to the end of the file, so the lines after it would be read as its text; close the quote (a quote inside a quoted cell is written twice: \"\").";

    /// <summary>The row's unclosed quote, named at the cell that opens it: the last of the row, since it runs to the end of the file.</summary>
    private CsvProblem UnclosedQuote(long line) =>
        new(line, _csv.FieldCount <= _columns.Length ? _columns[_csv.FieldCount - 1].Name : null, UnclosedQuoteMessage);

    /// <summary>Over <see cref="CsvImportOptions.MaxCellBytes"/> once decoded (the raw length, never shorter, is looked at first).</summary>
    private bool IsTooLong(int index, ReadOnlySpan<byte> value) =>
        value.Length > _options.MaxCellBytes && _csv.GetRawSpan(index).Length > _options.MaxCellBytes;

    private CsvProblem TooLong(long line, Column column, ReadOnlySpan<byte> value) =>
        new(line, column.Name, FormattableString.Invariant($"the cell is {value.Length} bytes long; the limit is {_options.MaxCellBytes} (CsvImportOptions.MaxCellBytes)."));

    private bool TryParseNumber(ReadOnlySpan<byte> cell, out double number) =>
        TryParseWholeNumber(cell, out number)
        || (double.TryParse(cell, NumberStyles.Float, _options.FormatProvider, out number) && double.IsFinite(number));

    private bool TryParseDateTime(ReadOnlySpan<byte> cell, out DateTimeOffset instant)
    {
        if (_dateFormats is null && TryParseIsoDate(cell, out instant))
        {
            return true;
        }

        Span<char> chars = stackalloc char[96];
        instant = default;
        return cell.Length <= chars.Length
            && Encoding.UTF8.TryGetChars(cell, chars, out var written)
            && FieldValueConversion.TryParseDate(chars[..written], _dateFormats, _options.FormatProvider, out instant);
    }

    private string NotANumber(FieldDefinition field) =>
        $"'{field.Name}' is a Number field; the value is not a number (such as 42 or -3.5{(ReferenceEquals(_options.FormatProvider, CultureInfo.InvariantCulture) ? ", with a '.' decimal point" : "")}).";

    private static string NotABoolean(FieldDefinition field) =>
        $"'{field.Name}' is a Boolean field; the value is not one of true, false, yes, no, y, n, t, f, 1, 0.";

    private string NotADateTime(FieldDefinition field) => _dateFormats is null
        ? $"'{field.Name}' is a DateTime field; the value is not an ISO 8601 date-time (such as 2024-05-01 or 2024-05-01T10:30:00Z)."
        : $"'{field.Name}' is a DateTime field; the value matches none of the formats {string.Join(", ", _dateFormats)}.";

    private static string UnknownType(FieldDefinition field) => $"'{field.Name}' has an unknown type ({(int)field.Type}).";

    /// <summary>
    /// Plain whole numbers (<c>42</c>, <c>-7</c>, up to 15 digits) without the general parser: the same value it gives in
    /// any culture (digits and a leading '-' only), several times faster; anything else goes to it.
    /// </summary>
    private static bool TryParseWholeNumber(ReadOnlySpan<byte> text, out double value)
    {
        value = 0;
        var negative = text.Length > 1 && text[0] == '-';
        var digits = negative ? text[1..] : text;
        if (digits.IsEmpty || digits.Length > 15)
        {
            return false;
        }

        long whole = 0;
        foreach (var b in digits)
        {
            var digit = b - '0';
            if ((uint)digit > 9)
            {
                return false;
            }

            whole = (whole * 10) + digit;
        }

        value = negative ? -whole : whole;
        return true;
    }

    /// <summary>The common <c>yyyy-MM-dd</c> without the general parser (several times faster; anything else goes to it).</summary>
    private static bool TryParseIsoDate(ReadOnlySpan<byte> text, out DateTimeOffset value)
    {
        value = default;
        if (text.Length != 10 || text[4] != '-' || text[7] != '-')
        {
            return false;
        }

        int year = 0, month = 0, day = 0;
        for (var i = 0; i < 10; i++)
        {
            if (i is 4 or 7)
            {
                continue;
            }

            var digit = text[i] - '0';
            if ((uint)digit > 9)
            {
                return false;
            }

            if (i < 4)
            {
                year = (year * 10) + digit;
            }
            else if (i < 7)
            {
                month = (month * 10) + digit;
            }
            else
            {
                day = (day * 10) + digit;
            }
        }

        if (year < 1 || month is < 1 or > 12 || day < 1 || day > DateTime.DaysInMonth(year, month))
        {
            return false;
        }

        value = new DateTimeOffset(year, month, day, 0, 0, 0, TimeSpan.Zero);
        return true;
    }

    private static bool TryParseBoolean(ReadOnlySpan<byte> text, out bool value)
    {
        if (Ascii.EqualsIgnoreCase(text, "true"u8) || Ascii.EqualsIgnoreCase(text, "yes"u8) || Ascii.EqualsIgnoreCase(text, "y"u8) || Ascii.EqualsIgnoreCase(text, "t"u8) || text.SequenceEqual("1"u8))
        {
            value = true;
            return true;
        }

        value = false;
        return Ascii.EqualsIgnoreCase(text, "false"u8) || Ascii.EqualsIgnoreCase(text, "no"u8) || Ascii.EqualsIgnoreCase(text, "n"u8) || Ascii.EqualsIgnoreCase(text, "f"u8) || text.SequenceEqual("0"u8);
    }

    /// <inheritdoc />
    public void Dispose() => _csv.Dispose();

    /// <inheritdoc />
    public ValueTask DisposeAsync() => _csv.DisposeAsync();

    private enum ColumnKind
    {
        Field,
        Id,
        Ignored,
    }

    private readonly record struct Column(string Name, ColumnKind Kind, FieldDefinition? Field);

    /// <summary>Whether CsvHelper found a quoted cell that is never closed in the record it has just read (its other recoveries keep the rows apart and are left as they are).</summary>
    private sealed class UnclosedQuotes
    {
        private bool _seen;

        public void Note(CsvMalformedRecord record) => _seen |= record.Reason == CsvMalformedReason.UnterminatedQuote;

        public bool Take()
        {
            var seen = _seen;
            _seen = false;
            return seen;
        }
    }
}
