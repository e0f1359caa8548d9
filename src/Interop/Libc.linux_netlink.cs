#pragma warning disable CS8981 // C names are kept on purpose
using System.Runtime.InteropServices;

namespace Appliance.Interop;

/// <summary>struct sockaddr_nl: a netlink endpoint (pid 0 is the kernel) and multicast groups.</summary>
[StructLayout(LayoutKind.Sequential)]
public struct sockaddr_nl
{
    public ushort nl_family;
    public ushort nl_pad;
    public uint nl_pid;
    public uint nl_groups;
}

/// <summary>struct nlmsghdr: the header of every netlink message (host byte order).</summary>
[StructLayout(LayoutKind.Sequential)]
public struct nlmsghdr
{
    public uint nlmsg_len;
    public ushort nlmsg_type;
    public ushort nlmsg_flags;
    public uint nlmsg_seq;
    public uint nlmsg_pid;
}

/// <summary>struct nlmsgerr: the payload of NLMSG_ERROR (error 0 is an ACK).</summary>
[StructLayout(LayoutKind.Sequential)]
public struct nlmsgerr
{
    public int error;
    public nlmsghdr msg;
}

/// <summary>struct nlattr: the header of one netlink attribute (TLV).</summary>
[StructLayout(LayoutKind.Sequential)]
public struct nlattr
{
    public ushort nla_len;
    public ushort nla_type;
}

/// <summary>struct genlmsghdr (linux/genetlink.h): the generic-netlink header after nlmsghdr.</summary>
[StructLayout(LayoutKind.Sequential)]
public struct genlmsghdr
{
    public byte cmd;
    public byte version;
    public ushort reserved;
}

/// <summary>struct ifinfomsg (linux/rtnetlink.h): the RTM_*LINK header.</summary>
[StructLayout(LayoutKind.Sequential)]
public struct ifinfomsg
{
    public byte ifi_family;
    public byte __ifi_pad;
    public ushort ifi_type;
    public int ifi_index;
    public uint ifi_flags;
    public uint ifi_change;
}

/// <summary>struct ifaddrmsg (linux/if_addr.h): the RTM_*ADDR header.</summary>
[StructLayout(LayoutKind.Sequential)]
public struct ifaddrmsg
{
    public byte ifa_family;
    public byte ifa_prefixlen;
    public byte ifa_flags;
    public byte ifa_scope;
    public uint ifa_index;
}

/// <summary>
/// &lt;linux/netlink.h&gt;, &lt;linux/genetlink.h&gt;, &lt;linux/rtnetlink.h&gt;: the netlink
/// protocols, flags and message types IPVS control (generic netlink) and VIP takeover
/// (rtnetlink) use.
/// </summary>
public static partial class Libc
{
    public const int NETLINK_ROUTE = 0;
    public const int NETLINK_GENERIC = 16;

    // SOL_NETLINK socket options.
    public const int NETLINK_ADD_MEMBERSHIP = 1;
    public const int NETLINK_DROP_MEMBERSHIP = 2;
    public const int NETLINK_NO_ENOBUFS = 5;
    public const int NETLINK_CAP_ACK = 10;
    public const int NETLINK_EXT_ACK = 11;
    public const int NETLINK_GET_STRICT_CHK = 12;

    public const ushort NLM_F_REQUEST = 0x01;
    public const ushort NLM_F_MULTI = 0x02;
    public const ushort NLM_F_ACK = 0x04;
    public const ushort NLM_F_ECHO = 0x08;
    public const ushort NLM_F_DUMP_INTR = 0x10;
    // Modifiers to GET requests.
    public const ushort NLM_F_ROOT = 0x100;
    public const ushort NLM_F_MATCH = 0x200;
    public const ushort NLM_F_ATOMIC = 0x400;
    public const ushort NLM_F_DUMP = NLM_F_ROOT | NLM_F_MATCH;
    // Modifiers to NEW requests.
    public const ushort NLM_F_REPLACE = 0x100;
    public const ushort NLM_F_EXCL = 0x200;
    public const ushort NLM_F_CREATE = 0x400;
    public const ushort NLM_F_APPEND = 0x800;
    // Flags of an NLMSG_ERROR acknowledgement.
    public const ushort NLM_F_CAPPED = 0x100;
    public const ushort NLM_F_ACK_TLVS = 0x200;

