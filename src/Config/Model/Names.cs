using Appliance.Logging;

namespace Appliance.Config;

/// <summary>
/// The names the configuration file, ipvsadm and the kernel use for the model's enums, written
/// out rather than taken from Enum.ToString (no reflection metadata at start-up).
/// </summary>
public static class ConfigNames
{
    /// <summary>The scheduler module's name as IPVS_SVC_ATTR_SCHED_NAME carries it (ip_vs_NAME.ko).</summary>
    public static string KernelName(this Scheduler s) => s switch
    {
        Scheduler.Rr => "rr",
        Scheduler.Wrr => "wrr",
        Scheduler.Lc => "lc",
        Scheduler.Wlc => "wlc",
        Scheduler.Lblc => "lblc",
        Scheduler.Lblcr => "lblcr",
        Scheduler.Dh => "dh",
        Scheduler.Sh => "sh",
        Scheduler.Sed => "sed",
        Scheduler.Nq => "nq",
        Scheduler.Fo => "fo",
        Scheduler.Ovf => "ovf",
        Scheduler.Mh => "mh",
        Scheduler.Twos => "twos",
        _ => throw new ArgumentOutOfRangeException(nameof(s)),
    };

    /// <summary>As ipvsadm -Ln prints it: TCP, UDP, SCTP.</summary>
    public static string Name(this ServiceProtocol p) => p switch
    {
        ServiceProtocol.Tcp => "TCP",
        ServiceProtocol.Udp => "UDP",
        ServiceProtocol.Sctp => "SCTP",
        _ => throw new ArgumentOutOfRangeException(nameof(p)),
    };

    /// <summary>keepalived's lb_kind spelling: NAT, DR, TUN.</summary>
    public static string Name(this ForwardingMethod m) => m switch
    {
        ForwardingMethod.Nat => "NAT",
        ForwardingMethod.DirectRouting => "DR",
        ForwardingMethod.Tunnel => "TUN",
        _ => throw new ArgumentOutOfRangeException(nameof(m)),
    };

    public static string Name(this TunnelType t) => t switch
    {
        TunnelType.Ipip => "ipip",
        TunnelType.Gue => "gue",
        TunnelType.Gre => "gre",
        _ => throw new ArgumentOutOfRangeException(nameof(t)),
    };

    public static string Name(this VrrpInitialState s) => s == VrrpInitialState.Master ? "MASTER" : "BACKUP";

    public static string Name(this LogLevel l) => l switch
    {
        LogLevel.Error => "error",
        LogLevel.Warning => "warning",
        LogLevel.Notice => "notice",
        LogLevel.Info => "info",
        LogLevel.Debug => "debug",
        _ => throw new ArgumentOutOfRangeException(nameof(l)),
    };

    /// <summary>keepalived's checker block name, or none.</summary>
    public static string Name(this HealthCheckKind k) => k switch
    {
        HealthCheckKind.None => "none",
        HealthCheckKind.TcpCheck => "TCP_CHECK",
        HealthCheckKind.HttpGet => "HTTP_GET",
        HealthCheckKind.SslGet => "SSL_GET",
        HealthCheckKind.MiscCheck => "MISC_CHECK",
        HealthCheckKind.DnsCheck => "DNS_CHECK",
        _ => throw new ArgumentOutOfRangeException(nameof(k)),
    };
}
