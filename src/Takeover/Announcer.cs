using System.Buffers.Binary;
using System.Net;
using System.Net.NetworkInformation;
using System.Net.Sockets;
using Appliance.Vrrp;
using Appliance.Interop;

namespace Appliance.Takeover;

/// <summary>
/// Tells the public segment who holds the VIPs now: gratuitous ARP requests (RFC 5227 §3 "ARP Announcement")
/// through an AF_PACKET socket, unsolicited neighbour advertisements (RFC 4861 §7.2.6) through a raw ICMPv6
/// socket with hop limit 255. Frame builders are pure and tested; the sockets are opened per interface.
/// </summary>
public sealed class Announcer : IDisposable
{
    public const int GarpFrameSize = 42;
    public const int NeighbourAdvertSize = 32;

    private readonly string _interface;
    private readonly int _ifindex;
    private readonly byte[] _mac;
    private Socket? _packet;
    private Socket? _icmp6;

    public Announcer(string interfaceName)
    {
        _interface = interfaceName;
        _ifindex = NetworkInterfaces.Index(interfaceName);
        _mac = ReadMac(interfaceName);
    }

    public long Sent { get; private set; }
    public long Errors { get; private set; }

    /// <summary>Ethernet broadcast + ARP request whose sender and target protocol address are both the VIP.</summary>
    public static byte[] BuildGratuitousArp(ReadOnlySpan<byte> mac, IPAddress vip)
    {
        var f = new byte[GarpFrameSize];
        f.AsSpan(0, 6).Fill(0xFF);
        mac.CopyTo(f.AsSpan(6));
        BinaryPrimitives.WriteUInt16BigEndian(f.AsSpan(12), (ushort)Libc.ETH_P_ARP);
        var arp = f.AsSpan(14);
        BinaryPrimitives.WriteUInt16BigEndian(arp, Libc.ARPHRD_ETHER);
        BinaryPrimitives.WriteUInt16BigEndian(arp[2..], (ushort)Libc.ETH_P_IP);
        arp[4] = 6;
        arp[5] = 4;
        BinaryPrimitives.WriteUInt16BigEndian(arp[6..], Libc.ARPOP_REQUEST);
        mac.CopyTo(arp[8..]);
        vip.TryWriteBytes(arp[14..], out _);
        arp[18..24].Clear();
        vip.TryWriteBytes(arp[24..], out _);
        return f;
    }

    /// <summary>ICMPv6 type 136 with Override set, target = VIP, option 2 = our MAC. The kernel fills the checksum (raw ICMPv6 sockets always do).</summary>
    public static byte[] BuildNeighbourAdvert(ReadOnlySpan<byte> mac, IPAddress vip)
    {
        var m = new byte[NeighbourAdvertSize];
        m[0] = 136;
        m[1] = 0;
        // R=0 (a director is no router on this segment), S=0 (unsolicited), O=1 (replace cached entries).
        m[4] = 0x20;
        vip.TryWriteBytes(m.AsSpan(8), out _);
        m[24] = 2; // Target Link-Layer Address
        m[25] = 1; // length in units of 8 bytes
        mac.CopyTo(m.AsSpan(26));
        return m;
    }

    /// <summary>Sends one announcement per VIP. Failures are counted and reported, never thrown into the loop.</summary>
    public string? Announce(IEnumerable<VirtualAddress> vips)
    {
        string? error = null;
        foreach (var vip in vips)
        {
            try
            {
                if (vip.Family == AddressFamily.InterNetwork) SendArp(vip.Address);
                else SendNa(vip.Address);
                Sent++;
            }
            catch (Exception e) when (e is SocketException or IOException or InvalidOperationException)
            {
                Errors++;
                error = $"announcing VIP {vip} on {_interface}: {e.Message}";
            }
        }
        return error;
    }

    /// <summary>Opens the sockets for these families now, so the first announcement after a takeover costs no set-up time.</summary>
    public void Prepare(IEnumerable<AddressFamily> families)
    {
        foreach (var f in families.Distinct())
        {
            if (f == AddressFamily.InterNetwork) EnsureArpSocket();
            else EnsureNaSocket();
        }
    }

    private void SendArp(IPAddress vip) => EnsureArpSocket().Send(BuildGratuitousArp(_mac, vip));

    private Socket EnsureArpSocket()
    {
        if (_packet is null)
        {
            ushort protocol = BinaryPrimitives.ReverseEndianness((ushort)Libc.ETH_P_ARP); // network order
            var s = NativeSocket.Create(Libc.AF_PACKET, Libc.SOCK_RAW, protocol);
            var ll = new sockaddr_ll { sll_family = Libc.AF_PACKET, sll_protocol = protocol, sll_ifindex = _ifindex };
            if (Libc.bind((int)s.Handle, in ll) != 0)
            {
                var e = ErrnoException.FromLast($"binding the ARP socket to {_interface}");
                s.Dispose();
                throw e;
            }
            _packet = s;
        }
        return _packet;
    }

    private void SendNa(IPAddress vip) =>
        EnsureNaSocket().SendTo(BuildNeighbourAdvert(_mac, vip), new IPEndPoint(IPAddress.Parse("ff02::1"), 0));

    private Socket EnsureNaSocket()
    {
        if (_icmp6 is null)
        {
            var s = new Socket(AddressFamily.InterNetworkV6, SocketType.Raw, ProtocolType.IcmpV6);
            // RFC 4861 §7.1.2: receivers drop neighbour discovery packets whose hop limit is not 255.
            s.SetSocketOption(SocketOptionLevel.IPv6, SocketOptionName.MulticastTimeToLive, 255);
            s.SetSocketOption(SocketOptionLevel.IPv6, SocketOptionName.MulticastInterface, _ifindex);
            _icmp6 = s;
        }
        return _icmp6;
    }

    private static byte[] ReadMac(string name)
    {
        var path = $"/sys/class/net/{name}/address";
        try { return PhysicalAddress.Parse(File.ReadAllText(path).Trim().Replace(':', '-').ToUpperInvariant()).GetAddressBytes(); }
        catch (Exception e) when (e is IOException or FormatException or UnauthorizedAccessException)
        { throw new InvalidOperationException($"reading the MAC address of {name} from {path}: {e.Message}", e); }
    }

    public void Dispose()
    {
        _packet?.Dispose();
        _icmp6?.Dispose();
    }
}
