using System.Collections.Immutable;

namespace Appliance.Config;

/// <summary>
/// Every section type and key the appliance knows, with keepalived's aliases. The loader refuses
/// anything else, suggesting the closest known name. docs/configuration.md documents each key;
/// a test checks that every key here appears there.
/// </summary>
internal static class Schema
{
    public const string Global = "global";
    public const string VrrpInstance = "vrrp_instance";
    public const string VirtualServer = "virtual_server";
    public const string RealServer = "real_server";
    public const string Ipvs = "ipvs";
    public const string Sync = "sync";
    public const string SerialHeartbeat = "serial_heartbeat";
    public const string Watchdog = "watchdog";
    public const string Leds = "leds";
    public const string Console = "console";

    /// <summary>Section types whose header carries a name: <c>[vrrp_instance VI_1]</c>.</summary>
    public static readonly ImmutableArray<string> NamedTypes = [VrrpInstance, VirtualServer, RealServer];

    public static readonly ImmutableArray<string> AllTypes = [Global, VrrpInstance, VirtualServer, RealServer, Ipvs, Sync, SerialHeartbeat, Watchdog, Leds, Console];

    /// <summary>Health-check keys: valid in [real_server], and in [virtual_server] as defaults for its real servers.</summary>
    public static readonly ImmutableArray<string> CheckKeys =
    [
        "check", "delay_loop", "connect_timeout", "retry", "delay_before_retry", "warmup", "rise", "fall",
        "connect_ip", "connect_port", "url_path", "status_code", "virtualhost", "digest", "body_contains",
        "tls_verify", "misc_path", "misc_timeout", "misc_dynamic", "dns_name", "dns_type",
    ];

    /// <summary>keepalived spellings accepted for the appliance's canonical key.</summary>
    public static readonly ImmutableArray<(string Alias, string Key)> Aliases =
    [
        ("nb_get_retry", "retry"),
        ("lvs_sched", "lb_algo"),
        ("lvs_method", "lb_kind"),
    ];

    public static ImmutableArray<string> KeysOf(string type) => type switch
    {
        Global => ["node_name", "node_id", "public_interface", "heartbeat_interface", "log_level", "group_failover", "peer_type", "peer_public_address", "public_address"],
        VrrpInstance =>
        [
            "state", "interface", "virtual_router_id", "priority", "advert_int", "version", "preempt", "preempt_delay",
            "accept", "virtual_ipaddress", "track_interface", "unicast_src_ip", "unicast_peer",
            "notify_master", "notify_backup", "notify_fault", "notify_stop", "notify",
            "garp_master_delay", "garp_master_repeat", "garp_master_refresh", "garp_master_refresh_repeat",
            "auth_type", "auth_pass",
        ],
        VirtualServer =>
        [
            "address", "port", "protocol", "fwmark", "ip_family", "lb_algo", "sched_flags", "lb_kind",
            "tun_type", "tun_port", "tun_flags", "persistence_timeout", "persistence_granularity", "ops",
            "quorum", "hysteresis", "quorum_up", "quorum_down", "sorry_server", "sorry_server_inhibit", "alpha", "omega",
            .. CheckKeys,
        ],
        RealServer => ["virtual_server", "address", "port", "weight", "uthreshold", "lthreshold", "inhibit_on_failure", "notify_up", "notify_down", .. CheckKeys],
        Ipvs => ["timeout_tcp", "timeout_tcpfin", "timeout_udp"],
        Sync =>
        [
            "enabled", "interface", "syncid", "sync_maxlen", "mcast_group", "mcast_port", "mcast_ttl",
            "sync_threshold", "sync_period", "sync_refresh_period", "sync_retries", "peer_syncid", "on_stop",
            "sync_version", "sync_persist_mode", "sync_ports", "sync_sock_size", "sync_qlen_max", "catchup_max_wait",
        ],
        SerialHeartbeat => ["enabled", "device", "baud", "interval", "dead_time", "key"],
        Watchdog => ["enabled", "device", "timeout", "nowayout"],
        Leds => ["master", "backup", "fault"],
        Console => ["enabled", "device", "baud", "password_hash"],
        _ => [],
    };

    /// <summary>Keys whose values are secrets: never echoed in an error or a summary.</summary>
    public static bool IsSecret(string key) => key is "key" or "auth_pass" or "password_hash";

    public static string? Canonical(string key)
    {
        foreach (var (alias, canonical) in Aliases)
            if (alias == key) return canonical;
        return null;
    }
}

/// <summary>"Did you mean" suggestions by edit distance.</summary>
internal static class Suggest
{
    /// <summary>The closest candidate, if it is close enough to be a likely typo.</summary>
    public static string? Closest(string word, IEnumerable<string> candidates)
    {
        string? best = null;
        var bestDistance = int.MaxValue;
        foreach (var candidate in candidates)
        {
            var d = Distance(word, candidate);
            if (d < bestDistance) { best = candidate; bestDistance = d; }
        }
        // A third of the word's length, at least 2: "priorty" -> "priority", but "foo" -> nothing.
        if (bestDistance <= Math.Max(2, word.Length / 3)) return best;
        // A longer or shorter spelling of a known name: "lb_algorithm" -> "lb_algo".
        return candidates.Where(c => c.Length >= 4 && word.Length >= 4 && (word.StartsWith(c, StringComparison.Ordinal) || c.StartsWith(word, StringComparison.Ordinal)))
            .OrderBy(c => Math.Abs(c.Length - word.Length)).FirstOrDefault();
    }

    /// <summary>Optimal string alignment distance: insertions, deletions, substitutions and adjacent transpositions.</summary>
    public static int Distance(string a, string b)
    {
        var d = new int[a.Length + 1, b.Length + 1];
        for (var i = 0; i <= a.Length; i++) d[i, 0] = i;
        for (var j = 0; j <= b.Length; j++) d[0, j] = j;
        for (var i = 1; i <= a.Length; i++)
        for (var j = 1; j <= b.Length; j++)
        {
            var cost = a[i - 1] == b[j - 1] ? 0 : 1;
            d[i, j] = Math.Min(Math.Min(d[i - 1, j] + 1, d[i, j - 1] + 1), d[i - 1, j - 1] + cost);
            if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1])
                d[i, j] = Math.Min(d[i, j], d[i - 2, j - 2] + 1);
        }
        return d[a.Length, b.Length];
    }
}
