using System.IO.Hashing;
using System.Runtime.InteropServices;

namespace Journeys.Runtime;

/// <summary>
/// A hash that is the same in every process and on every machine (unlike <see cref="string.GetHashCode()"/>), so a
/// sticky random split sends a customer down the same path after a restart or on another host.
/// </summary>
internal static class StableHash
{
    public static ulong Seed(string journeyId, string nodeId)
    {
        var journey = XxHash3.HashToUInt64(MemoryMarshal.AsBytes(journeyId.AsSpan()));
        return XxHash3.HashToUInt64(MemoryMarshal.AsBytes(nodeId.AsSpan()), unchecked((long)journey));
    }

    public static ulong Hash(string customerId, ulong seed) =>
        XxHash3.HashToUInt64(MemoryMarshal.AsBytes(customerId.AsSpan()), unchecked((long)seed));
}
