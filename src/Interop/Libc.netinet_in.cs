#pragma warning disable CS8981 // C names are kept on purpose
using System.Runtime.InteropServices;

namespace Appliance.Interop;

/// <summary>struct in_addr: an IPv4 address in network byte order.</summary>
[StructLayout(LayoutKind.Sequential)]
public struct in_addr
{
    public uint s_addr;
}

/// <summary>struct in6_addr: an IPv6 address (16 bytes, network order).</summary>
[StructLayout(LayoutKind.Sequential)]
public struct in6_addr
{
    public InlineBytes16 s6_addr;
}

/// <summary>struct sockaddr_in: AF_INET address and port (both network byte order).</summary>
[StructLayout(LayoutKind.Sequential)]
public struct sockaddr_in
{
    public ushort sin_family;
    public ushort sin_port;
    public in_addr sin_addr;
    public InlineBytes8 sin_zero;
}

/// <summary>struct sockaddr_in6: AF_INET6 address, port, flow label and scope (interface index for link-local).</summary>
[StructLayout(LayoutKind.Sequential)]
public struct sockaddr_in6
{
    public ushort sin6_family;
    public ushort sin6_port;
    public uint sin6_flowinfo;
    public in6_addr sin6_addr;
    public uint sin6_scope_id;
}

/// <summary>struct ip_mreqn: IP_ADD_MEMBERSHIP by interface index (VRRP joins 224.0.0.18 on the heartbeat NIC).</summary>
[StructLayout(LayoutKind.Sequential)]
public struct ip_mreqn
{
    public in_addr imr_multiaddr;
    public in_addr imr_address;
    public int imr_ifindex;
}

/// <summary>struct ipv6_mreq: IPV6_JOIN_GROUP (ff02::12 for VRRP over IPv6).</summary>
[StructLayout(LayoutKind.Sequential)]
public struct ipv6_mreq
{
    public in6_addr ipv6mr_multiaddr;
    public uint ipv6mr_interface;
}

/// <summary>struct in_pktinfo: IP_PKTINFO ancillary data (receiving interface, destination address).</summary>
[StructLayout(LayoutKind.Sequential)]
public struct in_pktinfo
{
    public int ipi_ifindex;
    public in_addr ipi_spec_dst;
    public in_addr ipi_addr;
}

/// <summary>struct in6_pktinfo: IPV6_PKTINFO ancillary data.</summary>
[StructLayout(LayoutKind.Sequential)]
public struct in6_pktinfo
{
    public in6_addr ipi6_addr;
    public uint ipi6_ifindex;
}

/// <summary>&lt;netinet/in.h&gt;: protocol numbers and IP/IPv6 socket options.</summary>
public static partial class Libc
{
    public const int IPPROTO_IP = 0;
    public const int IPPROTO_ICMP = 1;
    public const int IPPROTO_TCP = 6;
    public const int IPPROTO_UDP = 17;
    public const int IPPROTO_IPV6 = 41;
    public const int IPPROTO_ICMPV6 = 58;
    /// <summary>VRRP (RFC 5798 §5.1.1.4, IANA protocol 112). No libc header names it; the test checks /etc/protocols.</summary>
    public const int IPPROTO_VRRP = 112;
    public const int IPPROTO_SCTP = 132;
    public const int IPPROTO_RAW = 255;

    public const int IP_TOS = 1;
    public const int IP_TTL = 2;
    public const int IP_HDRINCL = 3;
    public const int IP_PKTINFO = 8;
    public const int IP_RECVTTL = 12;
    public const int IP_MULTICAST_IF = 32;
    public const int IP_MULTICAST_TTL = 33;
    public const int IP_MULTICAST_LOOP = 34;
    public const int IP_ADD_MEMBERSHIP = 35;
    public const int IP_DROP_MEMBERSHIP = 36;

    public const int IPV6_CHECKSUM = 7;
    public const int IPV6_UNICAST_HOPS = 16;
    public const int IPV6_MULTICAST_IF = 17;
    public const int IPV6_MULTICAST_HOPS = 18;
    public const int IPV6_MULTICAST_LOOP = 19;
    public const int IPV6_JOIN_GROUP = 20;
    public const int IPV6_LEAVE_GROUP = 21;
    public const int IPV6_V6ONLY = 26;
    public const int IPV6_RECVPKTINFO = 49;
    public const int IPV6_PKTINFO = 50;
    public const int IPV6_RECVHOPLIMIT = 51;
    public const int IPV6_HOPLIMIT = 52;
    public const int IPV6_TCLASS = 67;
}
