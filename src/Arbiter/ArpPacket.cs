using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;

namespace Appliance.Arbiter;

/// <summary>
/// An Ethernet/IPv4 ARP packet (RFC 826), as read and written on an AF_PACKET SOCK_DGRAM socket
/// (the kernel adds and strips the Ethernet header).
/// </summary>
public readonly struct ArpPacket
{
    public const int Size = 28;
    public const ushort HardwareEthernet = 1;
    public const ushort ProtocolIPv4 = 0x0800;
    public const ushort OpRequest = 1;
    public const ushort OpReply = 2;

    public ushort Operation { get; init; }
    public ReadOnlyMemory<byte> SenderMac { get; init; }
    public IPAddress SenderIp { get; init; }
    public ReadOnlyMemory<byte> TargetMac { get; init; }
    public IPAddress TargetIp { get; init; }

    /// <summary>A who-has request for <paramref name="target"/> from us.</summary>
    public static ArpPacket Request(ReadOnlySpan<byte> ourMac, IPAddress ourIp, IPAddress target) => new()
    {
        Operation = OpRequest, SenderMac = ourMac.ToArray(), SenderIp = ourIp, TargetMac = new byte[6], TargetIp = target,
    };

    public void WriteTo(Span<byte> d)
    {
        BinaryPrimitives.WriteUInt16BigEndian(d, HardwareEthernet);
        BinaryPrimitives.WriteUInt16BigEndian(d[2..], ProtocolIPv4);
        d[4] = 6;
        d[5] = 4;
        BinaryPrimitives.WriteUInt16BigEndian(d[6..], Operation);
        SenderMac.Span.CopyTo(d[8..14]);
        SenderIp.TryWriteBytes(d[14..18], out _);
        TargetMac.Span.CopyTo(d[18..24]);
        TargetIp.TryWriteBytes(d[24..28], out _);
    }

    /// <summary>Parses Ethernet/IPv4 ARP; anything else (other hardware, IPv6-less junk, short) is refused.</summary>
    public static bool TryRead(ReadOnlySpan<byte> s, out ArpPacket packet)
    {
        packet = default;
        if (s.Length < Size) return false;
        if (BinaryPrimitives.ReadUInt16BigEndian(s) != HardwareEthernet || BinaryPrimitives.ReadUInt16BigEndian(s[2..]) != ProtocolIPv4
            || s[4] != 6 || s[5] != 4) return false;
        ushort op = BinaryPrimitives.ReadUInt16BigEndian(s[6..]);
        if (op is not (OpRequest or OpReply)) return false;
        packet = new ArpPacket
        {
            Operation = op, SenderMac = s[8..14].ToArray(), SenderIp = new IPAddress(s[14..18]),
            TargetMac = s[18..24].ToArray(), TargetIp = new IPAddress(s[24..28]),
        };
        return true;
    }

    /// <summary>True when this packet proves that the host owning <paramref name="peer"/> is alive on the segment: it says so as sender (a reply to us, or its own request).</summary>
    public bool IsFrom(IPAddress peer) => SenderIp.AddressFamily == AddressFamily.InterNetwork && SenderIp.Equals(peer);
}
