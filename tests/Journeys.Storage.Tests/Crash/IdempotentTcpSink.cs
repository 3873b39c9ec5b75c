using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Journeys.Storage.Tests.Crash;

/// <summary>
/// The idempotent message sink of the crash tests, outside the engine's process: a loopback TCP listener that records
/// every idempotency key it is sent ("key customer node" lines) and answers "ok". A key that comes again is a send
/// retried after a crash: acknowledged, counted, not delivered again.
/// </summary>
internal sealed class IdempotentTcpSink : IAsyncDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly CancellationTokenSource _stop = new();
    private readonly Lock _lock = new();
    private readonly Dictionary<string, int> _attempts = new(StringComparer.Ordinal);
    private readonly Dictionary<(string Customer, string Node), HashSet<string>> _keysBySend = [];
    private readonly Task _accepting;

    public IdempotentTcpSink()
    {
        _listener.Start();
        _accepting = AcceptAsync();
    }

    public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;

    /// <summary>Keys delivered (the first attempt of each).</summary>
    public int Delivered
    {
        get
        {
            lock (_lock)
            {
                return _attempts.Count;
            }
        }
    }

    /// <summary>Attempts beyond the first of a key: sends retried after a crash, dropped by the sink.</summary>
    public int Retried
    {
        get
        {
            lock (_lock)
            {
                return _attempts.Values.Sum(a => a - 1);
            }
        }
    }

    /// <summary>(customer, node) pairs that reached the sink under more than one idempotency key: a step applied twice.</summary>
    public int SentTwiceUnderDifferentKeys
    {
        get
        {
            lock (_lock)
            {
                return _keysBySend.Values.Count(keys => keys.Count > 1);
            }
        }
    }

    public bool Saw(string customer, string node)
    {
        lock (_lock)
        {
            return _keysBySend.ContainsKey((customer, node));
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        try
        {
            await _accepting;
        }
        catch (OperationCanceledException)
        {
            // Stopping.
        }

        _stop.Dispose();
    }

    private async Task AcceptAsync()
    {
        var connections = new List<Task>();
        try
        {
            while (!_stop.IsCancellationRequested)
            {
                var client = await _listener.AcceptTcpClientAsync(_stop.Token);
                connections.Add(ServeAsync(client));
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or SocketException or ObjectDisposedException)
        {
            // The listener stopped.
        }

        await Task.WhenAll(connections);
    }

    private async Task ServeAsync(TcpClient client)
    {
        using (client)
        {
            try
            {
                var stream = client.GetStream();
                using var reader = new StreamReader(stream, Encoding.UTF8);
                await using var writer = new StreamWriter(stream, new UTF8Encoding(false)) { AutoFlush = true, NewLine = "\n" };
                while (await reader.ReadLineAsync(_stop.Token) is { } line)
                {
                    var parts = line.Split(' ');
                    lock (_lock)
                    {
                        _attempts[parts[0]] = _attempts.GetValueOrDefault(parts[0]) + 1;
                        if (!_keysBySend.TryGetValue((parts[1], parts[2]), out var keys))
                        {
                            keys = new HashSet<string>(StringComparer.Ordinal);
                            _keysBySend.Add((parts[1], parts[2]), keys);
                        }

                        keys.Add(parts[0]);
                    }

                    await writer.WriteLineAsync("ok");
                }
            }
            catch (Exception ex) when (ex is IOException or OperationCanceledException or SocketException)
            {
                // The child was killed mid-conversation, or the sink is stopping: the line was either recorded or not.
            }
        }
    }
}
