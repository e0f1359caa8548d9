using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;

namespace Appliance.Ipvs;

/// <summary>Address family numbers as the kernel carries them (AF_INET, AF_INET6).</summary>
public static class IpvsFamily
{
    public const ushort Inet = 2;
    public const ushort Inet6 = 10;
    public static ushort Of(IPAddress address) => address.AddressFamily == AddressFamily.InterNetworkV6 ? Inet6 : Inet;
}

/// <summary>
/// What identifies a virtual service in the kernel: either (family, protocol, address, port) or
/// (family, firewall mark). For a mark service Protocol is None, Address the family's any-address and Port 0.
/// </summary>
public readonly record struct ServiceKey(ushort Family, IpvsProtocol Protocol, IPAddress Address, ushort Port, uint FirewallMark)
{
    public static ServiceKey For(IpvsProtocol protocol, IPAddress address, ushort port) =>
        new(IpvsFamily.Of(address), protocol, address, port, 0);

    public static ServiceKey ForFirewallMark(uint mark, ushort family = IpvsFamily.Inet) =>
        new(family, IpvsProtocol.None, family == IpvsFamily.Inet6 ? IPAddress.IPv6Any : IPAddress.Any, 0, mark);

    public bool IsFirewallMark => FirewallMark != 0;

    public static string ProtocolName(IpvsProtocol p) => p switch
    {
        IpvsProtocol.Tcp => "TCP", IpvsProtocol.Udp => "UDP", IpvsProtocol.Sctp => "SCTP", _ => $"proto {(ushort)p}",
    };

    /// <summary>"TCP 192.0.2.100:80", "UDP [2001:db8::1]:53", "FWM 7", "FWM 7 IPv6".</summary>
    public override string ToString() => IsFirewallMark
        ? $"FWM {FirewallMark}{(Family == IpvsFamily.Inet6 ? " IPv6" : "")}"
        : $"{ProtocolName(Protocol)} {IpvsFormat.Endpoint(Address, Port)}";
}

/// <summary>
/// A virtual service's settings. <see cref="Netmask"/> is the persistence netmask exactly as the
/// kernel carries it in IPVS_SVC_ATTR_NETMASK read as a host u32: for IPv4 the mask's bytes in
/// network order (255.255.255.0 -> 0x00ffffff on x86), for IPv6 the prefix length.
/// </summary>
public sealed record IpvsService(ServiceKey Key, string Scheduler, ServiceFlags Flags = ServiceFlags.None,
    uint Timeout = 0, uint Netmask = 0xffffffff, string? PeName = null)
{
    /// <summary>A v4 netmask from a prefix length, in the kernel's representation.</summary>
    public static uint V4Netmask(int prefix) =>
        BinaryPrimitives.ReverseEndianness(prefix <= 0 ? 0u : uint.MaxValue << (32 - Math.Min(prefix, 32)));

    /// <summary>The kernel's default netmask of a family (host route: /32 or /128).</summary>
    public static uint FullNetmask(ushort family) => family == IpvsFamily.Inet6 ? 128u : 0xffffffffu;

    public ServiceFlags UserFlags => Flags & ServiceFlags.UserMask;
}

/// <summary>A real server of a service.</summary>
public sealed record IpvsDestination(IPAddress Address, ushort Port, ForwardMethod Forward = ForwardMethod.Masq, int Weight = 1,
    uint UpperThreshold = 0, uint LowerThreshold = 0, TunnelType TunnelType = TunnelType.Ipip, ushort TunnelPort = 0,
    TunnelFlags TunnelFlags = TunnelFlags.NoChecksum)
{
    public ushort Family => IpvsFamily.Of(Address);

    /// <summary>What identifies a destination within its service.</summary>
    public (IPAddress Address, ushort Port) Key => (Address, Port);

    public override string ToString() => IpvsFormat.Endpoint(Address, Port);
}

/// <summary>64-bit counters and 2-second-estimator rates (IPVS_STATS_ATTR_*).</summary>
public readonly record struct IpvsStats(ulong Conns, ulong InPackets, ulong OutPackets, ulong InBytes, ulong OutBytes,
    ulong Cps, ulong InPps, ulong OutPps, ulong InBps, ulong OutBps);

/// <summary>A service as the kernel reports it.</summary>
public sealed record ServiceEntry(IpvsService Service, IpvsStats Stats);

/// <summary>A destination as the kernel reports it.</summary>
public sealed record DestinationEntry(IpvsDestination Destination, uint ActiveConns, uint InactiveConns, uint PersistentConns, IpvsStats Stats);

/// <summary>A connection-sync daemon (IPVS_CMD_ATTR_DAEMON).</summary>
public sealed record SyncDaemon(SyncState State, string Interface, uint SyncId, ushort MaxLength = 0,
    IPAddress? Group = null, ushort Port = 0, byte Ttl = 0);

/// <summary>Global connection timeouts in seconds (ipvsadm --set tcp tcpfin udp); 0 leaves one unchanged.</summary>
public readonly record struct IpvsTimeouts(uint Tcp, uint TcpFin, uint Udp);

/// <summary>IPVS_CMD_GET_INFO: the version (0x010201 = 1.2.1) and the connection table size.</summary>
public readonly record struct IpvsInfo(uint Version, uint ConnectionTableSize)
{
    public string VersionString => $"{(Version >> 16) & 0xff}.{(Version >> 8) & 0xff}.{Version & 0xff}";
}

/// <summary>A virtual service with its real servers: one entry of a table.</summary>
public sealed record VirtualServer(IpvsService Service, IReadOnlyList<IpvsDestination> Destinations);

/// <summary>The table the appliance wants in the kernel. A plain value: config and health checks build it.</summary>
public sealed record DesiredTable(IReadOnlyList<VirtualServer> Services)
{
    public static DesiredTable Empty { get; } = new([]);
}

/// <summary>The kernel's table as a dump read it.</summary>
public sealed record KernelTable(IReadOnlyList<(ServiceEntry Service, IReadOnlyList<DestinationEntry> Destinations)> Services);

/// <summary>Address:port formatting the way ipvsadm prints it.</summary>
public static class IpvsFormat
{
    public static string Endpoint(IPAddress address, ushort port) =>
        address.AddressFamily == AddressFamily.InterNetworkV6 ? $"[{address}]:{port}" : $"{address}:{port}";
}
