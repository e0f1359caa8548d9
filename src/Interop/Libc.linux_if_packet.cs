#pragma warning disable CS8981 // C names are kept on purpose
using System.Runtime.InteropServices;

namespace Appliance.Interop;

/// <summary>struct sockaddr_ll: an AF_PACKET link-layer address (gratuitous ARP, unsolicited NA).</summary>
[StructLayout(LayoutKind.Sequential)]
public struct sockaddr_ll
{
    public ushort sll_family;
    /// <summary>Ethertype, network byte order.</summary>
    public ushort sll_protocol;
    public int sll_ifindex;
    public ushort sll_hatype;
    public byte sll_pkttype;
    public byte sll_halen;
    public InlineBytes8 sll_addr;
}

/// <summary>&lt;linux/if_packet.h&gt;, &lt;linux/if_ether.h&gt;, &lt;net/if_arp.h&gt;: what an AF_PACKET sender needs.</summary>
public static partial class Libc
{
    public const int ETH_ALEN = 6;
    public const int ETH_HLEN = 14;
    public const int ETH_P_ALL = 0x0003;
    public const int ETH_P_IP = 0x0800;
    public const int ETH_P_ARP = 0x0806;
    public const int ETH_P_IPV6 = 0x86DD;

    public const ushort ARPHRD_ETHER = 1;
    public const ushort ARPOP_REQUEST = 1;
    public const ushort ARPOP_REPLY = 2;

    public const byte PACKET_HOST = 0;
    public const byte PACKET_BROADCAST = 1;
    public const byte PACKET_MULTICAST = 2;
    public const byte PACKET_OTHERHOST = 3;
    public const byte PACKET_OUTGOING = 4;
}
