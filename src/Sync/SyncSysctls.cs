namespace Appliance.Sync;

/// <summary>
/// The IPVS protocol timeouts in seconds, as <c>ipvsadm --set TCP TCPFIN UDP</c> sets them
/// (IPVS_CMD_ATTR_TIMEOUT_TCP / _TCP_FIN / _UDP). 0 means "left at the kernel's default".
/// </summary>
public readonly record struct IpvsTimeouts(int Tcp, int TcpFin, int Udp)
{
    // net/netfilter/ipvs/ip_vs_proto_tcp.c tcp_timeouts[ESTABLISHED], [FIN_WAIT]; ip_vs_proto_udp.c udp_timeouts[NORMAL].
    public const int KernelTcp = 900, KernelTcpFin = 120, KernelUdp = 300;

    public static IpvsTimeouts KernelDefaults => new(KernelTcp, KernelTcpFin, KernelUdp);

    /// <summary>The values the kernel actually uses (0 replaced by the kernel's default).</summary>
    public IpvsTimeouts Effective => new(Tcp > 0 ? Tcp : KernelTcp, TcpFin > 0 ? TcpFin : KernelTcpFin, Udp > 0 ? Udp : KernelUdp);

    public override string ToString() => $"tcp {Tcp} s, tcpfin {TcpFin} s, udp {Udp} s";
}

/// <summary>Where an effective sysctl value came from, shown by the status verb.</summary>
public enum SysctlSource
{
    /// <summary>Derived by the appliance from the IPVS timeouts (docs/sync.md, "Derivation").</summary>
    Derived,
    /// <summary>Set explicitly in the INI's [sync] section.</summary>
    Override,
    /// <summary>Not touched: the kernel's own default stays.</summary>
    KernelDefault,
}

/// <summary>One /proc/sys/net/ipv4/vs/NAME value the appliance wants, and why.</summary>
public sealed record SysctlSetting(string Name, string Value, SysctlSource Source, string Why);

/// <summary>
/// Operator overrides from the INI's [sync] section; null = let the appliance derive (or leave
/// the kernel default where the appliance has no opinion).
/// </summary>
public sealed record SyncSysctlOverrides
{
    public int? SyncThreshold { get; init; }
    public int? SyncPeriod { get; init; }
    public int? SyncRefreshPeriod { get; init; }
    public int? SyncRetries { get; init; }
    public int? SyncVersion { get; init; }
    public int? SyncPersistMode { get; init; }
    public int? SyncPorts { get; init; }
    public int? SyncSockSize { get; init; }
    public long? SyncQlenMax { get; init; }

    public static SyncSysctlOverrides None { get; } = new();
}

/// <summary>
/// Derives the sync sysctls from the IPVS timeouts so that an established connection that
/// carries at least one client packet per refresh window is re-sent to the backup well before
/// the backup's copy can expire. The kernel facts this rests on (ip_vs_sync.c
/// ip_vs_sync_conn_needed, ip_vs_proc_conn) are laid out in docs/sync.md.
/// </summary>
public static class SyncSysctlDerivation
{
    /// <summary>
    /// sync_refresh_period = this fraction of the smallest relevant timeout. A backup copy is at
    /// most refresh + keepalive + flush old when it is refreshed (a sync goes out on the first
    /// client packet after the refresh period, and the master thread may hold it for 2 s plus
    /// its 1 s wake-up): with 1/4 a connection survives if it sends something at least every
    /// 3/4 of the timeout minus 3 s, and a keepalive equal to the refresh period no longer
    /// doubles the interval the way it did with refresh 10 against a 10 s keepalive.
    /// </summary>
    public const int RefreshDivisor = 4;

    /// <summary>IPVS_SYNC_FLUSH_TIME (2 s) + IPVS_SYNC_CHECK_PERIOD (1 s), include/net/ip_vs.h.</summary>
    public const int MasterFlushDelaySeconds = 3;

