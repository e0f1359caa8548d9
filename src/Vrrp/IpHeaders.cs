using System.Buffers.Binary;
using System.Net;

namespace Appliance.Vrrp;

/// <summary>
/// The fields of an IPv4 header (RFC 791) VRRP needs. A raw IPv4 socket hands the header to the
/// receiver, which is where the TTL check of RFC 5798 §7.1 reads it.
/// </summary>
public readonly struct Ipv4Header
{
    public const int MinSize = 20;

    public Ipv4Header(int headerLength, int totalLength, byte ttl, byte protocol, IPAddress source, IPAddress destination)
    {
        HeaderLength = headerLength;
        TotalLength = totalLength;
        Ttl = ttl;
        Protocol = protocol;
        Source = source;
        Destination = destination;
    }

    public int HeaderLength { get; }
    public int TotalLength { get; }
    public byte Ttl { get; }
    public byte Protocol { get; }
    public IPAddress Source { get; }
    public IPAddress Destination { get; }

    public int Size => HeaderLength;

    /// <summary>Parses the header (the kernel has already verified its checksum).</summary>
    public static bool TryRead(ReadOnlySpan<byte> packet, out Ipv4Header header, out VrrpDropReason reason)
    {
        header = default;
        if (packet.Length < MinSize || packet[0] >> 4 != 4) { reason = VrrpDropReason.BadIpHeader; return false; }
        int ihl = (packet[0] & 0x0F) * 4;
        if (ihl < MinSize || packet.Length < ihl) { reason = VrrpDropReason.BadIpHeader; return false; }
        int total = BinaryPrimitives.ReadUInt16BigEndian(packet[2..]);
        if (total < ihl || total > packet.Length) { reason = VrrpDropReason.BadIpHeader; return false; }
        header = new Ipv4Header(ihl, total, packet[8], packet[9], new IPAddress(packet[12..16]), new IPAddress(packet[16..20]));
        reason = VrrpDropReason.None;
        return true;
    }

    public override string ToString() => $"IPv4 {Source} > {Destination} ttl={Ttl} proto={Protocol} len={TotalLength}";
}

/// <summary>The fixed IPv6 header (RFC 8200 §3). Raw IPv6 sockets strip it; golden captures and AF_PACKET readers carry it.</summary>
public readonly struct Ipv6Header
{
    public const int Size = 40;

    public Ipv6Header(int payloadLength, byte nextHeader, byte hopLimit, IPAddress source, IPAddress destination)
    {
        PayloadLength = payloadLength;
        NextHeader = nextHeader;
        HopLimit = hopLimit;
        Source = source;
        Destination = destination;
    }

    public int PayloadLength { get; }
    public byte NextHeader { get; }
    public byte HopLimit { get; }
    public IPAddress Source { get; }
    public IPAddress Destination { get; }

    public static bool TryRead(ReadOnlySpan<byte> packet, out Ipv6Header header, out VrrpDropReason reason)
    {
        header = default;
        if (packet.Length < Size || packet[0] >> 4 != 6) { reason = VrrpDropReason.BadIpHeader; return false; }
        int payload = BinaryPrimitives.ReadUInt16BigEndian(packet[4..]);
        if (Size + payload > packet.Length) { reason = VrrpDropReason.BadIpHeader; return false; }
        header = new Ipv6Header(payload, packet[6], packet[7], new IPAddress(packet[8..24]), new IPAddress(packet[24..40]));
        reason = VrrpDropReason.None;
        return true;
    }

    public override string ToString() => $"IPv6 {Source} > {Destination} hlim={HopLimit} nh={NextHeader} len={PayloadLength}";
}

/// <summary>One VRRP packet as received: addresses and TTL from the IP layer, the parsed advert.</summary>
public readonly record struct VrrpReceived(IPAddress Source, IPAddress Destination, byte Ttl, VrrpAdvert Advert);

/// <summary>Turns what a raw socket delivers into a checked <see cref="VrrpReceived"/>.</summary>
public static class VrrpPacket
{
    /// <summary>RFC 5798 §5.1.1.3 / §5.1.2.3: sent with 255, anything else is dropped.</summary>
    public const byte RequiredTtl = 255;

    /// <summary>An IPv4 raw socket delivers the IP header in front of the VRRP message.</summary>
    public static bool TryReadIPv4(ReadOnlySpan<byte> packet, out VrrpReceived received, out VrrpDropReason reason)
    {
        received = default;
        if (!Ipv4Header.TryRead(packet, out var ip, out reason)) return false;
        if (ip.Protocol != VrrpAdvert.IpProtocol) { reason = VrrpDropReason.BadIpHeader; return false; }
        if (ip.Ttl != RequiredTtl) { reason = VrrpDropReason.BadTtl; return false; }
        if (!VrrpAdvert.TryRead(packet[ip.HeaderLength..ip.TotalLength], ip.Source, ip.Destination, out var advert, out reason)) return false;
        received = new VrrpReceived(ip.Source, ip.Destination, ip.Ttl, advert);
        return true;
    }

    /// <summary>An IPv6 raw socket delivers the payload only: source from recvmsg, destination from IPV6_PKTINFO, hop limit from IPV6_HOPLIMIT.</summary>
    public static bool TryReadIPv6(ReadOnlySpan<byte> payload, IPAddress source, IPAddress destination, int hopLimit, out VrrpReceived received, out VrrpDropReason reason)
    {
        received = default;
        if (hopLimit != RequiredTtl) { reason = VrrpDropReason.BadTtl; return false; }
        if (!VrrpAdvert.TryRead(payload, source, destination, out var advert, out reason)) return false;
        received = new VrrpReceived(source, destination, (byte)hopLimit, advert);
        return true;
    }

    /// <summary>A whole IPv6 packet (header included), as AF_PACKET readers and the golden files have it.</summary>
    public static bool TryReadIPv6Packet(ReadOnlySpan<byte> packet, out VrrpReceived received, out VrrpDropReason reason)
    {
        received = default;
        if (!Ipv6Header.TryRead(packet, out var ip, out reason)) return false;
        if (ip.NextHeader != VrrpAdvert.IpProtocol) { reason = VrrpDropReason.BadIpHeader; return false; }
        return TryReadIPv6(packet.Slice(Ipv6Header.Size, ip.PayloadLength), ip.Source, ip.Destination, ip.HopLimit, out received, out reason);
    }
}
