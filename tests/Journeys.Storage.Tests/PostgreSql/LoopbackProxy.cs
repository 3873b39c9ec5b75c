using System.Net;
using System.Net.Sockets;

namespace Journeys.Storage.Tests.PostgreSql;

/// <summary>
/// A TCP proxy on loopback in front of the test server, to break the connection between a store and its database on
/// purpose: drop every connection (the database lost mid-run), refuse new ones (the database does not come back), or
/// cut a connection right after the server's reply to a COMMIT (the transaction is committed, the reply is lost).
/// Connect through it without TLS, so the replies can be recognised.
/// </summary>
internal sealed class LoopbackProxy : IAsyncDisposable
{
    private static readonly byte[] CommitComplete = "COMMIT\0"u8.ToArray();
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly string _targetHost;
    private readonly int _targetPort;
    private readonly CancellationTokenSource _stop = new();
    private readonly List<(TcpClient Client, TcpClient Server)> _pairs = [];
    private readonly Lock _lock = new();
    private readonly Task _accepting;
    private int _dropNextCommitReply;

    public LoopbackProxy(string targetHost, int targetPort)
    {
        _targetHost = targetHost;
        _targetPort = targetPort;
        _listener.Start();
        _accepting = AcceptAsync();
    }

    public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;

    /// <summary>While true, new connections are closed at once.</summary>
    public bool Refuse { get; set; }

    /// <summary>How many COMMIT replies were swallowed (the connection cut instead).</summary>
    public int DroppedCommitReplies { get; private set; }

    /// <summary>The next reply to a COMMIT is not forwarded: its connection is cut instead.</summary>
    public void DropNextCommitReply() => Interlocked.Exchange(ref _dropNextCommitReply, 1);

    /// <summary>Cuts every open connection.</summary>
    public void DropAll()
    {
        lock (_lock)
        {
            foreach (var (client, server) in _pairs)
            {
                client.Dispose();
                server.Dispose();
            }

            _pairs.Clear();
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        DropAll();
        try
        {
            await _accepting;
        }
        catch (OperationCanceledException)
        {
            // Stopped.
        }

        _stop.Dispose();
    }

    private async Task AcceptAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            TcpClient client;
            try
            {
                client = await _listener.AcceptTcpClientAsync(_stop.Token);
            }
            catch (Exception ex) when (ex is OperationCanceledException or ObjectDisposedException or SocketException)
            {
                return;
            }

            if (Refuse)
            {
                client.Dispose();
                continue;
            }

            var server = new TcpClient();
            try
            {
                await server.ConnectAsync(_targetHost, _targetPort, _stop.Token);
            }
            catch (Exception ex) when (ex is SocketException or OperationCanceledException)
            {
                client.Dispose();
                server.Dispose();
                continue;
            }

            lock (_lock)
            {
                _pairs.Add((client, server));
            }

            _ = PumpAsync(client, server, inspect: false);
            _ = PumpAsync(server, client, inspect: true);
        }
    }

    private async Task PumpAsync(TcpClient from, TcpClient to, bool inspect)
    {
        var buffer = new byte[64 * 1024];
        try
        {
            var source = from.GetStream();
            var target = to.GetStream();
            while (true)
            {
                var read = await source.ReadAsync(buffer, _stop.Token);
                if (read == 0)
                {
                    break;
                }

                if (inspect && Volatile.Read(ref _dropNextCommitReply) == 1 && buffer.AsSpan(0, read).IndexOf(CommitComplete) >= 0
                    && Interlocked.Exchange(ref _dropNextCommitReply, 0) == 1)
                {
                    DroppedCommitReplies++;
                    break;
                }

                await target.WriteAsync(buffer.AsMemory(0, read), _stop.Token);
            }
        }
        catch (Exception ex) when (ex is IOException or ObjectDisposedException or OperationCanceledException or SocketException or InvalidOperationException)
        {
            // The other side went away, or the proxy cut the pair: close both below.
        }

        from.Dispose();
        to.Dispose();
    }
}