    /// <summary>Kernel defaults (include/net/ip_vs.h DEFAULT_SYNC_*; ip_vs_ctl.c).</summary>
    public const int KernelThreshold = 3, KernelPeriod = 50, KernelRefresh = 0, KernelRetries = 0, KernelVersion = 1,
        KernelPersistMode = 0, KernelPorts = 1, KernelSockSize = 0;

    /// <summary>The sysctl names, exactly as under /proc/sys/net/ipv4/vs/.</summary>
    public const string Threshold = "sync_threshold", RefreshPeriod = "sync_refresh_period", Retries = "sync_retries",
        Version = "sync_version", PersistMode = "sync_persist_mode", Ports = "sync_ports", SockSize = "sync_sock_size",
        QlenMax = "sync_qlen_max", BackupOnly = "backup_only";

    /// <summary>The timeout the refresh period is derived from: the smallest timeout of a state a long-lived flow idles in.</summary>
    /// <remarks>
    /// TCP ESTABLISHED and UDP only. tcpfin (FIN_WAIT) is left out on purpose: entering FIN_WAIT
    /// forces a sync (a state change other than to ESTABLISHED skips every rate limit), the
    /// kernel caps each connection's refresh at half its own timeout anyway, and a short tcpfin
    /// (ipvsadm --set 30 10 30) would otherwise force every established connection to resync
    /// every 2 s.
    /// </remarks>
    public static int RelevantTimeout(IpvsTimeouts timeouts)
    {
        var t = timeouts.Effective;
        return Math.Min(t.Tcp, t.Udp);
    }

    /// <summary>The derived refresh period in whole seconds (the sysctl is an integer of seconds).</summary>
    public static int DerivedRefreshPeriod(IpvsTimeouts timeouts) => Math.Max(1, RelevantTimeout(timeouts) / RefreshDivisor);

    /// <summary>
    /// How long after the last client packet the backup's copy may already be gone, for a flow
    /// sending a client packet every <paramref name="keepaliveSeconds"/>: positive = margin left.
    /// Mirrors ip_vs_sync_conn_needed: the effective refresh is min(refresh, max(timeout/2, 10 s)).
    /// </summary>
    public static int WorstCaseMargin(int timeoutSeconds, int refreshPeriodSeconds, int keepaliveSeconds)
    {
        var effective = refreshPeriodSeconds <= 0 ? int.MaxValue / 4 : Math.Min(refreshPeriodSeconds, Math.Max(timeoutSeconds / 2, 10));
        return timeoutSeconds - (effective + keepaliveSeconds + MasterFlushDelaySeconds);
    }

