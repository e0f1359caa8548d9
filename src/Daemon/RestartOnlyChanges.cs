using Appliance.Config;

namespace Appliance.Daemon;

/// <summary>
/// What a reload cannot apply while the daemon runs. A SIGHUP applies the virtual servers, health
/// checks, [ipvs] timeouts, [sync], [leds] and log_level; the VRRP instances, the serial heartbeat,
/// the watchdog and the rest of [global] keep the values the daemon started with. An operator
/// coming from keepalived expects a reload to apply a new priority or VIP, so every such change is
/// named (section and keys, never a secret's value) in the log and in <c>appliance status</c>
/// instead of being ignored in silence. Pure.
/// </summary>
public static class RestartOnlyChanges
{
    /// <summary>One entry per section that differs, e.g. "[vrrp_instance VI_1] priority, virtual_ipaddress"; empty when nothing does.</summary>
    public static IReadOnlyList<string> Between(ApplianceConfig running, ApplianceConfig next)
    {
        var changes = new List<string>();
        var g = Keys(
            ("node_name", running.Global.NodeName == next.Global.NodeName),
            ("node_id", running.Global.NodeId == next.Global.NodeId),
            ("public_interface", running.Global.PublicInterface == next.Global.PublicInterface),
            ("heartbeat_interface", running.Global.HeartbeatInterface == next.Global.HeartbeatInterface),
            ("group_failover", running.Global.GroupFailover == next.Global.GroupFailover),
            ("peer_type", running.Global.PeerType == next.Global.PeerType),
            ("peer_public_address", Equals(running.Global.PeerPublicAddress, next.Global.PeerPublicAddress)),
            ("public_address", Equals(running.Global.PublicAddress, next.Global.PublicAddress)));
        if (g.Length > 0) changes.Add($"[global] {g}");
        else if (running.Global with { LogLevel = next.Global.LogLevel } != next.Global) changes.Add("[global] (other settings)");

        foreach (var old in running.VrrpInstances)
        {
            VrrpInstance? now = null;
            foreach (var n in next.VrrpInstances) if (n.Name == old.Name) now = n;
            if (now is null) { changes.Add($"[vrrp_instance {old.Name}] removed"); continue; }
            if (now == old) continue;
            var keys = Keys(
                ("interface", old.Interface == now.Interface),
                ("virtual_router_id", old.VirtualRouterId == now.VirtualRouterId),
                ("priority", old.Priority == now.Priority),
                ("advert_int", old.AdvertInterval == now.AdvertInterval),
                ("version", old.Version == now.Version),
                ("state", old.InitialState == now.InitialState),
                ("preempt", old.Preempt == now.Preempt),
                ("preempt_delay", old.PreemptDelay == now.PreemptDelay),
                ("accept", old.AcceptMode == now.AcceptMode),
                ("virtual_ipaddress", old.Family == now.Family && old.VirtualAddresses.Equals(now.VirtualAddresses)),
                ("track_interface", old.TrackInterfaces.Equals(now.TrackInterfaces)),
                ("unicast_src_ip", Equals(old.UnicastSource, now.UnicastSource)),
                ("unicast_peer", old.UnicastPeers.Equals(now.UnicastPeers)),
                ("notify", old.Notify == now.Notify),
                ("garp", old.Garp == now.Garp),
                ("auth_pass", Equals(old.Authentication, now.Authentication)));
            changes.Add($"[vrrp_instance {old.Name}] {(keys.Length > 0 ? keys : "(other settings)")}");
        }
        foreach (var n in next.VrrpInstances)
        {
            var known = false;
            foreach (var old in running.VrrpInstances) if (old.Name == n.Name) known = true;
            if (!known) changes.Add($"[vrrp_instance {n.Name}] added");
        }

        // Whole sections: the heartbeat key is a secret, so only the section is named.
        if (running.SerialHeartbeat != next.SerialHeartbeat) changes.Add("[serial_heartbeat]");
        if (running.Watchdog != next.Watchdog) changes.Add("[watchdog]");
        return changes;
    }

    private static string Keys(params (string Key, bool Same)[] keys)
    {
        var changed = new List<string>();
        foreach (var (key, same) in keys) if (!same) changed.Add(key);
        // A record differing in none of the keys named here differs in one added since.
        return changed.Count == 0 ? "" : string.Join(", ", changed);
    }
}
