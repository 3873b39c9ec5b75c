using System.Buffers;
using System.Text.Json;
using Journeys.Model;
using Microsoft.Data.Sqlite;
using SQLitePCL;

namespace Journeys.Sqlite;

/// <summary>
/// One statement prepared once on a session's connection and run row after row through SQLite's own API, for the
/// statements the store runs once per enrollment, message or customer. Microsoft.Data.Sqlite's command allocates per
/// execution a reader, a statement enumerator and, per parameter, a binder object, the parameter's name in UTF-8 (it
/// looks each name up again) and the value's UTF-8 bytes: about 12 KB per customer of the benchmark journey, the largest
/// share of the SQLite store's allocations. Here parameters are bound by position (resolved from their names once),
/// text from the string's characters and ids from a stack buffer, with nothing allocated per row.
/// </summary>
/// <remarks>
/// It runs inside whatever transaction the connection has open (the writer's, begun through Microsoft.Data.Sqlite),
/// and is always reset after a step, so a commit never finds it in progress. Errors surface as
/// <see cref="SqliteException"/> with SQLite's (extended) code, as Microsoft.Data.Sqlite reports them. Not thread-safe:
/// used by its session's one caller at a time.
/// </remarks>
internal sealed class SqliteStatement : IDisposable
{
    private readonly sqlite3 _db;
    private readonly sqlite3_stmt _statement;
    private readonly int[] _indices;

    /// <summary>Prepares <paramref name="sql"/> (one statement) on <paramref name="connection"/>; parameter <c>i</c> of the binds is <c>names[i]</c>.</summary>
    /// <exception cref="ArgumentException">A name is not a parameter of the statement, or a parameter is not named (it would keep a previous row's value).</exception>
    public SqliteStatement(SqliteConnection connection, string sql, ReadOnlySpan<string> names)
    {
        _db = connection.Handle ?? throw new InvalidOperationException("The SQLite connection is not open.");
        var rc = raw.sqlite3_prepare_v2(_db, sql, out var statement);
        if (rc != raw.SQLITE_OK)
        {
            statement?.Dispose();
            throw Error(rc, _db);
        }

        _statement = statement;

        Sql = sql;
        _indices = new int[names.Length];
        for (var i = 0; i < names.Length; i++)
        {
            _indices[i] = raw.sqlite3_bind_parameter_index(_statement, names[i]);
        }

        var missing = Array.IndexOf(_indices, 0);
        if (missing >= 0 || raw.sqlite3_bind_parameter_count(_statement) != names.Length)
        {
            _statement.Dispose();
            throw new ArgumentException(
                missing >= 0 ? $"Parameter '{names[missing]}' is not in the statement: {sql}" : $"The statement has parameters other than the {names.Length} named: {sql}",
                nameof(names));
        }
    }

    /// <summary>The statement's text.</summary>
    public string Sql { get; }

    /// <summary>Binds parameter <paramref name="index"/>: the position of its name in the names given at preparation.</summary>
    public void Bind(int index, long value) => Check(raw.sqlite3_bind_int64(_statement, _indices[index], value));

    /// <summary>
    /// Binds text, or null. The characters are encoded to UTF-8 here (vectorized; a stack buffer for short text, a
    /// pooled one otherwise) and SQLite copies the bytes: bound as UTF-16, SQLite would translate them itself, byte by
    /// byte, into the database's UTF-8.
    /// </summary>
    public void Bind(int index, string? value)
    {
        if (value is null)
        {
            BindNull(index);
            return;
        }

        const int StackChars = 170;
        if (value.Length <= StackChars)
        {
            Span<byte> utf8 = stackalloc byte[StackChars * 3];
            BindUtf8(index, utf8[..System.Text.Encoding.UTF8.GetBytes(value, utf8)]);
            return;
        }

        var rented = ArrayPool<byte>.Shared.Rent(System.Text.Encoding.UTF8.GetMaxByteCount(value.Length));
        try
        {
            BindUtf8(index, rented.AsSpan(0, System.Text.Encoding.UTF8.GetBytes(value, rented)));
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(rented);
        }
    }

