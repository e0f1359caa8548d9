using System.Net;
using System.Net.Sockets;
using Appliance.Logging;

namespace Appliance.Config;

// The validated configuration of the whole product. Every value here has passed its range and
// cross-reference checks (ConfigLoader); later subsystems only read it. Durations are TimeSpan,
// addresses IPAddress, optional values that a subsystem derives itself (sync sysctls) are null.

/// <summary>What runs on the other director: another appliance, or keepalived (interoperation, migration).</summary>
public enum PeerType { Appliance, Keepalived }

/// <summary><c>[global]</c>.</summary>
public sealed record GlobalSettings(
    string NodeName,
    int NodeId,
    string PublicInterface,
    string HeartbeatInterface,
    LogLevel LogLevel,
    bool GroupFailover,
    PeerType PeerType,
    IPAddress? PeerPublicAddress,
    IPAddress? PublicAddress = null)
{
    /// <summary>The other director speaks the appliance's extensions (serial heartbeat, planned handover).</summary>
    public bool PeerIsAppliance => PeerType == PeerType.Appliance;
}

/// <summary>Initial VRRP state (keepalived's <c>state</c>); the protocol decides after start.</summary>
public enum VrrpInitialState { Backup, Master }

/// <summary>One <c>virtual_ipaddress</c> item: <c>192.0.2.10/24 dev eth0</c>.</summary>
public sealed record VirtualAddress(IPAddress Address, int PrefixLength, string Device)
{
    public AddressFamily Family => Address.AddressFamily;
    public override string ToString() => $"{Address}/{PrefixLength} dev {Device}";
}

/// <summary>keepalived's notify scripts; each is a command line whose first word is an absolute path.</summary>
public sealed record NotifyCommands(string? Master, string? Backup, string? Fault, string? Stop, string? Any);

/// <summary>Gratuitous ARP / unsolicited NA after becoming MASTER (keepalived's garp_* keys).</summary>
public sealed record GarpSettings(TimeSpan MasterDelay, int MasterRepeat, TimeSpan MasterRefresh, int MasterRefreshRepeat);

/// <summary>VRRPv2 simple-password authentication (RFC 2338 type 1; VRRPv3 has none, RFC 5798 section 9).</summary>
public sealed record VrrpAuthentication(Secret Password);

/// <summary><c>[vrrp_instance NAME]</c>.</summary>
public sealed record VrrpInstance(
    string Name,
    string Interface,
    int VirtualRouterId,
    int Priority,
    TimeSpan AdvertInterval,
    int Version,
    VrrpInitialState InitialState,
    bool Preempt,
    TimeSpan PreemptDelay,
    bool AcceptMode,
    AddressFamily Family,
    ValueList<VirtualAddress> VirtualAddresses,
    ValueList<string> TrackInterfaces,
    IPAddress? UnicastSource,
    ValueList<IPAddress> UnicastPeers,
    NotifyCommands Notify,
    GarpSettings Garp,
    VrrpAuthentication? Authentication)
{
    /// <summary>Priority 255: this router owns the addresses (RFC 5798 section 5.2.4).</summary>
    public bool IsAddressOwner => Priority == 255;
}

public enum ServiceProtocol { Tcp, Udp, Sctp }

/// <summary>The kernel's IPVS schedulers (ip_vs_*.ko), named as ipvsadm -s names them.</summary>
public enum Scheduler { Rr, Wrr, Lc, Wlc, Lblc, Lblcr, Dh, Sh, Sed, Nq, Fo, Ovf, Mh, Twos }

/// <summary>ipvsadm's <c>-b</c> scheduler flags. The kernel carries them as IP_VS_SVC_F_SCHED1 (fallback) and SCHED2 (port).</summary>
[Flags]
public enum SchedulerFlags { None = 0, ShFallback = 1, ShPort = 2, MhFallback = 4, MhPort = 8 }

/// <summary>keepalived's lb_kind: NAT (masquerading), DR (direct routing, ipvsadm -g), TUN (tunnelling, -i).</summary>
public enum ForwardingMethod { Nat, DirectRouting, Tunnel }

public enum TunnelType { Ipip, Gue, Gre }

/// <summary>GUE/GRE checksum mode (ipvsadm --tun-nocsum / --tun-csum / --tun-remcsum).</summary>
public enum TunnelChecksum { NoChecksum, Checksum, RemoteChecksum }

public sealed record TunnelSettings(TunnelType Type, int Port, TunnelChecksum Checksum);

/// <summary>keepalived's checker blocks: TCP_CHECK, HTTP_GET, SSL_GET, MISC_CHECK, DNS_CHECK, or none (always up).</summary>
public enum HealthCheckKind { None, TcpCheck, HttpGet, SslGet, MiscCheck, DnsCheck }

/// <summary>Accepted HTTP status codes: one code (First == Last) or a range.</summary>
public sealed record StatusCodeRange(int First, int Last)
{
    public bool Contains(int code) => code >= First && code <= Last;
    public override string ToString() => First == Last ? $"{First}" : $"{First}-{Last}";
}

