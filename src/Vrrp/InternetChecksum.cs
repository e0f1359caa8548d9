using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;

namespace Appliance.Vrrp;

/// <summary>The 16-bit one's complement checksum of RFC 1071, with the IPv4/IPv6 pseudo-headers VRRPv3 uses.</summary>
public static class InternetChecksum
{
    /// <summary>Adds <paramref name="data"/> as big-endian 16-bit words to a running 32-bit sum (odd length padded with zero).</summary>
    public static uint Add(uint sum, ReadOnlySpan<byte> data)
    {
        int i = 0;
        for (; i + 1 < data.Length; i += 2)
            sum += BinaryPrimitives.ReadUInt16BigEndian(data[i..]);
        if (i < data.Length)
            sum += (uint)data[i] << 8;
        // Fold early so very long inputs cannot overflow 32 bits.
        return (sum & 0xFFFF) + (sum >> 16);
    }

    /// <summary>Folds the running sum and complements it: the value written into a checksum field.</summary>
    public static ushort Finish(uint sum)
    {
        while (sum >> 16 != 0) sum = (sum & 0xFFFF) + (sum >> 16);
        return (ushort)~sum;
    }

    /// <summary>Checksum over <paramref name="data"/> alone (VRRPv2; VRRPv3 IPv4 per RFC 9568 §5.2.8).</summary>
    public static ushort Compute(ReadOnlySpan<byte> data) => Finish(Add(0, data));

    /// <summary>
    /// Checksum over the pseudo-header (RFC 8200 §8.1 for IPv6, the TCP/UDP style one for IPv4)
    /// followed by <paramref name="data"/>. VRRPv3 over IPv6 always; over IPv4 it is what
    /// keepalived sends by default (see tests/Appliance.Tests/Vrrp/Golden/README.md).
    /// </summary>
    public static ushort ComputeWithPseudoHeader(IPAddress source, IPAddress destination, byte protocol, ReadOnlySpan<byte> data)
    {
        Span<byte> pseudo = stackalloc byte[40];
        int length;
        if (source.AddressFamily == AddressFamily.InterNetwork)
        {
            source.TryWriteBytes(pseudo[..4], out _);
            destination.TryWriteBytes(pseudo[4..8], out _);
            pseudo[8] = 0;
            pseudo[9] = protocol;
            BinaryPrimitives.WriteUInt16BigEndian(pseudo[10..], (ushort)data.Length);
            length = 12;
        }
        else
        {
            source.TryWriteBytes(pseudo[..16], out _);
            destination.TryWriteBytes(pseudo[16..32], out _);
            BinaryPrimitives.WriteUInt32BigEndian(pseudo[32..], (uint)data.Length);
            pseudo[36] = pseudo[37] = pseudo[38] = 0;
            pseudo[39] = protocol;
            length = 40;
        }
        return Finish(Add(Add(0, pseudo[..length]), data));
    }
}
