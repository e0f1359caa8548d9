using System.Net.Sockets;
using System.Text;

namespace Appliance.Config;

/// <summary>
/// The human summary printed by check-config and logged at start-up. Secrets appear only as
/// "set" or "not set": the model's <see cref="Secret"/> cannot print them, and this code never asks.
/// </summary>
internal static class ConfigSummary
{
    public static string Describe(ApplianceConfig c)
    {
        var sb = new StringBuilder();
        var g = c.Global;
        sb.Append($"configuration {c.SourceFile}\n");
        sb.Append($"node {g.NodeName} (id {g.NodeId}): public {g.PublicInterface}, heartbeat {g.HeartbeatInterface}, log level {g.LogLevel.Name()}");
        sb.Append(g.GroupFailover ? ", instances fail over together" : ", instances fail over independently");
        sb.Append(g.PeerIsAppliance ? ", peer is an appliance" : ", peer is keepalived");
        sb.Append(g.PeerPublicAddress is { } peer ? $" (public address {peer})\n" : "\n");

        foreach (var vi in c.VrrpInstances)
        {
            sb.Append($"vrrp_instance {vi.Name}: VRRPv{vi.Version} {Values.FamilyName(vi.Family)}, vrid {vi.VirtualRouterId} on {vi.Interface}, priority {vi.Priority}{(vi.IsAddressOwner ? " (address owner)" : "")}, advert {Values.Format(vi.AdvertInterval)}");
            sb.Append(vi.Preempt ? $", preempt{(vi.PreemptDelay > TimeSpan.Zero ? $" after {Values.Format(vi.PreemptDelay)}" : "")}" : ", nopreempt");
            sb.Append($", {(vi.AcceptMode ? "accept" : "no accept")}, starts {vi.InitialState.Name()}\n");
            sb.Append($"  virtual addresses: {string.Join(", ", vi.VirtualAddresses)}\n");
            if (vi.TrackInterfaces.Count > 0) sb.Append($"  track interfaces: {string.Join(", ", vi.TrackInterfaces)}\n");
            if (vi.UnicastPeers.Count > 0)
                sb.Append($"  unicast peers: {string.Join(", ", vi.UnicastPeers)}{(vi.UnicastSource is null ? "" : $" from {vi.UnicastSource}")}\n");
            sb.Append($"  gratuitous ARP/NA: {vi.Garp.MasterRepeat} on becoming master{(vi.Garp.MasterDelay > TimeSpan.Zero ? $", {vi.Garp.MasterRepeat} more after {Values.Format(vi.Garp.MasterDelay)}" : "")}");
            sb.Append(vi.Garp.MasterRefresh > TimeSpan.Zero ? $", refresh every {Values.Format(vi.Garp.MasterRefresh)} x{vi.Garp.MasterRefreshRepeat}\n" : "\n");
            var n = vi.Notify;
            foreach (var (name, cmd) in new[] { ("master", n.Master), ("backup", n.Backup), ("fault", n.Fault), ("stop", n.Stop), ("any", n.Any) })
                if (cmd is not null) sb.Append($"  notify {name}: {cmd}\n");
            if (vi.Authentication is not null) sb.Append("  authentication: PASS (password set)\n");
        }

        foreach (var vs in c.VirtualServers)
        {
            sb.Append($"virtual_server {vs.Name}: {vs.Endpoint}{(vs.IsFirewallMark ? $" ({Values.FamilyName(vs.Family)})" : "")}, {vs.Scheduler.KernelName()}");
            if (vs.SchedulerFlags != SchedulerFlags.None) sb.Append($" [{FlagNames(vs.SchedulerFlags)}]");
            var first = vs.RealServers.Count > 0 ? vs.RealServers[0] : null;
            if (first is not null) sb.Append($", {Forwarding(first)}");
            if (vs.IsPersistent)
                sb.Append($", persistent {Values.Format(vs.PersistenceTimeout)}{(vs.PersistencePrefixLength is { } p ? $" per /{p}" : "")}");
            if (vs.OnePacket) sb.Append(", one-packet");
            sb.Append($", quorum {vs.Quorum}");
            if (vs.Hysteresis > 0) sb.Append($" (hysteresis {vs.Hysteresis})");
            if (vs.Alpha) sb.Append(", alpha");
            if (vs.Omega) sb.Append(", omega");
            sb.Append('\n');
            if (vs.SorryServer is { } sorry)
                sb.Append($"  sorry server: {sorry.Address}:{sorry.Port}{(sorry.Inhibit ? " (inhibit)" : "")}\n");
            if (vs.RealServers.Count == 0) sb.Append("  no real servers\n");
            foreach (var rs in vs.RealServers)
            {
                sb.Append($"  real_server {rs.Name}: {rs} weight {rs.Weight}");
                if (rs.UpperThreshold > 0 || rs.LowerThreshold > 0) sb.Append($", thresholds {rs.LowerThreshold}-{rs.UpperThreshold}");
                if (rs.InhibitOnFailure) sb.Append(", inhibit on failure");
                sb.Append($", {Check(rs.Check)}\n");
                if (rs.NotifyUp is not null) sb.Append($"    notify up: {rs.NotifyUp}\n");
                if (rs.NotifyDown is not null) sb.Append($"    notify down: {rs.NotifyDown}\n");
            }
        }

        var t = c.IpvsTimeouts;
        sb.Append($"ipvs timeouts: tcp {Values.Format(t.Tcp)}, tcpfin {Values.Format(t.TcpFin)}, udp {Values.Format(t.Udp)}\n");

        var s = c.Sync;
        if (!s.Enabled) sb.Append("connection sync: off\n");
        else
        {
            var set = new List<string>();
            if (s.SyncId is { } id) set.Add($"syncid {id}");
            if (s.MulticastGroup is { } grp) set.Add($"group {grp}");
            if (s.MulticastPort is { } port) set.Add($"port {port}");
            if (s.MulticastTtl is { } ttl) set.Add($"ttl {ttl}");
            if (s.MaxLength is { } len) set.Add($"maxlen {len}");
            if (s.Threshold is { } th) set.Add($"threshold {th}");
            if (s.Period is { } per) set.Add($"period {per}");
            if (s.RefreshPeriod is { } r) set.Add($"refresh {Values.Format(r)}");
            if (s.Retries is { } re) set.Add($"retries {re}");
            if (s.PeerSyncId is { } psid) set.Add($"peer syncid {psid}");
            if (s.Version is { } ver) set.Add($"version {ver}");
            if (s.PersistMode is { } pm) set.Add($"persist mode {pm}");
            if (s.Ports is { } ports) set.Add($"ports {ports}");
            if (s.SocketSize is { } ss) set.Add($"socket size {ss}");
            if (s.QueueLengthMax is { } ql) set.Add($"queue max {ql}");
            if (s.CatchUpMaxWait is { } cw) set.Add($"catch-up wait up to {Values.Format(cw)}");
            set.Add(s.OnStop == SyncStopPolicy.Keep ? "daemons kept on stop" : "daemons stopped on stop");
            sb.Append($"connection sync: on {s.Interface}, {string.Join(", ", set)}; other settings derived at start\n");
        }

        var h = c.SerialHeartbeat;
        sb.Append(h.Enabled
            ? $"serial heartbeat: {h.Device} {h.Baud} baud, interval {Values.Format(h.Interval)}, dead time {Values.Format(h.DeadTime)}, key {(h.Key is null ? "not set" : "set")}\n"
            : "serial heartbeat: off\n");
        var w = c.Watchdog;
        sb.Append(w.Enabled ? $"watchdog: {w.Device}, timeout {Values.Format(w.Timeout)}{(w.NoWayOut ? ", nowayout" : "")}\n" : "watchdog: off\n");
        var l = c.Leds;
        sb.Append($"leds: master {l.Master ?? "none"}, backup {l.Backup ?? "none"}, fault {l.Fault ?? "none"}\n");
        var con = c.Console;
        sb.Append(con.Enabled
            ? $"console: {con.Device} {con.Baud} baud, {(con.PasswordHash is null ? "no login (no password_hash)" : "login with password (hash set)")}\n"
            : "console: off\n");
        return sb.ToString();
    }

