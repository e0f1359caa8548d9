using System.Globalization;
using System.Net;

namespace Appliance.Sync;

/// <summary>
/// Everything the sync subsystem needs from the configuration. The config model's [sync]
/// section maps onto <see cref="FromKeys"/> (same key names), the IPVS timeouts come from the
/// [ipvs] section (timeout_tcp, timeout_tcpfin, timeout_udp — ipvsadm --set order).
/// </summary>
public sealed record SyncConfiguration(SyncDaemonSettings Daemons, IpvsTimeouts Timeouts, SyncSysctlOverrides Overrides,
    TimeSpan? CatchUpMaximumWait = null)
{
    /// <summary>Every key <see cref="FromKeys"/> understands, for the config validator and `help`.</summary>
    public static readonly IReadOnlyList<string> Keys =
    [
        "interface", "syncid", "peer_syncid", "sync_maxlen", "mcast_group", "mcast_port", "mcast_ttl", "on_stop",
        "sync_threshold", "sync_period", "sync_refresh_period", "sync_retries", "sync_version", "sync_persist_mode",
        "sync_ports", "sync_sock_size", "sync_qlen_max", "catchup_max_wait",
        "timeout_tcp", "timeout_tcpfin", "timeout_udp",
    ];

    public IReadOnlyList<SysctlSetting> Sysctls => SyncSysctlDerivation.Derive(Timeouts, Overrides);

    public int EffectiveRefreshPeriod => Overrides.SyncRefreshPeriod ?? SyncSysctlDerivation.DerivedRefreshPeriod(Timeouts);

    public CatchUpOptions CatchUp => CatchUpOptions.Derive(Timeouts, EffectiveRefreshPeriod, CatchUpMaximumWait);

    /// <summary>
    /// Builds the configuration from key/value pairs. Unknown keys and bad values are refused
    /// with a message naming the key, the value and the rule.
    /// </summary>
    public static SyncConfiguration FromKeys(IEnumerable<KeyValuePair<string, string>> pairs)
    {
        var d = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var (key, value) in pairs)
        {
            if (!Keys.Contains(key.ToLowerInvariant())) throw new FormatException($"sync setting '{key}': unknown key (known: {string.Join(", ", Keys)})");
            d[key.ToLowerInvariant()] = value.Trim();
        }
        if (!d.TryGetValue("interface", out var ifname) || ifname.Length == 0)
            throw new FormatException("sync setting 'interface': required (the heartbeat NIC the sync daemons use)");
        if (ifname.Length > SyncDaemonConfig.MaxInterfaceLength || ifname.Contains('/') || ifname.Any(char.IsWhiteSpace))
            throw new FormatException($"sync setting 'interface' = '{ifname}': not a Linux interface name (at most 15 characters, no '/' or blanks)");

        var syncId = (byte)Int("syncid", 0, 255, 0);
        var peer = (byte)Int("peer_syncid", 0, 255, syncId);
        IPAddress? group = null;
        if (d.TryGetValue("mcast_group", out var g))
        {
            if (!IPAddress.TryParse(g, out group) || !IsMulticast(group))
                throw new FormatException($"sync setting 'mcast_group' = '{g}': not a multicast address");
        }
        var onStop = d.GetValueOrDefault("on_stop", "keep") switch
        {
            "keep" => StopPolicy.KeepRunning,
            "stop" => StopPolicy.StopDaemons,
            var other => throw new FormatException($"sync setting 'on_stop' = '{other}': expected keep or stop"),
        };
        var daemons = new SyncDaemonSettings(ifname, syncId, peer, (ushort)Int("sync_maxlen", 0, 65535, 0), group,
            (ushort)Int("mcast_port", 0, 65535, 0), (byte)Int("mcast_ttl", 0, 255, 0), onStop);
        var timeouts = new IpvsTimeouts(Int("timeout_tcp", 0, int.MaxValue / 1000, 0), Int("timeout_tcpfin", 0, int.MaxValue / 1000, 0),
            Int("timeout_udp", 0, int.MaxValue / 1000, 0));
        var overrides = new SyncSysctlOverrides
        {
            SyncThreshold = Opt("sync_threshold", 0, int.MaxValue),
            SyncPeriod = Opt("sync_period", 0, int.MaxValue),
            SyncRefreshPeriod = Opt("sync_refresh_period", 0, int.MaxValue / 1000),
            SyncRetries = Opt("sync_retries", 0, 3),
            SyncVersion = Opt("sync_version", 0, 1),
            SyncPersistMode = Opt("sync_persist_mode", 0, 1),
            SyncPorts = Opt("sync_ports", 1, 64),
            SyncSockSize = Opt("sync_sock_size", 0, int.MaxValue),
            SyncQlenMax = d.TryGetValue("sync_qlen_max", out var q)
                ? long.TryParse(q, NumberStyles.None, CultureInfo.InvariantCulture, out var ql) && ql > 0 ? ql
                    : throw new FormatException($"sync setting 'sync_qlen_max' = '{q}': expected a positive integer")
                : null,
        };
        var maxWait = Opt("catchup_max_wait", 0, int.MaxValue / 1000);
        var config = new SyncConfiguration(daemons, timeouts, overrides, maxWait is { } w ? TimeSpan.FromSeconds(w) : null);
        try { _ = config.Sysctls; }
        catch (ArgumentException e) { throw new FormatException($"sync settings: {e.Message}", e); }
        return config;

        int Int(string key, int min, int max, int fallback) => Opt(key, min, max) ?? fallback;
        int? Opt(string key, int min, int max)
        {
            if (!d.TryGetValue(key, out var text)) return null;
            if (!int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var v) || v < min || v > max)
                throw new FormatException($"sync setting '{key}' = '{text}': expected an integer from {min} to {max}");
            return v;
        }
    }

    /// <summary>
    /// From the validated configuration model ([sync] and [ipvs]); null when sync is disabled.
    /// Unset syncid = the first VRRP instance's virtual_router_id (keepalived's default for
    /// lvs_sync_daemon); unset peer_syncid = syncid.
    /// </summary>
    /// <exception cref="FormatException">A combination the model cannot refuse on its own (no interface).</exception>
    public static SyncConfiguration? FromConfig(Config.ApplianceConfig config)
    {
        var s = config.Sync;
        if (!s.Enabled) return null;
        if (string.IsNullOrEmpty(s.Interface))
            throw new FormatException($"{config.SourceFile}: [sync] interface: none set and no heartbeat interface to default to");
        var syncId = (byte)(s.SyncId ?? (config.VrrpInstances.Count > 0 ? config.VrrpInstances[0].VirtualRouterId : 0));
        var daemons = new SyncDaemonSettings(s.Interface, syncId, (byte)(s.PeerSyncId ?? syncId), (ushort)(s.MaxLength ?? 0),
            s.MulticastGroup, (ushort)(s.MulticastPort ?? 0), (byte)(s.MulticastTtl ?? 0),
            s.OnStop == Config.SyncStopPolicy.Stop ? StopPolicy.StopDaemons : StopPolicy.KeepRunning);
        var t = config.IpvsTimeouts;
        var timeouts = new IpvsTimeouts((int)t.Tcp.TotalSeconds, (int)t.TcpFin.TotalSeconds, (int)t.Udp.TotalSeconds);
        var overrides = new SyncSysctlOverrides
        {
            SyncThreshold = s.Threshold,
            SyncPeriod = s.Period,
            SyncRefreshPeriod = s.RefreshPeriod is { } r ? (int)r.TotalSeconds : null,
            SyncRetries = s.Retries,
            SyncVersion = s.Version,
            SyncPersistMode = s.PersistMode,
            SyncPorts = s.Ports,
            SyncSockSize = s.SocketSize,
            SyncQlenMax = s.QueueLengthMax,
        };
        var result = new SyncConfiguration(daemons, timeouts, overrides, s.CatchUpMaxWait);
        try { _ = result.Sysctls; }
        catch (ArgumentException e) { throw new FormatException($"{config.SourceFile}: [sync]: {e.Message}", e); }
        return result;
    }

    private static bool IsMulticast(IPAddress a) => a.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork
        ? (a.GetAddressBytes()[0] & 0xf0) == 0xe0
        : a.IsIPv6Multicast;
}
