using System.Globalization;
using System.Text;

namespace Journeys.Tests.Audiences;

/// <summary>
/// A CSV of <c>rows</c> customers generated while it is read (never held whole in memory):
/// <c>customerId,firstName,age,vip,birthDate</c>.
/// </summary>
internal sealed class GeneratedCsvStream(int rows) : Stream
{
    private byte[] _pending = Encoding.UTF8.GetBytes("customerId,firstName,age,vip,birthDate\r\n");
    private int _offset;
    private int _next;

    public override bool CanRead => true;

    public override bool CanSeek => false;

    public override bool CanWrite => false;

    public override long Length => throw new NotSupportedException();

    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

    public static string Row(int i) => string.Create(
        CultureInfo.InvariantCulture,
        $"c{i:D8}@example.com,Name {i},{20 + (i % 60)},{(i % 4 == 0 ? "true" : "false")},{new DateTime(1960, 1, 1).AddDays(i % 15000):yyyy-MM-dd}\r\n");

    public override int Read(byte[] buffer, int offset, int count)
    {
        if (_offset == _pending.Length)
        {
            if (_next == rows)
            {
                return 0;
            }

            var chunk = new StringBuilder();
            for (var k = 0; k < 512 && _next < rows; k++)
            {
                chunk.Append(Row(_next++));
            }

            _pending = Encoding.UTF8.GetBytes(chunk.ToString());
            _offset = 0;
        }

        var n = Math.Min(count, _pending.Length - _offset);
        Array.Copy(_pending, _offset, buffer, offset, n);
        _offset += n;
        return n;
    }

    public override void Flush()
    {
    }

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
}
