using System.Diagnostics.CodeAnalysis;
using System.Net;
using System.Net.Sockets;

namespace Journeys.Messaging;

/// <summary>
/// Keeps webhooks away from internal addresses (SSRF): the connect callback resolves the host itself, drops every
/// address that is not public unless allow-listed, and connects to a vetted address (no second resolution that a
/// rebinding DNS server could answer differently).
/// </summary>
internal static class OutboundAddressGuard
{
    private static readonly IPNetwork[] RestrictedV4 =
    [
        IPNetwork.Parse("0.0.0.0/8"), // "this network", includes the unspecified address
        IPNetwork.Parse("10.0.0.0/8"),
        IPNetwork.Parse("100.64.0.0/10"), // carrier-grade NAT
        IPNetwork.Parse("127.0.0.0/8"),
        IPNetwork.Parse("169.254.0.0/16"), // link-local, cloud metadata 169.254.169.254
        IPNetwork.Parse("172.16.0.0/12"),
        IPNetwork.Parse("192.0.0.0/24"), // IETF protocol assignments
        IPNetwork.Parse("192.168.0.0/16"),
        IPNetwork.Parse("198.18.0.0/15"), // benchmarking
        IPNetwork.Parse("224.0.0.0/4"), // multicast
        IPNetwork.Parse("240.0.0.0/4"), // reserved, broadcast
    ];

    private static readonly IPNetwork[] RestrictedV6 =
    [
        IPNetwork.Parse("::/128"),
        IPNetwork.Parse("::1/128"),
        IPNetwork.Parse("::/96"), // deprecated IPv4-compatible addresses
        IPNetwork.Parse("100::/64"), // discard
        IPNetwork.Parse("64:ff9b:1::/48"), // local-use NAT64 (RFC 8215): translates to internal IPv4 networks
        IPNetwork.Parse("2001::/32"), // Teredo: the IPv4 client address inside is obfuscated, so it can not be vetted
        IPNetwork.Parse("2001:db8::/32"), // documentation
        IPNetwork.Parse("2002::/16"), // 6to4: carries an IPv4 address (bits 16-47) that could be an internal one
        IPNetwork.Parse("fc00::/7"), // unique local
        IPNetwork.Parse("fe80::/10"), // link-local
        IPNetwork.Parse("fec0::/10"), // deprecated site-local
        IPNetwork.Parse("ff00::/8"), // multicast
    ];

    private static readonly IPNetwork Nat64 = IPNetwork.Parse("64:ff9b::/96");

    /// <summary>True when the address is not a public unicast address (loopback, private, link-local, ...).</summary>
    public static bool IsRestricted(IPAddress address)
    {
        ArgumentNullException.ThrowIfNull(address);
        if (address.IsIPv4MappedToIPv6)
        {
            return IsRestricted(address.MapToIPv4());
        }

        if (address.AddressFamily == AddressFamily.InterNetwork)
        {
            return Array.Exists(RestrictedV4, n => n.Contains(address));
        }

        if (address.AddressFamily != AddressFamily.InterNetworkV6)
        {
            return true;
        }

        if (Nat64.Contains(address))
        {
            // The well-known NAT64 prefix embeds an IPv4 address in its last 32 bits.
            var bytes = address.GetAddressBytes();
            return IsRestricted(new IPAddress(bytes.AsSpan(12, 4)));
        }

        return Array.Exists(RestrictedV6, n => n.Contains(address));
    }

    /// <summary>True when the address may be connected to: public, or inside an allow-listed network.</summary>
    public static bool IsAllowed(IPAddress address, IReadOnlyList<IPNetwork> allowed)
    {
        ArgumentNullException.ThrowIfNull(address);
        ArgumentNullException.ThrowIfNull(allowed);
        var normalized = address.IsIPv4MappedToIPv6 ? address.MapToIPv4() : address;
        foreach (var network in allowed)
        {
            if (network.Contains(normalized) || network.Contains(address))
            {
                return true;
            }
        }

        return !IsRestricted(address);
    }

    /// <summary>Parses an allow-list entry: an address (a network of one) or a CIDR network.</summary>
    public static bool TryParseNetwork(string? text, out IPNetwork network)
    {
        network = default;
        if (string.IsNullOrWhiteSpace(text))
        {
            return false;
        }

        text = text.Trim();
        if (IPNetwork.TryParse(text, out network))
        {
            return true;
        }

        if (IPAddress.TryParse(text, out var address))
        {
            network = new IPNetwork(address, address.AddressFamily == AddressFamily.InterNetwork ? 32 : 128);
            return true;
        }

        return false;
    }

    public static IPNetwork[] ParseAllowList(IEnumerable<string> entries)
    {
        var networks = new List<IPNetwork>();
        foreach (var entry in entries)
        {
            if (!TryParseNetwork(entry, out var network))
            {
                throw new ArgumentException($"Webhooks: AllowedNetworks entry '{entry}' is neither an IP address nor a CIDR network.", nameof(entries));
            }

            networks.Add(network);
        }

        return [.. networks];
    }

    /// <summary>The <see cref="SocketsHttpHandler.ConnectCallback"/>: resolve, vet, connect to a vetted address.</summary>
    [SuppressMessage("Reliability", "CA2000:Dispose objects before losing scope", Justification = "The stream owns the socket.")]
    public static async ValueTask<Stream> ConnectAsync(SocketsHttpConnectionContext context, IReadOnlyList<IPNetwork> allowed, CancellationToken cancellationToken)
    {
        var endPoint = context.DnsEndPoint;
        var addresses = IPAddress.TryParse(endPoint.Host, out var literal)
            ? [literal]
            : await Dns.GetHostAddressesAsync(endPoint.Host, cancellationToken).ConfigureAwait(false);

        Exception? lastError = null;
        var vetted = 0;
        foreach (var address in addresses)
        {
            if (!IsAllowed(address, allowed))
            {
                continue;
            }

            vetted++;
            var socket = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            try
            {
                await socket.ConnectAsync(new IPEndPoint(address, endPoint.Port), cancellationToken).ConfigureAwait(false);
                return new NetworkStream(socket, ownsSocket: true);
            }
            catch (Exception ex) when (ex is SocketException or OperationCanceledException)
            {
                socket.Dispose();
                if (ex is OperationCanceledException)
                {
                    throw;
                }

                lastError = ex;
            }
        }

        if (vetted == 0)
        {
            throw new WebhookAddressRefusedException(
                "The webhook host resolves only to addresses that are not public (loopback, private, link-local, ...) and not allow-listed.");
        }

        throw lastError!;
    }
}