    public const ushort NLMSG_NOOP = 0x1;
    public const ushort NLMSG_ERROR = 0x2;
    public const ushort NLMSG_DONE = 0x3;
    public const ushort NLMSG_OVERRUN = 0x4;
    public const ushort NLMSG_MIN_TYPE = 0x10;

    public const int NLMSG_ALIGNTO = 4;
    public const int NLA_ALIGNTO = 4;
    public const ushort NLA_F_NESTED = 1 << 15;
    public const ushort NLA_F_NET_BYTEORDER = 1 << 14;
    public const ushort NLA_TYPE_MASK = unchecked((ushort)~(NLA_F_NESTED | NLA_F_NET_BYTEORDER));

    // Extended-ACK attributes (NETLINK_EXT_ACK) after the nlmsgerr.
    public const ushort NLMSGERR_ATTR_MSG = 1;
    public const ushort NLMSGERR_ATTR_OFFS = 2;

    /// <summary>NLMSG_ALIGN(len).</summary>
    public static int NLMSG_ALIGN(int len) => (len + NLMSG_ALIGNTO - 1) & ~(NLMSG_ALIGNTO - 1);

    /// <summary>NLMSG_HDRLEN: aligned size of nlmsghdr.</summary>
    public static int NLMSG_HDRLEN => NLMSG_ALIGN(System.Runtime.CompilerServices.Unsafe.SizeOf<nlmsghdr>());

    /// <summary>NLA_ALIGN(len).</summary>
    public static int NLA_ALIGN(int len) => (len + NLA_ALIGNTO - 1) & ~(NLA_ALIGNTO - 1);

    /// <summary>NLA_HDRLEN: aligned size of nlattr.</summary>
    public static int NLA_HDRLEN => NLA_ALIGN(System.Runtime.CompilerServices.Unsafe.SizeOf<nlattr>());

    // Generic netlink controller (resolves "IPVS" to its family id).
    public const ushort GENL_ID_CTRL = 0x10;
    public const int GENL_NAMSIZ = 16;
    public const byte CTRL_CMD_GETFAMILY = 3;
    public const ushort CTRL_ATTR_FAMILY_ID = 1;
    public const ushort CTRL_ATTR_FAMILY_NAME = 2;
    public const ushort CTRL_ATTR_VERSION = 3;
    public const ushort CTRL_ATTR_HDRSIZE = 4;
    public const ushort CTRL_ATTR_MAXATTR = 5;
    public const ushort CTRL_ATTR_MCAST_GROUPS = 7;
    public const ushort CTRL_ATTR_MCAST_GRP_NAME = 1;
    public const ushort CTRL_ATTR_MCAST_GRP_ID = 2;

    // rtnetlink message types.
    public const ushort RTM_NEWLINK = 16;
    public const ushort RTM_DELLINK = 17;
    public const ushort RTM_GETLINK = 18;
    public const ushort RTM_NEWADDR = 20;
    public const ushort RTM_DELADDR = 21;
    public const ushort RTM_GETADDR = 22;

    // rtnetlink multicast groups: RTMGRP_* are nl_groups bits, RTNLGRP_* NETLINK_ADD_MEMBERSHIP numbers.
    public const uint RTMGRP_LINK = 0x1;
    public const uint RTMGRP_IPV4_IFADDR = 0x10;
    public const uint RTMGRP_IPV6_IFADDR = 0x100;
    public const int RTNLGRP_LINK = 1;
    public const int RTNLGRP_IPV4_IFADDR = 5;
    public const int RTNLGRP_IPV6_IFADDR = 9;

    // Link attributes (IFLA_*) and address attributes (IFA_*).
    public const ushort IFLA_ADDRESS = 1;
    public const ushort IFLA_IFNAME = 3;
    public const ushort IFLA_MTU = 4;
    public const ushort IFLA_OPERSTATE = 16;
    public const ushort IFA_ADDRESS = 1;
    public const ushort IFA_LOCAL = 2;
    public const ushort IFA_LABEL = 3;
    public const ushort IFA_FLAGS = 8;
    public const uint IFA_F_NODAD = 0x02;
    public const uint IFA_F_PERMANENT = 0x80;
    public const byte RT_SCOPE_UNIVERSE = 0;
    public const byte RT_SCOPE_LINK = 253;
    public const byte RT_SCOPE_HOST = 254;

    // Interface flags (ifi_flags). IFF_LOWER_UP is carrier, which only linux/if.h defines.
    public const uint IFF_UP = 0x1;
    public const uint IFF_RUNNING = 0x40;
    public const uint IFF_LOWER_UP = 0x10000;
}
