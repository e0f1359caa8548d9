namespace Appliance.Ipvs;

/// <summary>Generic-netlink commands of the "IPVS" family (include/uapi/linux/ip_vs.h IPVS_CMD_*).</summary>
public enum IpvsCommand : byte
{
    NewService = 1, SetService = 2, DelService = 3, GetService = 4,
    NewDest = 5, SetDest = 6, DelDest = 7, GetDest = 8,
    NewDaemon = 9, DelDaemon = 10, GetDaemon = 11,
    SetConfig = 12, GetConfig = 13, SetInfo = 14, GetInfo = 15,
    Zero = 16, Flush = 17,
}

/// <summary>Attribute numbers of ip_vs.h, grouped by the nest they live in.</summary>
public static class IpvsAttr
{
    public const string FamilyName = "IPVS";   // IPVS_GENL_NAME
    public const byte FamilyVersion = 1;       // IPVS_GENL_VERSION

    // IPVS_CMD_ATTR_*
    public const ushort CmdService = 1, CmdDest = 2, CmdDaemon = 3, CmdTimeoutTcp = 4, CmdTimeoutTcpFin = 5, CmdTimeoutUdp = 6;

    // IPVS_SVC_ATTR_*
    public const ushort SvcAf = 1, SvcProtocol = 2, SvcAddr = 3, SvcPort = 4, SvcFwmark = 5, SvcSchedName = 6,
        SvcFlags = 7, SvcTimeout = 8, SvcNetmask = 9, SvcStats = 10, SvcPeName = 11, SvcStats64 = 12;

    // IPVS_DEST_ATTR_*
    public const ushort DestAddr = 1, DestPort = 2, DestFwdMethod = 3, DestWeight = 4, DestUThresh = 5, DestLThresh = 6,
        DestActiveConns = 7, DestInactConns = 8, DestPersistConns = 9, DestStats = 10, DestAddrFamily = 11,
        DestStats64 = 12, DestTunType = 13, DestTunPort = 14, DestTunFlags = 15;

    // IPVS_DAEMON_ATTR_*
    public const ushort DaemonState = 1, DaemonMcastIfn = 2, DaemonSyncId = 3, DaemonSyncMaxLen = 4, DaemonMcastGroup = 5,
        DaemonMcastGroup6 = 6, DaemonMcastPort = 7, DaemonMcastTtl = 8;

    // IPVS_STATS_ATTR_*
    public const ushort StatsConns = 1, StatsInPkts = 2, StatsOutPkts = 3, StatsInBytes = 4, StatsOutBytes = 5,
        StatsCps = 6, StatsInPps = 7, StatsOutPps = 8, StatsInBps = 9, StatsOutBps = 10, StatsPad = 11;

    // IPVS_INFO_ATTR_*
    public const ushort InfoVersion = 1, InfoConnTabSize = 2;

    public const int SchedNameMax = 16; // IP_VS_SCHEDNAME_MAXLEN (with the NUL)
    public const int PeNameMax = 16;    // IP_VS_PENAME_MAXLEN
    public const int IfNameMax = 16;    // IP_VS_IFNAME_MAXLEN
}

/// <summary>Virtual service flags (IP_VS_SVC_F_*).</summary>
[Flags]
public enum ServiceFlags : uint
{
    None = 0,
    Persistent = 0x1,  // IP_VS_SVC_F_PERSISTENT
    Hashed = 0x2,      // IP_VS_SVC_F_HASHED: kernel-internal, reported in dumps, never set by us
    OnePacket = 0x4,   // IP_VS_SVC_F_ONEPACKET
    Sched1 = 0x8,      // IP_VS_SVC_F_SCHED1: sh-fallback / mh-fallback
    Sched2 = 0x10,     // IP_VS_SVC_F_SCHED2: sh-port / mh-port
    Sched3 = 0x20,     // IP_VS_SVC_F_SCHED3
    /// <summary>The bits user space may set; Hashed is masked out when comparing.</summary>
    UserMask = Persistent | OnePacket | Sched1 | Sched2 | Sched3,
}

/// <summary>Forwarding method (IP_VS_CONN_F_FWD_MASK values).</summary>
public enum ForwardMethod : uint
{
    Masq = 0,   // IP_VS_CONN_F_MASQ (NAT)
    Local = 1,  // IP_VS_CONN_F_LOCALNODE
    Tunnel = 2, // IP_VS_CONN_F_TUNNEL
    Route = 3,  // IP_VS_CONN_F_DROUTE (direct routing)
    Bypass = 4, // IP_VS_CONN_F_BYPASS
}

/// <summary>Tunnel encapsulation (IP_VS_CONN_F_TUNNEL_TYPE_*).</summary>
public enum TunnelType : byte { Ipip = 0, Gue = 1, Gre = 2 }

/// <summary>Tunnel checksum flags (IP_VS_TUNNEL_ENCAP_FLAG_*); 0 is "nocsum".</summary>
[Flags]
public enum TunnelFlags : ushort { NoChecksum = 0, Checksum = 0x1, RemoteChecksum = 0x2 }

/// <summary>Sync daemon role (IP_VS_STATE_*).</summary>
public enum SyncState : uint { Master = 1, Backup = 2 }

/// <summary>Transport protocols a virtual service can have (IPPROTO_*); 0 for firewall-mark services.</summary>
public enum IpvsProtocol : ushort { None = 0, Tcp = 6, Udp = 17, Sctp = 132 }