    /// <summary>Binds a number, or null.</summary>
    public void Bind(int index, long? value)
    {
        if (value is { } v)
        {
            Bind(index, v);
        }
        else
        {
            BindNull(index);
        }
    }

    /// <summary>Binds a nullable time as UTC ticks, or null.</summary>
    public void Bind(int index, DateTimeOffset? value)
    {
        if (value is { } v)
        {
            Bind(index, v.UtcTicks);
        }
        else
        {
            BindNull(index);
        }
    }

    /// <summary>Binds an id as its 16 big-endian bytes (the store's id form, <see cref="SqliteValues.Id(Guid)"/>).</summary>
    public void Bind(int index, Guid id)
    {
        Span<byte> bytes = stackalloc byte[16];
        id.TryWriteBytes(bytes, bigEndian: true, out _);
        Check(raw.sqlite3_bind_blob(_statement, _indices[index], bytes));
    }

    /// <summary>Binds bytes as a blob (copied by SQLite).</summary>
    public void BindBlob(int index, ReadOnlySpan<byte> value) => Check(raw.sqlite3_bind_blob(_statement, _indices[index], value));

    /// <summary>Binds UTF-8 bytes as text (copied by SQLite).</summary>
    public void BindUtf8(int index, ReadOnlySpan<byte> value) => Check(raw.sqlite3_bind_text(_statement, _indices[index], value));

    /// <summary>Binds a list of names as the store's JSON array text (<see cref="SqliteValues.Names(EquatableArray{string})"/>), or null for none.</summary>
    public void Bind(int index, EquatableArray<string> names, Utf8Scratch scratch)
    {
        if (names.IsEmpty)
        {
            BindNull(index);
            return;
        }

        var writer = scratch.Start();
        writer.WriteStartArray();
        foreach (var name in names)
        {
            writer.WriteStringValue(name);
        }

        writer.WriteEndArray();
        BindUtf8(index, scratch.Finish());
    }

    public void BindNull(int index) => Check(raw.sqlite3_bind_null(_statement, _indices[index]));

    /// <summary>Runs the statement to its end and resets it; returns the rows it changed.</summary>
    /// <exception cref="SqliteException">SQLite refused it (a constraint, the disk, ...); the statement is reset.</exception>
    public int Execute()
    {
        try
        {
            var rc = raw.sqlite3_step(_statement);
            if (rc != raw.SQLITE_DONE && rc != raw.SQLITE_ROW)
            {
                throw Error(rc, _db);
            }

            return raw.sqlite3_changes(_db);
        }
        finally
        {
            raw.sqlite3_reset(_statement);
        }
    }

    public void Dispose() => _statement.Dispose();

    private void Check(int rc)
    {
        if (rc != raw.SQLITE_OK)
        {
            throw Error(rc, _db);
        }
    }

    // As Microsoft.Data.Sqlite words and codes it, so callers and their filters see the same exception.
    private static SqliteException Error(int rc, sqlite3 db) =>
        new($"SQLite Error {rc}: '{raw.sqlite3_errmsg(db).utf8_to_string()}'.", rc, raw.sqlite3_extended_errcode(db));

    /// <summary>A reusable UTF-8 buffer and JSON writer for a value bound right after it is written (one session's).</summary>
    internal sealed class Utf8Scratch : IDisposable
    {
        private readonly ArrayBufferWriter<byte> _buffer = new(256);
        private readonly Utf8JsonWriter _writer;

        public Utf8Scratch()
        {
            _writer = new Utf8JsonWriter(_buffer);
        }

        /// <summary>The writer, emptied.</summary>
        public Utf8JsonWriter Start()
        {
            _buffer.ResetWrittenCount();
            _writer.Reset(_buffer);
            return _writer;
        }

        /// <summary>What was written since <see cref="Start"/>; valid until the next start.</summary>
        public ReadOnlySpan<byte> Finish()
        {
            _writer.Flush();
            return _buffer.WrittenSpan;
        }

        public void Dispose() => _writer.Dispose();
    }
}