/// <summary>
/// One real server's health check with every parameter resolved (the real server's own value,
/// else its virtual server's, else the default). Parameters that do not apply to
/// <see cref="Kind"/> hold their defaults; the loader refuses them when written.
/// </summary>
public sealed record HealthCheck(
    HealthCheckKind Kind,
    TimeSpan DelayLoop,
    TimeSpan ConnectTimeout,
    int Retry,
    TimeSpan DelayBeforeRetry,
    TimeSpan Warmup,
    int Rise,
    int Fall,
    IPAddress? ConnectIp,
    int? ConnectPort,
    string UrlPath,
    ValueList<StatusCodeRange> StatusCodes,
    string? VirtualHost,
    string? Digest,
    string? BodyContains,
    bool TlsVerify,
    string? MiscPath,
    TimeSpan MiscTimeout,
    bool MiscDynamic,
    string DnsName,
    string DnsType);

/// <summary><c>[real_server NAME]</c>.</summary>
public sealed record RealServer(
    string Name,
    IPAddress Address,
    int Port,
    int Weight,
    int UpperThreshold,
    int LowerThreshold,
    bool InhibitOnFailure,
    ForwardingMethod Forwarding,
    TunnelSettings? Tunnel,
    HealthCheck Check,
    string? NotifyUp,
    string? NotifyDown)
{
    public override string ToString() => Address.AddressFamily == AddressFamily.InterNetworkV6 ? $"[{Address}]:{Port}" : $"{Address}:{Port}";
}

/// <summary>Where traffic goes when no real server is up (keepalived's sorry_server).</summary>
public sealed record SorryServer(IPAddress Address, int Port, bool Inhibit);

/// <summary>
/// <c>[virtual_server NAME]</c>: either <see cref="Address"/>:<see cref="Port"/> with a
/// <see cref="Protocol"/>, or a firewall mark (<see cref="FirewallMark"/> &gt; 0, Address null).
/// </summary>
public sealed record VirtualServer(
    string Name,
    AddressFamily Family,
    ServiceProtocol Protocol,
    IPAddress? Address,
    int Port,
    uint FirewallMark,
    Scheduler Scheduler,
    SchedulerFlags SchedulerFlags,
    TimeSpan PersistenceTimeout,
    int? PersistencePrefixLength,
    bool OnePacket,
    int Quorum,
    int Hysteresis,
    string? QuorumUp,
    string? QuorumDown,
    SorryServer? SorryServer,
    bool Alpha,
    bool Omega,
    ValueList<RealServer> RealServers)
{
    public bool IsFirewallMark => FirewallMark != 0;
    public bool IsPersistent => PersistenceTimeout > TimeSpan.Zero;

    /// <summary>As ipvsadm -Ln shows the service: <c>TCP  192.0.2.10:80</c>, <c>FWM  1</c>.</summary>
    public string Endpoint => IsFirewallMark
        ? $"FWM {FirewallMark}"
        : $"{Protocol.Name()} {(Family == AddressFamily.InterNetworkV6 ? $"[{Address}]" : Address)}:{Port}";
}

/// <summary><c>[ipvs]</c>: the global connection timeouts (<c>ipvsadm --set tcp tcpfin udp</c>).</summary>
public sealed record IpvsTimeouts(TimeSpan Tcp, TimeSpan TcpFin, TimeSpan Udp);

/// <summary>
/// <c>[sync]</c>: IPVS connection synchronisation. Null values are not set by the user; the sync
/// subsystem derives them (from the IPVS timeouts, the VRRP instance) and shows what it chose.
/// </summary>
public sealed record ConnectionSync(
    bool Enabled,
    string Interface,
    int? SyncId,
    int? MaxLength,
    IPAddress? MulticastGroup,
    int? MulticastPort,
    int? MulticastTtl,
    int? Threshold,
    int? Period,
    TimeSpan? RefreshPeriod,
    int? Retries,
    int? PeerSyncId,
    SyncStopPolicy OnStop,
    int? Version,
    int? PersistMode,
    int? Ports,
    int? SocketSize,
    long? QueueLengthMax,
    TimeSpan? CatchUpMaxWait);

/// <summary>What happens to the kernel's sync daemons when the appliance stops (<c>[sync] on_stop</c>).</summary>
public enum SyncStopPolicy { Keep, Stop }

/// <summary><c>[serial_heartbeat]</c>: the second heartbeat over a null-modem cable.</summary>
public sealed record SerialHeartbeat(bool Enabled, string Device, int Baud, TimeSpan Interval, TimeSpan DeadTime, Secret? Key);

/// <summary><c>[watchdog]</c>: /dev/watchdog, fed only while the daemon's loops are healthy.</summary>
public sealed record WatchdogSettings(bool Enabled, string Device, TimeSpan Timeout, bool NoWayOut);

/// <summary><c>[leds]</c>: LED class device names (/sys/class/leds/NAME) per director state; null = no LED.</summary>
public sealed record FrontPanelLeds(string? Master, string? Backup, string? Fault);

/// <summary><c>[console]</c>: the serial console. No password hash means no login is offered.</summary>
public sealed record ConsoleSettings(bool Enabled, string Device, int Baud, Secret? PasswordHash);

/// <summary>The whole validated configuration.</summary>
public sealed record ApplianceConfig(
    string SourceFile,
    GlobalSettings Global,
    ValueList<VrrpInstance> VrrpInstances,
    ValueList<VirtualServer> VirtualServers,
    IpvsTimeouts IpvsTimeouts,
    ConnectionSync Sync,
    SerialHeartbeat SerialHeartbeat,
    WatchdogSettings Watchdog,
    FrontPanelLeds Leds,
    ConsoleSettings Console)
{
    /// <summary>A multi-line human summary (what check-config and the daemon's start-up log print). Never contains a secret.</summary>
    public string Describe() => ConfigSummary.Describe(this);
}
