using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Journeys.Tests.Messaging;

/// <summary>
/// A minimal HTTP/1.1 server on 127.0.0.1: one request per connection, answers with scripted status codes, records
/// what it received. Bounded: it stops after a fixed number of connections or when disposed.
/// </summary>
public sealed class LoopbackHttpServer : IAsyncDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly ConcurrentQueue<int> _statuses;
    private readonly CancellationTokenSource _stop = new(TimeSpan.FromSeconds(30));
    private readonly Task _loop;
    private int _connections;

    public LoopbackHttpServer(params int[] statuses)
    {
        _statuses = new ConcurrentQueue<int>(statuses);
        _listener.Start();
        _loop = Task.Run(AcceptLoopAsync);
    }

    public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;

    public int Connections => Volatile.Read(ref _connections);

    public ConcurrentQueue<ReceivedRequest> Requests { get; } = new();

    /// <summary>Header lines (each ending in CRLF) added to every response, e.g. a <c>Set-Cookie</c>.</summary>
    public string ResponseHeaders { get; init; } = string.Empty;

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        try
        {
            await _loop;
        }
        catch (OperationCanceledException)
        {
        }
        catch (SocketException)
        {
        }
        catch (ObjectDisposedException)
        {
        }

        _stop.Dispose();
    }

    private async Task AcceptLoopAsync()
    {
        for (var i = 0; i < 20 && !_stop.IsCancellationRequested; i++)
        {
            using var client = await _listener.AcceptTcpClientAsync(_stop.Token);
            Interlocked.Increment(ref _connections);
            await using var stream = client.GetStream();
            var request = await ReadRequestAsync(stream, _stop.Token);
            Requests.Enqueue(request);
            var status = _statuses.TryDequeue(out var s) ? s : 200;
            var response = Encoding.ASCII.GetBytes($"HTTP/1.1 {status} X\r\n{ResponseHeaders}Content-Length: 0\r\nConnection: close\r\n\r\n");
            await stream.WriteAsync(response, _stop.Token);
        }
    }

    private static async Task<ReceivedRequest> ReadRequestAsync(NetworkStream stream, CancellationToken cancellationToken)
    {
        var buffer = new List<byte>();
        var chunk = new byte[4096];
        int headerEnd;
        while ((headerEnd = IndexOfHeaderEnd(buffer)) < 0)
        {
            var read = await stream.ReadAsync(chunk, cancellationToken);
            if (read == 0)
            {
                throw new IOException("Connection closed before the request head.");
            }

            buffer.AddRange(chunk.AsSpan(0, read));
        }

        var head = Encoding.ASCII.GetString(buffer.GetRange(0, headerEnd).ToArray());
        var lines = head.Split("\r\n");
        var headers = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var line in lines.Skip(1))
        {
            var colon = line.IndexOf(':', StringComparison.Ordinal);
            headers[line[..colon].Trim()] = line[(colon + 1)..].Trim();
        }

        var length = headers.TryGetValue("Content-Length", out var text) ? int.Parse(text, System.Globalization.CultureInfo.InvariantCulture) : 0;
        var body = buffer.Skip(headerEnd + 4).ToList();
        while (body.Count < length)
        {
            var read = await stream.ReadAsync(chunk, cancellationToken);
            if (read == 0)
            {
                break;
            }

            body.AddRange(chunk.AsSpan(0, read));
        }

        return new ReceivedRequest(lines[0], headers, body.ToArray());
    }

    private static int IndexOfHeaderEnd(List<byte> buffer)
    {
        for (var i = 0; i + 3 < buffer.Count; i++)
        {
            if (buffer[i] == '\r' && buffer[i + 1] == '\n' && buffer[i + 2] == '\r' && buffer[i + 3] == '\n')
            {
                return i;
            }
        }

        return -1;
    }
}

public sealed record ReceivedRequest(string RequestLine, IReadOnlyDictionary<string, string> Headers, byte[] Body);
