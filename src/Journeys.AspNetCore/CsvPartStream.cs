namespace Journeys.AspNetCore;

/// <summary>
/// The CSV file part of a <c>multipart/form-data</c> body. The multipart reader refuses a body that ends before its
/// closing boundary with an <see cref="IOException"/> and a malformed part with an <see cref="InvalidDataException"/>:
/// both are the client's (400, see <see cref="MalformedMultipart"/>), not the server's failure (500). A body that fails
/// itself (a client that went away, a size limit) throws its own exceptions, which pass as they are.
/// </summary>
internal sealed class CsvPartStream(Stream section) : ForwardOnlyReadStream
{
    /// <summary>Whether <paramref name="exception"/> is the multipart reader's refusal of the body's framing.</summary>
    public static bool IsMalformedMultipart(Exception exception) =>
        exception is InvalidDataException || exception.GetType() == typeof(IOException);

    public static ApiProblemException MalformedMultipart(Exception exception) => ApiProblemException.BadRequest(
        $"The multipart/form-data body is malformed ({exception.Message.TrimEnd()}): it may have been cut short before its closing boundary; nothing was written.",
        "body");

    public override int Read(byte[] buffer, int offset, int count)
    {
        try
        {
            return section.Read(buffer, offset, count);
        }
        catch (Exception ex) when (IsMalformedMultipart(ex))
        {
            throw MalformedMultipart(ex);
        }
    }

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        try
        {
            return await section.ReadAsync(buffer, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (IsMalformedMultipart(ex))
        {
            throw MalformedMultipart(ex);
        }
    }
}
