namespace Appliance.Netlink;

/// <summary>Netlink protocol numbers (linux/netlink.h NETLINK_*).</summary>
public static class NetlinkProtocol
{
    public const int Route = 0;    // NETLINK_ROUTE
    public const int Generic = 16; // NETLINK_GENERIC
}

/// <summary>Control message types (linux/netlink.h NLMSG_*). Family messages start at 16 (NLMSG_MIN_TYPE).</summary>
public static class NetlinkMessageType
{
    public const ushort Noop = 1;    // NLMSG_NOOP
    public const ushort Error = 2;   // NLMSG_ERROR (also the ACK, with error 0)
    public const ushort Done = 3;    // NLMSG_DONE
    public const ushort Overrun = 4; // NLMSG_OVERRUN
    public const ushort MinType = 16; // NLMSG_MIN_TYPE
}

/// <summary>nlmsghdr flags (linux/netlink.h NLM_F_*).</summary>
[Flags]
public enum NetlinkFlags : ushort
{
    None = 0,
    Request = 0x01,   // NLM_F_REQUEST
    Multi = 0x02,     // NLM_F_MULTI
    Ack = 0x04,       // NLM_F_ACK
    Echo = 0x08,      // NLM_F_ECHO
    DumpIntr = 0x10,  // NLM_F_DUMP_INTR
    Root = 0x100,     // NLM_F_ROOT (GET)   / NLM_F_REPLACE (NEW) / NLM_F_CAPPED (ACK)
    Match = 0x200,    // NLM_F_MATCH (GET)  / NLM_F_EXCL (NEW)    / NLM_F_ACK_TLVS (ACK)
    Atomic = 0x400,   // NLM_F_ATOMIC (GET) / NLM_F_CREATE (NEW)
    Dump = Root | Match, // NLM_F_DUMP
    Replace = 0x100,  // NLM_F_REPLACE
    Excl = 0x200,     // NLM_F_EXCL
    Create = 0x400,   // NLM_F_CREATE
    Append = 0x800,   // NLM_F_APPEND
    Capped = 0x100,   // NLM_F_CAPPED: the ACK carries only the request's header
    AckTlvs = 0x200,  // NLM_F_ACK_TLVS: extended-ACK attributes follow
}

/// <summary>Extended ACK attributes (linux/netlink.h NLMSGERR_ATTR_*).</summary>
public static class NetlinkErrorAttribute
{
    public const ushort Msg = 1;      // NLMSGERR_ATTR_MSG: string
    public const ushort Offset = 2;   // NLMSGERR_ATTR_OFFS: u32 offset of the bad attribute
    public const ushort Cookie = 3;   // NLMSGERR_ATTR_COOKIE
    public const ushort Policy = 4;   // NLMSGERR_ATTR_POLICY
    public const ushort MissType = 5; // NLMSGERR_ATTR_MISS_TYPE
    public const ushort MissNest = 6; // NLMSGERR_ATTR_MISS_NEST
}

/// <summary>nlattr type bits (linux/netlink.h NLA_F_*).</summary>
public static class NetlinkAttributeFlags
{
    public const ushort Nested = 0x8000;       // NLA_F_NESTED
    public const ushort NetByteOrder = 0x4000; // NLA_F_NET_BYTEORDER
    public const ushort TypeMask = 0x3fff;     // NLA_TYPE_MASK
}

/// <summary>The generic-netlink controller (linux/genetlink.h).</summary>
public static class GenericNetlinkController
{
    public const ushort FamilyId = 0x10;   // GENL_ID_CTRL
    public const byte CmdGetFamily = 3;    // CTRL_CMD_GETFAMILY
    public const byte CmdNewFamily = 1;    // CTRL_CMD_NEWFAMILY (the reply)
    public const ushort AttrFamilyId = 1;  // CTRL_ATTR_FAMILY_ID u16
    public const ushort AttrFamilyName = 2; // CTRL_ATTR_FAMILY_NAME string
    public const ushort AttrVersion = 3;   // CTRL_ATTR_VERSION u32
    public const ushort AttrHdrSize = 4;   // CTRL_ATTR_HDRSIZE u32
    public const ushort AttrMaxAttr = 5;   // CTRL_ATTR_MAXATTR u32
    public const ushort AttrOps = 6;       // CTRL_ATTR_OPS nested
    public const ushort AttrMcastGroups = 7; // CTRL_ATTR_MCAST_GROUPS nested
}
