namespace Journeys.AspNetCore;

/// <summary>
/// The request body as a read-only, forward-only stream that refuses to read past the CSV size limit (413), so a CSV
/// import streams the body without buffering it and stops as soon as it is too large. A read given no token of its own
/// takes <paramref name="aborted"/> (the request's): the import runs without one (see <see cref="CsvRequests.ReadAsync"/>).
/// </summary>
internal sealed class CsvBodyStream(Stream inner, long limit, CancellationToken aborted) : ForwardOnlyReadStream
{
    private long _read;

    public override long Position
    {
        get => _read;
        set => base.Position = value;
    }

    public static ApiProblemException TooLarge(long limit) => new(
        StatusCodes.Status413PayloadTooLarge,
        "Request body too large",
        $"The CSV request body is larger than the limit of {limit} bytes (JourneysApiOptions.MaxCsvBodySize); nothing was written.");

    public override int Read(byte[] buffer, int offset, int count) => Count(Guard(() => inner.Read(buffer, offset, count)));

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        int read;
        try
        {
            read = await inner.ReadAsync(buffer, cancellationToken.CanBeCanceled ? cancellationToken : aborted).ConfigureAwait(false);
        }
        catch (BadHttpRequestException ex) when (ex.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            throw TooLarge(limit);
        }

        return Count(read);
    }


    private int Guard(Func<int> read)
    {
        try
        {
            return read();
        }
        catch (BadHttpRequestException ex) when (ex.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            throw TooLarge(limit);
        }
    }

    private int Count(int read)
    {
        _read += read;
        if (_read > limit)
        {
            throw TooLarge(limit);
        }

        return read;
    }
}
