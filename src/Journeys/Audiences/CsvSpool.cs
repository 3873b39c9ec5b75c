namespace Journeys.Audiences;

/// <summary>
/// A CSV stream that can be read more than once: the caller's stream when it can seek, otherwise a copy in a temporary
/// file (deleted when this is disposed). Used where a file is read again after the import (the ids of a CSV sending).
/// </summary>
internal sealed class CsvSpool : IAsyncDisposable
{
    private readonly FileStream? _copy;
    private readonly long _start;

    private CsvSpool(Stream source, FileStream? copy)
    {
        Source = source;
        _copy = copy;
        _start = source.Position;
    }

    /// <summary>The stream to read: positioned at the start of the CSV.</summary>
    public Stream Source { get; }

    /// <summary>Makes <paramref name="csv"/> replayable, copying it to a temporary file when it cannot seek.</summary>
    /// <param name="csv">The CSV, read from its current position.</param>
    /// <param name="purpose">A word for the temporary file's name, such as <c>sending</c>.</param>
    /// <param name="cancellationToken">Cancels the copy.</param>
    public static async ValueTask<CsvSpool> OpenReplayableAsync(Stream csv, string purpose, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(csv);
        if (csv.CanSeek)
        {
            return new CsvSpool(csv, null);
        }

        var copy = new FileStream(
            Path.Combine(Path.GetTempPath(), $"journeys-{purpose}-{Guid.NewGuid():N}.csv"),
            FileMode.CreateNew,
            FileAccess.ReadWrite,
            FileShare.None,
            1 << 16,
            FileOptions.DeleteOnClose | FileOptions.Asynchronous);
        try
        {
            await csv.CopyToAsync(copy, cancellationToken).ConfigureAwait(false);
            copy.Position = 0;
            return new CsvSpool(copy, copy);
        }
        catch
        {
            await copy.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>Puts <see cref="Source"/> back at the start of the CSV.</summary>
    public void Rewind() => Source.Position = _start;

    /// <inheritdoc />
    public ValueTask DisposeAsync() => _copy?.DisposeAsync() ?? ValueTask.CompletedTask;
}