    private static string Opt(int? v) => v?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "derived";

    private static string FlagNames(SchedulerFlags f)
    {
        var names = new List<string>(4);
        if (f.HasFlag(SchedulerFlags.ShFallback)) names.Add("sh-fallback");
        if (f.HasFlag(SchedulerFlags.ShPort)) names.Add("sh-port");
        if (f.HasFlag(SchedulerFlags.MhFallback)) names.Add("mh-fallback");
        if (f.HasFlag(SchedulerFlags.MhPort)) names.Add("mh-port");
        return string.Join(",", names);
    }

    private static string Forwarding(RealServer rs) => rs.Forwarding switch
    {
        ForwardingMethod.Nat or ForwardingMethod.DirectRouting => rs.Forwarding.Name(),
        _ => $"TUN {rs.Tunnel!.Type.Name()}{(rs.Tunnel.Type == TunnelType.Gue ? $" port {rs.Tunnel.Port}" : "")}",
    };

    private static string Check(HealthCheck h)
    {
        var what = h.Kind switch
        {
            HealthCheckKind.None => "no health check",
            HealthCheckKind.TcpCheck => "TCP_CHECK",
            HealthCheckKind.HttpGet or HealthCheckKind.SslGet =>
                $"{h.Kind.Name()} {h.UrlPath} expecting {string.Join(",", h.StatusCodes)}" +
                (h.VirtualHost is null ? "" : $" host {h.VirtualHost}") + (h.Digest is null ? "" : " digest") + (h.BodyContains is null ? "" : " body match") +
                (h.Kind == HealthCheckKind.SslGet ? (h.TlsVerify ? " (certificate verified)" : " (certificate not verified)") : ""),
            HealthCheckKind.MiscCheck => $"MISC_CHECK {h.MiscPath} (timeout {Values.Format(h.MiscTimeout)}{(h.MiscDynamic ? ", dynamic weight" : "")})",
            _ => $"DNS_CHECK {h.DnsType} {h.DnsName}",
        };
        if (h.Kind == HealthCheckKind.None) return what;
        var port = h.ConnectPort is { } p ? $" on port {p}" : "";
        var ip = h.ConnectIp is { } a ? $" at {a}" : "";
        return $"{what}{ip}{port} every {Values.Format(h.DelayLoop)}" +
            (h.Kind != HealthCheckKind.MiscCheck ? $", timeout {Values.Format(h.ConnectTimeout)}" : "") +
            $", retry {h.Retry} after {Values.Format(h.DelayBeforeRetry)}, rise {h.Rise} fall {h.Fall}" +
            (h.Warmup > TimeSpan.Zero ? $", warmup {Values.Format(h.Warmup)}" : "");
    }
}
