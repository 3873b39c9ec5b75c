using System.Net.Sockets;
using System.Text;
using Journeys.Messaging;

namespace Journeys.CrashHost;

/// <summary>
/// Delivers each message to the test's idempotent sink over loopback TCP: one line "idempotencyKey customerId nodeId",
/// answered "ok" once the sink has recorded it. One connection, one request at a time.
/// </summary>
internal sealed class TcpSinkSender(int port) : IChannelSender, IDisposable
{
    private readonly SemaphoreSlim _gate = new(1, 1);
    private TcpClient? _client;
    private StreamReader? _reader;
    private StreamWriter? _writer;

    public async ValueTask<SendResult> SendAsync(OutboundMessage message, CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken);
        try
        {
            if (_client is null)
            {
                _client = new TcpClient();
                await _client.ConnectAsync("127.0.0.1", port, cancellationToken);
                var stream = _client.GetStream();
                _reader = new StreamReader(stream, Encoding.UTF8);
                _writer = new StreamWriter(stream, new UTF8Encoding(false)) { AutoFlush = true, NewLine = "\n" };
            }

            await _writer!.WriteLineAsync($"{message.IdempotencyKey} {message.CustomerId} {message.NodeId}");
            var answer = await _reader!.ReadLineAsync(cancellationToken);
            return answer == "ok" ? SendResult.Sent : SendResult.Transient($"sink answered '{answer}'");
        }
        catch (IOException ex)
        {
            Reset();
            return SendResult.Transient("sink connection failed: " + ex.Message);
        }
        catch (SocketException ex)
        {
            Reset();
            return SendResult.Transient("sink connection failed: " + ex.Message);
        }
        finally
        {
            _gate.Release();
        }
    }

    public void Dispose() => Reset();

    private void Reset()
    {
        _client?.Dispose();
        _client = null;
        _reader = null;
        _writer = null;
    }
}
