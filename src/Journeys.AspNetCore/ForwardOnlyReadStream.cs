namespace Journeys.AspNetCore;

/// <summary>
/// What the request body streams of the CSV routes share: readable, forward only, never written. A derived stream
/// implements the reads (the array-based async read goes through the memory-based one).
/// </summary>
internal abstract class ForwardOnlyReadStream : Stream
{
    private const string ForwardOnly = "The request body is read forward only.";

    public override bool CanRead => true;

    public override bool CanSeek => false;

    public override bool CanWrite => false;

    public override long Length => throw new NotSupportedException(ForwardOnly);

    public override long Position
    {
        get => throw new NotSupportedException(ForwardOnly);
        set => throw new NotSupportedException(ForwardOnly);
    }

    public abstract override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default);

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override void Flush()
    {
    }

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException(ForwardOnly);

    public override void SetLength(long value) => throw new NotSupportedException(ForwardOnly);

    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException("The request body is read only.");
}