    /// <summary>The sysctls to write, in the order they should be written.</summary>
    /// <exception cref="ArgumentException">An override the kernel would refuse (or silently ignore).</exception>
    public static IReadOnlyList<SysctlSetting> Derive(IpvsTimeouts timeouts, SyncSysctlOverrides overrides)
    {
        var list = new List<SysctlSetting>();
        var relevant = RelevantTimeout(timeouts);

        var threshold = overrides.SyncThreshold ?? KernelThreshold;
        var period = overrides.SyncPeriod ?? 0;
        // proc_do_sync_threshold refuses negative values and threshold >= period unless period is 0
        // (older kernels restore the old value silently instead of failing).
        if (threshold < 0 || period < 0 || (period != 0 && threshold >= period))
            throw new ArgumentException($"sync_threshold {threshold} {period}: the kernel requires 0 <= threshold < period, or period 0");
        list.Add(new SysctlSetting(Threshold, $"{threshold} {period}",
            overrides.SyncThreshold is null && overrides.SyncPeriod is null ? SysctlSource.Derived : SysctlSource.Override,
            period == 0
                ? "period 0: with a refresh period set, a connection is re-sent on the first client packet after the refresh period, whatever its packet count"
                : $"period {period}: a connection is re-sent only when its client packet count modulo {period} equals {threshold} — idle connections are not refreshed"));

        var refresh = overrides.SyncRefreshPeriod ?? DerivedRefreshPeriod(timeouts);
        if (refresh < 0) throw new ArgumentException($"sync_refresh_period {refresh}: must be 0 or more seconds");
        list.Add(new SysctlSetting(RefreshPeriod, refresh.ToString(System.Globalization.CultureInfo.InvariantCulture),
            overrides.SyncRefreshPeriod is null ? SysctlSource.Derived : SysctlSource.Override,
            refresh == 0
                ? "0: no periodic refresh; an entry is synced again only by the sync_threshold rule"
                : $"1/{RefreshDivisor} of the smallest of the tcp and udp timeouts ({relevant} s): the backup copy is at most refresh + keepalive + {MasterFlushDelaySeconds} s old"));

        var retries = overrides.SyncRetries ?? 1;
        if (retries is < 0 or > 3) throw new ArgumentException($"sync_retries {retries}: the kernel accepts 0 to 3");
        list.Add(new SysctlSetting(Retries, retries.ToString(System.Globalization.CultureInfo.InvariantCulture),
            overrides.SyncRetries is null ? SysctlSource.Derived : SysctlSource.Override,
            "re-send a refreshed entry on a later client packet, at least refresh/8 apart, to cover one lost datagram (sync has no acknowledgement)"));

        var version = overrides.SyncVersion ?? KernelVersion;
        if (version is not (0 or 1)) throw new ArgumentException($"sync_version {version}: the kernel accepts 0 or 1");
        list.Add(new SysctlSetting(Version, version.ToString(System.Globalization.CultureInfo.InvariantCulture),
            overrides.SyncVersion is null ? SysctlSource.Derived : SysctlSource.Override,
            version == 1
                ? "protocol v1 carries the master's timeout, fwmark, IPv6 and persistence data"
                : "protocol v0: no timeout in the message, the backup uses its own timeout table; IPv4 only"));

        var persist = overrides.SyncPersistMode ?? KernelPersistMode;
        if (persist is not (0 or 1)) throw new ArgumentException($"sync_persist_mode {persist}: the kernel accepts 0 or 1");
        list.Add(new SysctlSetting(PersistMode, persist.ToString(System.Globalization.CultureInfo.InvariantCulture),
            overrides.SyncPersistMode is null ? SysctlSource.Derived : SysctlSource.Override,
            persist == 0
                ? "every connection is synced, also those of persistent services"
                : "only persistence templates of persistent services are synced: their connections die at failover unless sloppy_tcp is on"));

        // sync_ports, sync_sock_size and sync_qlen_max have no bearing on which connections
        // survive; the kernel's values stay unless the operator sets them.
        if (overrides.SyncPorts is { } ports)
        {
            if (ports < 1 || ports > 64 || (ports & (ports - 1)) != 0)
                throw new ArgumentException($"sync_ports {ports}: the kernel accepts a power of two from 1 to 64");
            list.Add(new SysctlSetting(Ports, ports.ToString(System.Globalization.CultureInfo.InvariantCulture), SysctlSource.Override,
                "threads per daemon; takes effect only when no sync daemon runs (read at the first daemon start)"));
        }
        if (overrides.SyncSockSize is { } sock)
        {
            if (sock < 0) throw new ArgumentException($"sync_sock_size {sock}: must be 0 or more bytes");
            list.Add(new SysctlSetting(SockSize, sock.ToString(System.Globalization.CultureInfo.InvariantCulture), SysctlSource.Override,
                "SO_SNDBUF of the master / SO_RCVBUF of the backup socket; applied when a daemon starts"));
        }
        if (overrides.SyncQlenMax is { } qlen)
        {
            if (qlen < 1) throw new ArgumentException($"sync_qlen_max {qlen}: must be at least 1");
            list.Add(new SysctlSetting(QlenMax, qlen.ToString(System.Globalization.CultureInfo.InvariantCulture), SysctlSource.Override,
                "sync messages queued but not yet sent; beyond it new messages are dropped"));
        }

        // Both daemons run on both nodes (docs/sync.md): with backup_only set, a node running a
        // backup daemon would stop forwarding (sysctl_backup_only() in ip_vs_core.c).
        list.Add(new SysctlSetting(BackupOnly, "0", SysctlSource.Derived,
            "the backup daemon runs on the master too; backup_only=1 would switch its director function off"));
        return list;
    }
}
