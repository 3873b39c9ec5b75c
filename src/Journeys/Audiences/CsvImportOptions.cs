using System.Globalization;

namespace Journeys.Audiences;

/// <summary>How a CSV file of customers is read and imported. The defaults suit the files people export from spreadsheets and CRMs.</summary>
public sealed record CsvImportOptions
{
    /// <summary>The defaults.</summary>
    public static CsvImportOptions Default { get; } = new();

    /// <summary>The field separator, or <see langword="null"/> (the default) to detect it from the header among <c>,</c> <c>;</c> tab and <c>|</c>.</summary>
    public char? Separator { get; init; }

    /// <summary>All or nothing (the default), or import the good rows and report the bad ones.</summary>
    public CsvImportMode Mode { get; init; } = CsvImportMode.AllOrNothing;

    /// <summary>
    /// Columns that are neither <c>customerId</c> nor schema fields: <see langword="null"/> (the default) refuses them,
    /// or adds them as string fields when <see cref="AudienceOptions.AddUnknownFieldsAsStrings"/> is on.
    /// </summary>
    public UnknownColumnHandling? UnknownColumns { get; init; }

    /// <summary>The largest cell, in bytes of UTF-8. Default 64 KiB.</summary>
    public int MaxCellBytes { get; init; } = 64 * 1024;

    /// <summary>The most data rows a file may have; a longer file is refused whole. Default 10,000,000.</summary>
    public long MaxRows { get; init; } = 10_000_000;

    /// <summary>
    /// Customers enrolled per call, and written per store call into a store other than the in-memory one (which takes
    /// an accepted file's rows in one call). Default 1,000.
    /// </summary>
    public int BatchSize { get; init; } = 1_000;

    /// <summary>How many problems a report or exception lists (all are counted). Default 100.</summary>
    public int MaxReportedProblems { get; init; } = 100;

    /// <summary>
    /// Exact formats of date-time cells (see <see cref="DateTimeOffset.TryParseExact(string?, string?[], IFormatProvider?, DateTimeStyles, out DateTimeOffset)"/>),
    /// or <see langword="null"/> (the default) for ISO 8601: <c>2024-05-01</c>, <c>2024-05-01T10:30:00</c>, with optional fractions and
    /// <c>Z</c> or an offset, and a space instead of <c>T</c>. A value without an offset is UTC.
    /// </summary>
    public IReadOnlyList<string>? DateTimeFormats { get; init; }

    /// <summary>The culture of numbers and date-times. Default <see cref="CultureInfo.InvariantCulture"/> (a <c>.</c> decimal point, no thousands separators).</summary>
    public IFormatProvider FormatProvider { get; init; } = CultureInfo.InvariantCulture;

    /// <summary>The separator of the items of a string-list cell, such as <c>vip|newsletter</c>. Default <c>|</c>; items cannot contain it.</summary>
    public char ListSeparator { get; init; } = '|';

    /// <summary>Throws when a setting is out of range.</summary>
    /// <exception cref="ArgumentException">A setting is out of range, naming it.</exception>
    public void Validate()
    {
        if (MaxCellBytes is < 16 or > 16 * 1024 * 1024)
        {
            throw new ArgumentException($"CsvImportOptions.MaxCellBytes must be 16 to 16 MiB (was {MaxCellBytes}).", nameof(MaxCellBytes));
        }

        if (MaxRows < 1)
        {
            throw new ArgumentException($"CsvImportOptions.MaxRows must be at least 1 (was {MaxRows}).", nameof(MaxRows));
        }

        if (BatchSize is < 1 or > 100_000)
        {
            throw new ArgumentException($"CsvImportOptions.BatchSize must be 1 to 100000 (was {BatchSize}).", nameof(BatchSize));
        }

        if (MaxReportedProblems is < 1 or > 100_000)
        {
            throw new ArgumentException($"CsvImportOptions.MaxReportedProblems must be 1 to 100000 (was {MaxReportedProblems}).", nameof(MaxReportedProblems));
        }

        if (Separator is { } s && (s > 127 || s is '"' or '\r' or '\n'))
        {
            throw new ArgumentException("CsvImportOptions.Separator must be an ASCII character other than a quote or a line break.", nameof(Separator));
        }

        if (DateTimeFormats is { Count: 0 })
        {
            throw new ArgumentException("CsvImportOptions.DateTimeFormats is empty: give at least one format, or null for ISO 8601.", nameof(DateTimeFormats));
        }

        ArgumentNullException.ThrowIfNull(FormatProvider, nameof(FormatProvider));
    }
}
