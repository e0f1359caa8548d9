using System.Collections.Immutable;
using System.Net;
using System.Net.Sockets;
using Appliance.Config.Ini;
using Appliance.Logging;
using Microsoft.Extensions.Configuration;

namespace Appliance.Config;

/// <summary>
/// Turns configuration keys (from <see cref="ApplianceIniConfigurationProvider"/>) into the typed
/// model, checking every value and every relation between sections. It does not stop at the
/// first problem: each bad value is recorded with its file and line, a default stands in for it,
/// and checking goes on, so one run of check-config lists everything to fix.
/// The stock binder is not used for this: it throws at the first bad value and knows no lines.
/// </summary>
internal sealed class ConfigModelBuilder
{
    private readonly IConfigurationRoot _root;
    private readonly string _file;
    private readonly List<ConfigError> _errors = [];
    /// <summary>Some virtual_ipaddress item was bad: "service address is not a VIP" would only echo that error.</summary>
    private bool _vipsIncomplete;

    /// <summary>One section as read back from configuration, keys already mapped from keepalived aliases.</summary>
    private sealed class Sec(string type, string? name, int line)
    {
        public string Type { get; } = type;
        public string? Name { get; } = name;
        public int Line { get; } = line;
        public Dictionary<string, (string Value, int Line)> Values { get; } = new(StringComparer.Ordinal);
        /// <summary>For a real server: its virtual server, whose check keys it inherits.</summary>
        public Sec? Parent { get; set; }
        public string Header => Name is null ? $"[{Type}]" : $"[{Type} {Name}]";
    }

    public ConfigModelBuilder(IConfigurationRoot root, string file)
    {
        _root = root;
        _file = file;
    }

    public IReadOnlyList<ConfigError> Errors => _errors;

    public IReadOnlyList<ConfigError> Warnings => _warnings;

    private readonly List<ConfigError> _warnings = [];

    /// <summary>
    /// The serial key printed in rootfs/etc/appliance/factory.ini, so that the factory default
    /// validates. Every box ships it: check-config warns until it is changed.
    /// </summary>
    internal const string FactorySerialKey = "factory-key-change-me-0123456789";

    private void Error(int line, string message) => _errors.Add(new ConfigError(_file, line, message));

    private int LineOf(string key) => _root.TryGetIniLocation(key, out _, out var line) ? line : 1;

    // ---- reading sections -------------------------------------------------------------------

    private Dictionary<string, List<Sec>> ReadSections()
    {
        var byType = new Dictionary<string, List<Sec>>(StringComparer.Ordinal);
        foreach (var typeSection in _root.GetChildren())
        {
            var type = typeSection.Key.ToLowerInvariant();
            var list = new List<Sec>();
            var named = Schema.NamedTypes.Contains(type);
            if (!Schema.AllTypes.Contains(type))
            {
                var hint = Suggest.Closest(type, Schema.AllTypes);
                var message = $"unknown section type [{typeSection.Key}]" + (hint is null ? $"; known: {string.Join(", ", Schema.AllTypes)}" : $"; did you mean [{hint}]?");
                // One error per header written: [typo a] and [typo b] are two places to fix.
                var lines = new SortedSet<int>();
                if (_root.TryGetIniLocation(typeSection.Path, out _, out var bare)) lines.Add(bare);
                foreach (var child in typeSection.GetChildren())
                    if (child.Value is null && _root.TryGetIniLocation(child.Path, out _, out var at)) lines.Add(at);
                if (lines.Count == 0) lines.Add(FirstLine(typeSection));
                foreach (var line in lines) Error(line, message);
                continue;
            }
            var direct = new Sec(type, null, LineOf(typeSection.Path));
            var headerReported = false;
            var present = _root.TryGetIniLocation(typeSection.Path, out _, out _);
            if (named && present)
            {
                Error(direct.Line, $"[{type}] needs a name, for example [{type} {ExampleName(type)}]");
                headerReported = true;
            }
            foreach (var child in typeSection.GetChildren().OrderBy(c => LineOf(c.Path)))
            {
                if (child.Value is not null)
                {
                    // A key directly under [type]: right for [global], a missing name for [vrrp_instance].
                    if (named)
                    {
                        if (!headerReported) Error(direct.Line, $"[{type}] needs a name, for example [{type} {ExampleName(type)}]");
                        headerReported = true;
                        continue;
                    }
                    AddValue(direct, child.Key.ToLowerInvariant(), child.Value, LineOf(child.Path));
                }
                else
                {
                    var line = LineOf(child.Path);
                    if (!named)
                    {
                        // Report the name, then read the section as if it had none, so its keys are still
                        // checked (unless a proper [type] exists too: that one counts).
                        Error(line, $"[{type} {child.Key}]: [{type}] takes no name; write [{type}]");
                        if (present) continue;
                        present = true;
                        direct = new Sec(type, null, line);
                        foreach (var (entry, at) in InFileOrder(child))
                            AddValue(direct, entry.Key.ToLowerInvariant(), entry.Value!, at);
                        continue;
                    }
                    var sec = new Sec(type, child.Key, line);
                    // Configuration lists keys alphabetically; file order makes "already set at" point backwards.
                    foreach (var (entry, at) in InFileOrder(child))
                        AddValue(sec, entry.Key.ToLowerInvariant(), entry.Value!, at);
                    list.Add(sec);
                }
            }
            if (!named && present) list.Add(direct);
            else if (named && list.Count == 0 && !headerReported) continue;
            list.Sort((a, b) => a.Line.CompareTo(b.Line));
            byType[type] = list;
        }
        return byType;
    }

    private int FirstLine(IConfigurationSection section)
    {
        if (_root.TryGetIniLocation(section.Path, out _, out var line)) return line;
        var min = int.MaxValue;
        foreach (var child in section.GetChildren()) min = Math.Min(min, FirstLine(child));
        return min == int.MaxValue ? 1 : min;
    }

    private static string ExampleName(string type) => type switch
    {
        Schema.VrrpInstance => "VI_1",
        Schema.VirtualServer => "web",
        _ => "web1",
    };

    private void AddValue(Sec sec, string key, string value, int line)
    {
        var known = Schema.KeysOf(sec.Type);
        var canonical = Schema.Canonical(key);
        if (canonical is not null && known.Contains(canonical))
        {
            if (sec.Values.TryGetValue(canonical, out var first))
            {
                Error(line, $"'{key}' is keepalived's name for '{canonical}', which is already set at {_file}:{first.Line}");
                return;
            }
            key = canonical;
        }
        else if (!known.Contains(key))
        {
            Error(line, UnknownKeyMessage(sec, key));
            return;
        }
        if (sec.Values.TryGetValue(key, out var earlier))
        {
            // The parser already refuses a repeated key; this catches "retry" after "nb_get_retry".
            Error(line, $"'{key}' is already set at {_file}:{earlier.Line} (as keepalived's alias)");
            return;
        }
        sec.Values[key] = (value, line);
    }

    private static string UnknownKeyMessage(Sec sec, string key)
    {
        var known = Schema.KeysOf(sec.Type);
        var candidates = new List<string>(known);
        foreach (var a in Schema.Aliases)
            if (known.Contains(a.Key)) candidates.Add(a.Alias);
        var hint = Suggest.Closest(key, candidates);
        if (hint is not null) return $"unknown key '{key}' in {sec.Header}; did you mean '{hint}'?";
        var elsewhere = Schema.AllTypes.Where(t => t != sec.Type && Schema.KeysOf(t).Contains(key)).Select(t => $"[{t}]").ToList();
        if (elsewhere.Count > 0) return $"unknown key '{key}' in {sec.Header}; it belongs in {string.Join(" or ", elsewhere)}";
        return $"unknown key '{key}' in {sec.Header}";
    }

    // ---- typed getters: each records a problem and returns the fallback -------------------------

    private static bool TryGet(Sec s, string key, out string value, out int line)
    {
        if (s.Values.TryGetValue(key, out var v)) { (value, line) = v; return true; }
        if (s.Parent is not null && Schema.CheckKeys.Contains(key) && s.Parent.Values.TryGetValue(key, out v)) { (value, line) = v; return true; }
        value = ""; line = s.Line;
        return false;
    }

    private static bool Has(Sec s, string key) => TryGet(s, key, out _, out _);

    private static int KeyLine(Sec s, string key) => TryGet(s, key, out _, out var line) ? line : s.Line;

    private void Missing(Sec s, string key, string? why = null) =>
        Error(s.Line, $"{s.Header}: missing required key '{key}'" + (why is null ? "" : $" ({why})"));

    /// <summary>The value, or null when absent. An empty value counts as a mistake, not as "unset".</summary>
    private string? Str(Sec s, string key)
    {
        if (!TryGet(s, key, out var value, out var line)) return null;
        if (value.Length == 0)
        {
            Error(line, $"{key}: value is empty; remove the line to use the default, or give a value");
            return null;
        }
        return value;
    }

    private long? OptInt(Sec s, string key, long min, long max)
    {
        var text = Str(s, key);
        if (text is null) return null;
        if (Values.TryInt(text, min, max, out var v, out var problem)) return v;
        Error(KeyLine(s, key), $"{key}: {problem}");
        return null;
    }

    private int Int(Sec s, string key, int min, int max, int fallback) => (int)(OptInt(s, key, min, max) ?? fallback);

    private int RequiredInt(Sec s, string key, int min, int max)
    {
        if (!Has(s, key)) { Missing(s, key, $"{min}-{max}"); return min; }
        return Int(s, key, min, max, min);
    }

    private bool Bool(Sec s, string key, bool fallback)
    {
        var text = Str(s, key);
        if (text is null) return fallback;
        if (Values.TryBool(text, out var v, out var problem)) return v;
        Error(KeyLine(s, key), $"{key}: {problem}");
        return fallback;
    }

    private TimeSpan? OptDuration(Sec s, string key, TimeSpan unit, TimeSpan resolution, TimeSpan min, TimeSpan max)
    {
        var text = Str(s, key);
        if (text is null) return null;
        if (Values.TryDuration(text, unit, resolution, min, max, out var v, out var problem)) return v;
        Error(KeyLine(s, key), $"{key}: {problem}");
        return null;
    }

    private TimeSpan Duration(Sec s, string key, TimeSpan unit, TimeSpan resolution, TimeSpan min, TimeSpan max, TimeSpan fallback) =>
        OptDuration(s, key, unit, resolution, min, max) ?? fallback;

    private static readonly TimeSpan Second = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan Milli = TimeSpan.FromMilliseconds(1);

    private IPAddress? Address(Sec s, string key)
    {
        var text = Str(s, key);
        if (text is null) return null;
        if (Values.TryAddress(text, out var a, out var problem)) return a;
        Error(KeyLine(s, key), $"{key}: {problem}");
        return null;
    }

    private IPAddress? Ipv4Address(Sec s, string key, string why)
    {
        var a = Address(s, key);
        if (a is null || a.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork) return a;
        Error(KeyLine(s, key), $"{key}: {a} is not an IPv4 address ({why})");
        return null;
    }

    private string? Interface(Sec s, string key, string? fallback)
    {
        var text = Str(s, key);
        if (text is null) return fallback;
        if (Values.TryInterfaceName(text, out var problem)) return text;
        Error(KeyLine(s, key), $"{key}: {problem}");
        return fallback;
    }

    private T Choice<T>(Sec s, string key, ImmutableArray<(string Name, T Value)> choices, T fallback)
    {
        var text = Str(s, key);
        if (text is null) return fallback;
        foreach (var (name, value) in choices)
            if (string.Equals(name, text, StringComparison.OrdinalIgnoreCase)) return value;
        var names = new string[choices.Length];
        for (int i = 0; i < names.Length; i++) names[i] = choices[i].Name;
        var hint = Suggest.Closest(text, names);
        Error(KeyLine(s, key), $"{key}: '{text}' is not one of {string.Join(", ", names)}" + (hint is null ? "" : $"; did you mean '{hint}'?"));
        return fallback;
    }

    private string? Command(Sec s, string key)
    {
        var text = Str(s, key);
        if (text is null) return null;
        if (Values.TryCommand(text, out var problem)) return text;
        Error(KeyLine(s, key), $"{key}: {problem}");
        return null;
    }

    private List<string> List(Sec s, string key)
    {
        if (!TryGet(s, key, out var value, out var line)) return [];
        if (Values.TrySplitList(value, out var items, out var problem))
        {
            if (items.Count == 0) Error(line, $"{key}: value is empty; remove the line or give at least one item");
            return items;
        }
        Error(line, $"{key}: {problem}");
        return [];
    }

    private string? DevicePath(Sec s, string key, string fallback)
    {
        var text = Str(s, key) ?? fallback;
        if (text.StartsWith("/dev/", StringComparison.Ordinal) && text.Length > 5 && !text.Contains("..") && !text.Any(char.IsWhiteSpace))
            return text;
        Error(KeyLine(s, key), $"{key}: '{text}' is not a device path under /dev/ (for example /dev/ttyS1)");
        return fallback;
    }

    // ---- the model ------------------------------------------------------------------------------

    public ApplianceConfig? Build()
    {
        var sections = ReadSections();
        List<Sec> Of(string type) => sections.TryGetValue(type, out var l) ? l : [];
        Sec? Single(string type) => Of(type).FirstOrDefault();

        var globalSec = Single(Schema.Global);
        var global = BuildGlobal(globalSec);
        var instances = new List<(Sec Sec, VrrpInstance Model)>();
        foreach (var s in Of(Schema.VrrpInstance)) instances.Add((s, BuildInstance(s, global)));
        if (instances.Count == 0 && !sections.ContainsKey(Schema.VrrpInstance))
            Error(1, "no [vrrp_instance NAME] section: the director needs at least one VRRP instance holding its virtual addresses");

        var servers = BuildVirtualServers(Of(Schema.VirtualServer), Of(Schema.RealServer));
        var ipvs = BuildIpvs(Single(Schema.Ipvs) ?? new Sec(Schema.Ipvs, null, 1));
        var sync = BuildSync(Single(Schema.Sync) ?? new Sec(Schema.Sync, null, 1), global);
        var serialSec = Single(Schema.SerialHeartbeat);
        // keepalived has no serial heartbeat: with it on the other end the link is off unless asked for.
        var serial = BuildSerial(serialSec ?? new Sec(Schema.SerialHeartbeat, null, 1), serialSec is null, global?.PeerType != PeerType.Keepalived);
        var watchdog = BuildWatchdog(Single(Schema.Watchdog) ?? new Sec(Schema.Watchdog, null, 1));
        var leds = BuildLeds(Single(Schema.Leds) ?? new Sec(Schema.Leds, null, 1));
        var consoleSec = Single(Schema.Console) ?? new Sec(Schema.Console, null, 1);
        var console = BuildConsole(consoleSec);

        CheckInstancesTogether(instances);
        CheckAddressesTogether(instances, servers);
        if (global is { PeerType: PeerType.Keepalived } && serial.Enabled)
            Error(KeyLine(serialSec!, "enabled"),
                $"[serial_heartbeat] enabled = yes, but peer_type = keepalived (line {KeyLine(globalSec!, "peer_type")}): the serial heartbeat needs an appliance on the other end");
        foreach (var (key, address, whose) in new[] { ("peer_public_address", global?.PeerPublicAddress, "the other director's"), ("public_address", global?.PublicAddress, "this director's") })
            if (address is not null)
                foreach (var (sec, vi) in instances)
                    if (vi.VirtualAddresses.Any(v => v.Address.Equals(address)))
                        Error(KeyLine(globalSec!, key), $"{key}: {address} is a virtual address of [vrrp_instance {vi.Name}] (at {_file}:{KeyLine(sec, "virtual_ipaddress")}); give {whose} own address");
        if (serial.Enabled && console.Enabled && serial.Device == console.Device)
            Error(KeyLine(consoleSec, "device"), $"console device {console.Device} is also the serial heartbeat's device (at {_file}:{KeyLine(serialSec ?? consoleSec, "device")}); they need two ports");

        // One bad virtual_server line would otherwise repeat through every real server inheriting it.
        var unique = _errors.Distinct().OrderBy(e => e.Line).ToList();
        _errors.Clear();
        _errors.AddRange(unique);
        if (_errors.Count > 0 || global is null) return null;

        return new ApplianceConfig(
            _file, global,
            new ValueList<VrrpInstance>(Models(instances)),
            new ValueList<VirtualServer>(Models(servers)),
            ipvs, sync, serial, watchdog, leds, console);
    }

    private GlobalSettings? BuildGlobal(Sec? s)
    {
        if (s is null)
        {
            Error(1, "missing section [global] (it names the node and its public and heartbeat interfaces)");
            return null;
        }
        var name = Str(s, "node_name");
        if (name is null) { if (!Has(s, "node_name")) Missing(s, "node_name"); }
        else if (name.Length > 63 || !name.All(c => char.IsAsciiLetterOrDigit(c) || c == '-') || name.StartsWith('-') || name.EndsWith('-'))
            Error(KeyLine(s, "node_name"), $"node_name: '{name}' is not a host name (1-63 letters, digits and inner '-')");
        var id = RequiredInt(s, "node_id", 1, 255);
        var pub = Interface(s, "public_interface", null);
        if (pub is null && !Has(s, "public_interface")) Missing(s, "public_interface", "the NIC facing clients, where the virtual addresses live");
        var hb = Interface(s, "heartbeat_interface", null);
        if (hb is null && !Has(s, "heartbeat_interface")) Missing(s, "heartbeat_interface", "the NIC cabled to the other director");
        if (pub is not null && pub == hb)
            Error(KeyLine(s, "heartbeat_interface"), $"heartbeat_interface: {hb} is also the public_interface (line {KeyLine(s, "public_interface")}); the heartbeat needs its own link");
        var level = Choice(s, "log_level",
            [("error", LogLevel.Error), ("warning", LogLevel.Warning), ("notice", LogLevel.Notice), ("info", LogLevel.Info), ("debug", LogLevel.Debug)],
            LogLevel.Info);
        var group = Bool(s, "group_failover", true);
        var peerType = Choice(s, "peer_type", [("appliance", PeerType.Appliance), ("keepalived", PeerType.Keepalived)], PeerType.Appliance);
        // The arbiter's data-path probe asks with ARP, which is IPv4 only (RFC 826).
        var peerAddress = Ipv4Address(s, "peer_public_address", "the arbiter probes it with ARP");
        var ownAddress = Ipv4Address(s, "public_address", "the arbiter's ARP requests are sent from it");
        if (ownAddress is not null && ownAddress.Equals(peerAddress))
            Error(KeyLine(s, "public_address"), $"public_address: {ownAddress} is also the peer_public_address (line {KeyLine(s, "peer_public_address")}); each director has its own address");
        return new GlobalSettings(name ?? "", id, pub ?? "", hb ?? "", level, group, peerType, peerAddress, ownAddress);
    }

    private VrrpInstance BuildInstance(Sec s, GlobalSettings? global)
    {
        var iface = Interface(s, "interface", global?.HeartbeatInterface) ?? "";
        var vrid = RequiredInt(s, "virtual_router_id", 1, 255);
        var priority = Int(s, "priority", 1, 255, 100);
        var version = Int(s, "version", 2, 3, 3);
        // v3 carries Max Adver Int in centiseconds in 12 bits (RFC 5798 section 5.2.7); v2 whole seconds in 8 bits (RFC 3768 section 5.3.7).
        var advert = version == 3
            ? Duration(s, "advert_int", Second, TimeSpan.FromMilliseconds(10), TimeSpan.FromMilliseconds(10), TimeSpan.FromMilliseconds(40950), Second)
            : Duration(s, "advert_int", Second, Second, Second, TimeSpan.FromSeconds(255), Second);
        var state = Choice(s, "state", [("BACKUP", VrrpInitialState.Backup), ("MASTER", VrrpInitialState.Master)], VrrpInitialState.Backup);
        var preempt = Bool(s, "preempt", true);
        // Timers run in centiseconds like advert_int (keepalived writes it as 4.12).
        var preemptDelay = Duration(s, "preempt_delay", Second, TimeSpan.FromMilliseconds(10), TimeSpan.Zero, TimeSpan.FromSeconds(1000), TimeSpan.Zero);
        if (!preempt && Has(s, "preempt_delay"))
            Error(KeyLine(s, "preempt_delay"), $"preempt_delay has no effect with preempt = no (line {KeyLine(s, "preempt")}); remove one of them");
        var accept = Bool(s, "accept", true);

        var vips = new List<VirtualAddress>();
        if (!Has(s, "virtual_ipaddress")) Missing(s, "virtual_ipaddress", "the addresses this instance moves between the directors");
        var vipLine = KeyLine(s, "virtual_ipaddress");
        var listErrors = _errors.Count;
        var vipItems = List(s, "virtual_ipaddress");
        if (_errors.Count > listErrors) _vipsIncomplete = true;
        foreach (var item in vipItems)
        {
            var vip = ParseVirtualAddress(item, global?.PublicInterface ?? "", out var problem);
            if (vip is null) { Error(vipLine, $"virtual_ipaddress: {problem}"); _vipsIncomplete = true; }
            else if (vips.Any(v => v.Address.Equals(vip.Address))) Error(vipLine, $"virtual_ipaddress: {vip.Address} is listed twice");
            else vips.Add(vip);
        }
        var family = vips.Count > 0 ? vips[0].Family : AddressFamily.InterNetwork;
        if (vips.Any(v => v.Family != family))
            Error(vipLine, "virtual_ipaddress mixes IPv4 and IPv6; VRRP runs one address family per instance (RFC 5798 section 1), so use one vrrp_instance per family");
        // An empty device means public_interface was bad or missing, which is already reported.
        if (vips.All(v => v.Device.Length > 0) && vips.Select(v => v.Device).Distinct().Count() > 1)
            Error(vipLine, $"virtual_ipaddress: the addresses are on {string.Join(", ", vips.Select(v => v.Device).Distinct())}; one instance moves addresses on one public NIC (use one instance per NIC)");
        if (version == 2 && family == AddressFamily.InterNetworkV6)
            Error(vipLine, "virtual_ipaddress: VRRP version 2 is IPv4 only (RFC 3768); set version = 3 for IPv6");

        var track = new List<string>();
        foreach (var name in List(s, "track_interface"))
        {
            if (!Values.TryInterfaceName(name, out var problem)) Error(KeyLine(s, "track_interface"), $"track_interface: {problem}");
            else if (track.Contains(name)) Error(KeyLine(s, "track_interface"), $"track_interface: {name} is listed twice");
            else track.Add(name);
        }

        var source = Address(s, "unicast_src_ip");
        if (source is not null && vips.Count > 0 && source.AddressFamily != family)
            Error(KeyLine(s, "unicast_src_ip"), $"unicast_src_ip: {source} is {Values.FamilyName(source.AddressFamily)} but the instance's addresses are {Values.FamilyName(family)}");
        var peers = new List<IPAddress>();
        foreach (var item in List(s, "unicast_peer"))
        {
            if (!Values.TryAddress(item, out var peer, out var problem)) Error(KeyLine(s, "unicast_peer"), $"unicast_peer: {problem}");
            else if (vips.Count > 0 && peer.AddressFamily != family)
                Error(KeyLine(s, "unicast_peer"), $"unicast_peer: {peer} is {Values.FamilyName(peer.AddressFamily)} but the instance's addresses are {Values.FamilyName(family)}");
            else if (peers.Contains(peer)) Error(KeyLine(s, "unicast_peer"), $"unicast_peer: {peer} is listed twice");
            else peers.Add(peer);
        }
        // A director pair has one partner; keepalived's list form exists for larger VRRP groups.
        if (peers.Count > 1)
            Error(KeyLine(s, "unicast_peer"), $"unicast_peer: {peers.Count} peers; a director pair has one partner, so give its address only");
        if (source is not null && peers.Count == 0 && !Has(s, "unicast_peer"))
            Error(KeyLine(s, "unicast_src_ip"), "unicast_src_ip is only used with unicast_peer");

        var notify = new NotifyCommands(Command(s, "notify_master"), Command(s, "notify_backup"), Command(s, "notify_fault"), Command(s, "notify_stop"), Command(s, "notify"));
        var garp = new GarpSettings(
            Duration(s, "garp_master_delay", Second, Second, TimeSpan.Zero, TimeSpan.FromSeconds(1000), TimeSpan.FromSeconds(5)),
            Int(s, "garp_master_repeat", 1, 255, 5),
            Duration(s, "garp_master_refresh", Second, Second, TimeSpan.Zero, TimeSpan.FromSeconds(86400), TimeSpan.Zero),
            Int(s, "garp_master_refresh_repeat", 1, 255, 1));

        VrrpAuthentication? auth = null;
        if (Has(s, "auth_type") || Has(s, "auth_pass"))
        {
            if (version == 3)
                Error(KeyLine(s, Has(s, "auth_type") ? "auth_type" : "auth_pass"), "authentication is not part of VRRP version 3 (RFC 5798 section 9 removed it); remove auth_type and auth_pass, or set version = 2");
            else
            {
                Choice(s, "auth_type", [("PASS", 1)], 1);
                if (!Has(s, "auth_pass")) Missing(s, "auth_pass", "auth_type = PASS needs a password");
                else if (TryGet(s, "auth_pass", out var pass, out var line))
                {
                    // The v2 header has 8 bytes for it (RFC 2338 section 5.3.10); keepalived silently cuts longer ones.
                    var bytes = System.Text.Encoding.UTF8.GetByteCount(pass);
                    if (bytes is 0 or > 8) Error(line, $"auth_pass: the password is {bytes} bytes; VRRPv2 carries 1-8 bytes and a longer one would be cut");
                    else auth = new VrrpAuthentication(new Secret(pass));
                }
            }
        }

        return new VrrpInstance(s.Name!, iface, vrid, priority, advert, version, state, preempt, preemptDelay, accept, family,
            new ValueList<VirtualAddress>(vips), new ValueList<string>(track), source, new ValueList<IPAddress>(peers), notify, garp, auth);
    }

    /// <summary><c>ADDRESS[/PREFIX] [dev IFACE]</c>.</summary>
    private static VirtualAddress? ParseVirtualAddress(string item, string defaultDevice, out string problem)
    {
        var words = item.Split([' ', '\t'], StringSplitOptions.RemoveEmptyEntries);
        var device = defaultDevice;
        if (words.Length == 3 && words[1] == "dev")
        {
            if (!Values.TryInterfaceName(words[2], out problem)) return null;
            device = words[2];
        }
        else if (words.Length != 1)
        {
            problem = $"'{item}' is not 'ADDRESS/PREFIX' or 'ADDRESS/PREFIX dev INTERFACE'";
            return null;
        }
        var slash = words[0].IndexOf('/');
        var addressText = slash < 0 ? words[0] : words[0][..slash];
        if (!Values.TryAddress(addressText, out var address, out problem)) return null;
        var max = Values.MaxPrefix(address.AddressFamily);
        var prefix = max;
        if (slash >= 0)
        {
            if (!Values.TryInt(words[0][(slash + 1)..], 1, max, out var p, out problem))
            {
                problem = $"prefix length of {address}: {problem}";
                return null;
            }
            prefix = (int)p;
        }
        if (address.Equals(IPAddress.Any) || address.Equals(IPAddress.IPv6Any) || IPAddress.IsLoopback(address) || IsMulticast(address))
        {
            problem = $"{address} cannot be a virtual address (unspecified, loopback or multicast)";
            return null;
        }
        return new VirtualAddress(address, prefix, device);
    }

    private static bool IsMulticast(IPAddress a) =>
        a.AddressFamily == AddressFamily.InterNetworkV6 ? a.IsIPv6Multicast : (a.GetAddressBytes()[0] & 0xF0) == 0xE0;

    private void CheckInstancesTogether(List<(Sec Sec, VrrpInstance Model)> instances)
    {
        // VRID identifies a router per link and family (RFC 5798 section 5.2.3): two instances on
        // one interface with one VRID would answer each other's adverts.
        var seen = new Dictionary<(string, AddressFamily, int), (string Name, int Line)>();
        foreach (var (sec, vi) in instances)
        {
            var key = (vi.Interface, vi.Family, vi.VirtualRouterId);
            if (seen.TryGetValue(key, out var first))
                Error(KeyLine(sec, "virtual_router_id"), $"virtual_router_id {vi.VirtualRouterId} on {vi.Interface} ({Values.FamilyName(vi.Family)}) is already used by [vrrp_instance {first.Name}] at {_file}:{first.Line}");
            else seen[key] = (vi.Name, KeyLine(sec, "virtual_router_id"));
        }
    }

    private void CheckAddressesTogether(List<(Sec Sec, VrrpInstance Model)> instances, List<(Sec Sec, VirtualServer Model, List<(Sec Sec, RealServer Model)> Reals)> servers)
    {
        var vips = new Dictionary<IPAddress, (string Name, int Line)>();
        foreach (var (sec, vi) in instances)
        {
            var line = KeyLine(sec, "virtual_ipaddress");
            foreach (var vip in vi.VirtualAddresses)
            {
                if (vips.TryGetValue(vip.Address, out var first))
                    Error(line, $"virtual_ipaddress: {vip.Address} is already a virtual address of [vrrp_instance {first.Name}] at {_file}:{first.Line}");
                else vips[vip.Address] = (vi.Name, line);
            }
            foreach (var peer in vi.UnicastPeers)
                if (vips.ContainsKey(peer)) Error(KeyLine(sec, "unicast_peer"), $"unicast_peer: {peer} is a virtual address; the peer must be the other director's own address");
            if (vi.UnicastSource is { } src && vips.ContainsKey(src))
                Error(KeyLine(sec, "unicast_src_ip"), $"unicast_src_ip: {src} is a virtual address; it moves away at failover, use this director's own address");
        }
        foreach (var (sec, vs, reals) in servers)
        {
            if (vs.Address is { } a && !vips.ContainsKey(a) && instances.Count > 0 && !_vipsIncomplete)
                Error(KeyLine(sec, "address"), $"address: {a} is not a virtual_ipaddress of any [vrrp_instance]; the service would not move to the other director at failover");
            foreach (var (rsec, rs) in reals)
                if (vips.TryGetValue(rs.Address, out var owner))
                    Error(KeyLine(rsec, "address"), $"address: real server {rs.Address} is a virtual address of [vrrp_instance {owner.Name}] (at {_file}:{owner.Line})");
            if (vs.SorryServer is { } sorry && vips.TryGetValue(sorry.Address, out var o))
                Error(KeyLine(sec, "sorry_server"), $"sorry_server: {sorry.Address} is a virtual address of [vrrp_instance {o.Name}] (at {_file}:{o.Line})");
        }
    }

    private static readonly ImmutableArray<(string, Scheduler)> Schedulers =
    [
        ("rr", Scheduler.Rr), ("wrr", Scheduler.Wrr), ("lc", Scheduler.Lc), ("wlc", Scheduler.Wlc), ("lblc", Scheduler.Lblc),
        ("lblcr", Scheduler.Lblcr), ("dh", Scheduler.Dh), ("sh", Scheduler.Sh), ("sed", Scheduler.Sed), ("nq", Scheduler.Nq),
        ("fo", Scheduler.Fo), ("ovf", Scheduler.Ovf), ("mh", Scheduler.Mh), ("twos", Scheduler.Twos),
    ];

    private List<(Sec Sec, VirtualServer Model, List<(Sec Sec, RealServer Model)> Reals)> BuildVirtualServers(List<Sec> vsSections, List<Sec> rsSections)
    {
        var result = new List<(Sec, VirtualServer, List<(Sec, RealServer)>)>();
        var byName = vsSections.Where(s => s.Name is not null).ToDictionary(s => s.Name!, StringComparer.OrdinalIgnoreCase);
        var realsOf = vsSections.ToDictionary(s => s, _ => new List<Sec>());
        foreach (var rs in rsSections)
        {
            if (!TryGet(rs, "virtual_server", out var target, out var line))
            {
                Missing(rs, "virtual_server", "the [virtual_server NAME] this real server belongs to");
                continue;
            }
            if (!byName.TryGetValue(target, out var vs))
            {
                var hint = Suggest.Closest(target, byName.Keys);
                Error(line, $"virtual_server: there is no [virtual_server {target}]" +
                    (hint is not null ? $"; did you mean '{hint}'?" : byName.Count == 0 ? "; the file defines no virtual server" : $"; defined: {string.Join(", ", byName.Keys)}"));
                continue;
            }
            rs.Parent = vs;
            realsOf[vs].Add(rs);
        }

        var services = new Dictionary<string, (string Name, int Line)>();
        foreach (var s in vsSections)
        {
            var (vs, reals) = BuildVirtualServer(s, realsOf[s]);
            var key = vs.Endpoint;
            var line = KeyLine(s, vs.IsFirewallMark ? "fwmark" : "address");
            if (services.TryGetValue(key, out var first))
                Error(line, $"{key} is already the service of [virtual_server {first.Name}] at {_file}:{first.Line}");
            else services[key] = (s.Name!, line);
            result.Add((s, vs, reals));
        }
        return result;
    }

    private (VirtualServer, List<(Sec, RealServer)>) BuildVirtualServer(Sec s, List<Sec> realSections)
    {
        var address = Address(s, "address");
        var mark = (uint)(OptInt(s, "fwmark", 1, uint.MaxValue) ?? 0);
        if (Has(s, "address") && Has(s, "fwmark"))
            Error(KeyLine(s, "fwmark"), $"fwmark: a virtual server is either address/port/protocol or fwmark, not both (address at line {KeyLine(s, "address")})");
        else if (!Has(s, "address") && !Has(s, "fwmark"))
            Missing(s, "address", "or fwmark for a firewall-mark service");

        var family = address?.AddressFamily ?? AddressFamily.InterNetwork;
        var isMark = Has(s, "fwmark") && !Has(s, "address");
        if (isMark)
        {
            family = Choice(s, "ip_family", [("inet", AddressFamily.InterNetwork), ("inet6", AddressFamily.InterNetworkV6)], AddressFamily.InterNetwork);
            foreach (var k in new[] { "port", "protocol" })
                if (Has(s, k)) Error(KeyLine(s, k), $"{k}: a fwmark service matches packets by their mark; {k} does not apply (set it in the rule that marks them)");
        }
        else if (Has(s, "ip_family"))
            Error(KeyLine(s, "ip_family"), "ip_family applies only to fwmark services; an address service takes the family of its address");

        var protocol = Choice(s, "protocol", [("TCP", ServiceProtocol.Tcp), ("UDP", ServiceProtocol.Udp), ("SCTP", ServiceProtocol.Sctp)], ServiceProtocol.Tcp);
        var persistence = Duration(s, "persistence_timeout", Second, Second, TimeSpan.Zero, TimeSpan.FromDays(365), TimeSpan.Zero);
        var port = 0;
        if (!isMark && Has(s, "address"))
        {
            if (!Has(s, "port")) Missing(s, "port", "0-65535");
            var parsed = OptInt(s, "port", 0, 65535);
            port = (int)(parsed ?? 0);
            // Port 0 means "all ports", which IPVS allows only for persistent services (ipvsadm(8) -p).
            if (parsed == 0 && persistence == TimeSpan.Zero)
                Error(KeyLine(s, "port"), "port: 0 (all ports) is allowed only with persistence_timeout");
        }

        var scheduler = Choice(s, "lb_algo", Schedulers, Scheduler.Wlc);
        var flags = SchedulerFlags.None;
        foreach (var f in List(s, "sched_flags"))
        {
            SchedulerFlags flag = f.ToLowerInvariant() switch
            {
                "sh-fallback" => SchedulerFlags.ShFallback,
                "sh-port" => SchedulerFlags.ShPort,
                "mh-fallback" => SchedulerFlags.MhFallback,
                "mh-port" => SchedulerFlags.MhPort,
                _ => SchedulerFlags.None,
            };
            if (flag == SchedulerFlags.None)
                Error(KeyLine(s, "sched_flags"), $"sched_flags: '{f}' is not one of sh-fallback, sh-port, mh-fallback, mh-port");
            else if (scheduler != (flag is SchedulerFlags.ShFallback or SchedulerFlags.ShPort ? Scheduler.Sh : Scheduler.Mh))
                Error(KeyLine(s, "sched_flags"), $"sched_flags: {f} applies to the {f[..2].ToLowerInvariant()} scheduler, but lb_algo is {scheduler.KernelName()}");
            else flags |= flag;
        }

        var kind = Choice(s, "lb_kind", [("NAT", ForwardingMethod.Nat), ("DR", ForwardingMethod.DirectRouting), ("TUN", ForwardingMethod.Tunnel)], ForwardingMethod.Nat);
        TunnelSettings? tunnel = null;
        if (kind == ForwardingMethod.Tunnel)
        {
            var type = Choice(s, "tun_type", [("ipip", TunnelType.Ipip), ("gue", TunnelType.Gue), ("gre", TunnelType.Gre)], TunnelType.Ipip);
            var tunPort = 0;
            if (type == TunnelType.Gue)
            {
                if (!Has(s, "tun_port")) Missing(s, "tun_port", "tun_type = gue needs the real servers' GUE UDP port");
                tunPort = Int(s, "tun_port", 1, 65535, 0);
            }
            else if (Has(s, "tun_port")) Error(KeyLine(s, "tun_port"), "tun_port applies only to tun_type = gue");
            var csum = Choice(s, "tun_flags", [("nocsum", TunnelChecksum.NoChecksum), ("csum", TunnelChecksum.Checksum), ("remcsum", TunnelChecksum.RemoteChecksum)], TunnelChecksum.NoChecksum);
            if (type == TunnelType.Ipip && Has(s, "tun_flags")) Error(KeyLine(s, "tun_flags"), "tun_flags applies only to tun_type = gue or gre");
            else if (type == TunnelType.Gre && csum == TunnelChecksum.RemoteChecksum) Error(KeyLine(s, "tun_flags"), "tun_flags: remcsum (remote checksum offload) exists only for gue");
            tunnel = new TunnelSettings(type, tunPort, csum);
        }
        else
        {
            foreach (var k in new[] { "tun_type", "tun_port", "tun_flags" })
                if (Has(s, k)) Error(KeyLine(s, k), $"{k} applies only to lb_kind = TUN");
        }

        int? granularity = null;
        if (TryGet(s, "persistence_granularity", out var granText, out var granLine))
        {
            if (persistence == TimeSpan.Zero) Error(granLine, "persistence_granularity needs persistence_timeout");
            else if (!TryNetmask(granText, family, out var prefix, out var problem)) Error(granLine, $"persistence_granularity: {problem}");
            else granularity = prefix;
        }
        var ops = Bool(s, "ops", false);
        if (ops && !isMark && protocol != ServiceProtocol.Udp)
            Error(KeyLine(s, "ops"), $"ops: one-packet scheduling applies to UDP only; the kernel ignores it for {protocol.Name()}");

        var quorum = Int(s, "quorum", 1, int.MaxValue, 1);
        var hysteresis = Int(s, "hysteresis", 0, int.MaxValue, 0);
        if (Has(s, "hysteresis") && hysteresis >= quorum)
            Error(KeyLine(s, "hysteresis"), $"hysteresis {hysteresis} must be smaller than quorum {quorum}, or the service could never lose quorum");
        var quorumUp = Command(s, "quorum_up");
        var quorumDown = Command(s, "quorum_down");
        SorryServer? sorry = null;
        if (Str(s, "sorry_server") is { } sorryText)
        {
            var words = sorryText.Split([' ', '\t'], StringSplitOptions.RemoveEmptyEntries);
            IPAddress? sa = null;
            long sp = 0;
            if (words.Length != 2 || !Values.TryAddress(words[0], out sa, out _) || !Values.TryInt(words[1], 0, 65535, out sp, out _))
                Error(KeyLine(s, "sorry_server"), $"sorry_server: '{sorryText}' is not 'ADDRESS PORT'");
            else if (sa.AddressFamily != family)
                Error(KeyLine(s, "sorry_server"), $"sorry_server: {sa} is {Values.FamilyName(sa.AddressFamily)} but the service is {Values.FamilyName(family)}");
            else sorry = new SorryServer(sa, (int)sp, Bool(s, "sorry_server_inhibit", false));
        }
        else if (Has(s, "sorry_server_inhibit")) Error(KeyLine(s, "sorry_server_inhibit"), "sorry_server_inhibit needs sorry_server");
        var alpha = Bool(s, "alpha", false);
        var omega = Bool(s, "omega", false);

        // The virtual server's own check keys are defaults for its real servers; check them once here.
        BuildCheck(s, applicabilityKnown: Has(s, "check"));

        var reals = new List<(Sec, RealServer)>();
        var seen = new Dictionary<(IPAddress, int), (string Name, int Line)>();
        foreach (var r in realSections)
        {
            var rs = BuildRealServer(r, family, isMark, port, kind, tunnel);
            if (rs is null) continue;
            var at = (rs.Address, rs.Port);
            if (seen.TryGetValue(at, out var first))
                Error(KeyLine(r, "address"), $"real server {rs} is already [real_server {first.Name}] of this virtual server (at {_file}:{first.Line})");
            else seen[at] = (r.Name!, KeyLine(r, "address"));
            reals.Add((r, rs));
        }
        var totalWeight = reals.Sum(r => (long)r.Item2.Weight);
        if (Has(s, "quorum") && reals.Count > 0 && quorum > totalWeight)
            Error(KeyLine(s, "quorum"), $"quorum {quorum} exceeds the total weight {totalWeight} of the real servers; the service could never be up");

        var model = new VirtualServer(s.Name!, family, protocol, isMark ? null : address, port, isMark ? mark : 0, scheduler, flags,
            persistence, granularity, ops, quorum, hysteresis, quorumUp, quorumDown, sorry, alpha, omega,
            new ValueList<RealServer>(Models(reals)));
        return (model, reals);
    }

    private static bool TryNetmask(string text, AddressFamily family, out int prefix, out string problem)
    {
        prefix = 0;
        var t = text.TrimStart('/');
        if (t.All(char.IsAsciiDigit)) return Values.TryInt(t, 1, Values.MaxPrefix(family), out var p, out problem) && (prefix = (int)p) > 0;
        if (family == AddressFamily.InterNetworkV6)
        {
            problem = $"'{text}' is not a prefix length 1-128 (an IPv6 service takes a prefix length)";
            return false;
        }
        if (!Values.TryAddress(t, out var mask, out problem) || mask.AddressFamily != AddressFamily.InterNetwork)
        {
            problem = $"'{text}' is not a netmask such as 255.255.255.0 or a prefix length 1-32";
            return false;
        }
        var bits = System.Buffers.Binary.BinaryPrimitives.ReadUInt32BigEndian(mask.GetAddressBytes());
        var ones = System.Numerics.BitOperations.PopCount(bits);
        if (ones == 0 || bits != uint.MaxValue << (32 - ones))
        {
            problem = $"'{text}' is not a contiguous netmask";
            return false;
        }
        prefix = ones;
        return true;
    }

    private RealServer? BuildRealServer(Sec r, AddressFamily family, bool isMark, int vsPort, ForwardingMethod kind, TunnelSettings? tunnel)
    {
        if (!Has(r, "address")) Missing(r, "address");
        var address = Address(r, "address");
        // IPVS mixes families only for tunnelled destinations (the outer header carries the real server's family).
        if (address is not null && address.AddressFamily != family && kind != ForwardingMethod.Tunnel)
            Error(KeyLine(r, "address"), $"address: real server {address} is {Values.FamilyName(address.AddressFamily)} but [virtual_server {r.Parent!.Name}] is {Values.FamilyName(family)}");
        var port = Int(r, "port", 0, 65535, vsPort);
        if (!isMark && kind != ForwardingMethod.Nat && Has(r, "port") && port != vsPort)
            Error(KeyLine(r, "port"), $"port: {(kind == ForwardingMethod.DirectRouting ? "DR" : "TUN")} forwarding cannot change the destination port; the real server must listen on the virtual server's port {vsPort} (only NAT translates ports)");
        var weight = Int(r, "weight", 0, 65535, 1);
        var upper = Int(r, "uthreshold", 0, int.MaxValue, 0);
        var lower = Int(r, "lthreshold", 0, int.MaxValue, 0);
        if (upper > 0 && lower > upper)
            Error(KeyLine(r, "lthreshold"), $"lthreshold {lower} is above uthreshold {upper}");
        var inhibit = Bool(r, "inhibit_on_failure", false);
        var check = BuildCheck(r, applicabilityKnown: true);
        var up = Command(r, "notify_up");
        var down = Command(r, "notify_down");
        if (address is null) return null;
        return new RealServer(r.Name!, address, port, weight, upper, lower, inhibit, kind, tunnel, check, up, down);
    }

    private static readonly ImmutableArray<(string, HealthCheckKind)> CheckKinds =
    [
        ("none", HealthCheckKind.None), ("TCP_CHECK", HealthCheckKind.TcpCheck), ("HTTP_GET", HealthCheckKind.HttpGet),
        ("SSL_GET", HealthCheckKind.SslGet), ("MISC_CHECK", HealthCheckKind.MiscCheck), ("DNS_CHECK", HealthCheckKind.DnsCheck),
    ];

    /// <summary>Which check kinds use a parameter; null = every kind except none.</summary>
    private static HealthCheckKind[]? UsedBy(string key) => key switch
    {
        "connect_timeout" or "connect_ip" or "connect_port" => [HealthCheckKind.TcpCheck, HealthCheckKind.HttpGet, HealthCheckKind.SslGet, HealthCheckKind.DnsCheck],
        "url_path" or "status_code" or "virtualhost" or "digest" or "body_contains" => [HealthCheckKind.HttpGet, HealthCheckKind.SslGet],
        "tls_verify" => [HealthCheckKind.SslGet],
        "misc_path" or "misc_timeout" or "misc_dynamic" => [HealthCheckKind.MiscCheck],
        "dns_name" or "dns_type" => [HealthCheckKind.DnsCheck],
        _ => null,
    };

    private static string KindName(HealthCheckKind k) => k.Name();

    private static string KindNames(HealthCheckKind[] kinds)
    {
        var names = new string[kinds.Length];
        for (int i = 0; i < names.Length; i++) names[i] = KindName(kinds[i]);
        return string.Join(", ", names);
    }

    // Plain loops below, not LINQ over tuples or enums: every Select over a value type multiplies
    // NativeAOT's generic instantiations (.NET 9 Iterator<T>.Select) into megabytes (docs/benchmarks.md, Binary size).
    private static List<TModel> Models<TModel>(List<(Sec Sec, TModel Model)> built)
    {
        var result = new List<TModel>(built.Count);
        foreach (var b in built) result.Add(b.Model);
        return result;
    }

    private static List<TModel> Models<TModel>(List<(Sec Sec, TModel Model, List<(Sec Sec, RealServer Model)> Reals)> built)
    {
        var result = new List<TModel>(built.Count);
        foreach (var b in built) result.Add(b.Model);
        return result;
    }

    // The keys of a section in file order (Configuration lists them alphabetically); equal lines keep their order.
    private List<(IConfigurationSection Entry, int Line)> InFileOrder(IConfigurationSection section)
    {
        var result = new List<(IConfigurationSection Entry, int Line)>();
        foreach (var e in section.GetChildren())
        {
            if (e.Value is null) continue;
            var item = (e, LineOf(e.Path));
            int at = result.Count;
            while (at > 0 && result[at - 1].Line > item.Item2) at--;
            result.Insert(at, item);
        }
        return result;
    }

    private HealthCheck BuildCheck(Sec s, bool applicabilityKnown)
    {
        var before = _errors.Count;
        var kind = Choice(s, "check", CheckKinds, HealthCheckKind.None);
        if (_errors.Count > before) applicabilityKnown = false; // a misspelt kind: do not pile "does not apply" on top
        if (applicabilityKnown)
        {
            foreach (var key in Schema.CheckKeys)
            {
                if (key == "check" || !TryGet(s, key, out _, out var line)) continue;
                // An inherited key was already checked against the virtual server's own check kind,
                // unless this real server chose another kind.
                if (!s.Values.ContainsKey(key) && s.Parent is { } parent && parent.Values.ContainsKey("check") && !s.Values.ContainsKey("check")) continue;
                var used = UsedBy(key);
                if (kind == HealthCheckKind.None)
                    Error(line, $"{key} has no effect: {(s.Type == Schema.RealServer ? $"[real_server {s.Name}]" : s.Header)} has check = none (set check = TCP_CHECK, HTTP_GET, ...)");
                else if (used is not null && !used.Contains(kind))
                    Error(line, $"{key} does not apply to check = {KindName(kind)}{(s.Type == Schema.RealServer ? $" of [real_server {s.Name}]" : "")}; it is used by {KindNames(used)}");
            }
        }
        var delayLoop = Duration(s, "delay_loop", Second, Milli, TimeSpan.FromMilliseconds(100), TimeSpan.FromDays(1), TimeSpan.FromSeconds(60));
        var connectTimeout = Duration(s, "connect_timeout", Second, Milli, TimeSpan.FromMilliseconds(10), TimeSpan.FromHours(1), TimeSpan.FromSeconds(5));
        // keepalived's defaults: 1 retry, 3 for DNS_CHECK, none for MISC_CHECK (keepalived.conf(5)).
        var retry = Int(s, "retry", 0, 100, kind switch { HealthCheckKind.DnsCheck => 3, HealthCheckKind.MiscCheck => 0, _ => 1 });
        var delayBeforeRetry = Duration(s, "delay_before_retry", Second, Milli, TimeSpan.Zero, TimeSpan.FromHours(1), Second);
        // A random delay of up to warmup before the first check spreads checks out; keepalived defaults it to delay_loop.
        var warmup = Duration(s, "warmup", Second, Milli, TimeSpan.Zero, TimeSpan.FromHours(1), delayLoop);
        var rise = Int(s, "rise", 1, 100, 1);
        var fall = Int(s, "fall", 1, 100, 1);
        var connectIp = Address(s, "connect_ip");
        var connectPort = (int?)OptInt(s, "connect_port", 1, 65535);

        var url = Str(s, "url_path") ?? "/";
        if (!url.StartsWith('/') || url.Any(c => c <= ' ' || c == 0x7F))
        {
            Error(KeyLine(s, "url_path"), $"url_path: '{url}' must start with '/' and contain no blanks (encode a space as %20)");
            url = "/";
        }
        var codes = new List<StatusCodeRange>();
        foreach (var item in List(s, "status_code"))
        {
            var dash = item.IndexOf('-');
            var ok = Values.TryInt(dash < 0 ? item : item[..dash].Trim(), 100, 599, out var a, out _);
            var last = a;
            if (ok && dash >= 0) ok = Values.TryInt(item[(dash + 1)..].Trim(), 100, 599, out last, out _) && last >= a;
            if (!ok) Error(KeyLine(s, "status_code"), $"status_code: '{item}' is not an HTTP status 100-599 or a range such as 200-299");
            else codes.Add(new StatusCodeRange((int)a, (int)last));
        }
        if (codes.Count == 0) codes.Add(new StatusCodeRange(200, 299)); // keepalived: any 2xx

        var host = Str(s, "virtualhost");
        if (host is not null && host.Any(c => c <= ' ' || c == 0x7F || c == '/'))
        {
            Error(KeyLine(s, "virtualhost"), $"virtualhost: '{host}' is not a host name for the Host header");
            host = null;
        }
        var digest = Str(s, "digest");
        if (digest is not null && (digest.Length != 32 || !digest.All(char.IsAsciiHexDigit)))
        {
            Error(KeyLine(s, "digest"), "digest: expected the MD5 of the page as 32 hexadecimal digits (keepalived's genhash prints it)");
            digest = null;
        }
        var contains = Str(s, "body_contains");
        var tlsVerify = Bool(s, "tls_verify", false);
        var misc = Command(s, "misc_path");
        if (kind == HealthCheckKind.MiscCheck && !Has(s, "misc_path")) Missing(s, "misc_path", "check = MISC_CHECK runs it");
        var miscTimeout = Duration(s, "misc_timeout", Second, Milli, TimeSpan.FromMilliseconds(10), TimeSpan.FromHours(1), delayLoop);
        var miscDynamic = Bool(s, "misc_dynamic", false);
        var dnsName = Str(s, "dns_name") ?? ".";
        var dnsType = Choice(s, "dns_type",
            [("A", "A"), ("NS", "NS"), ("CNAME", "CNAME"), ("SOA", "SOA"), ("MX", "MX"), ("TXT", "TXT"), ("AAAA", "AAAA")], "SOA");

        return new HealthCheck(kind, delayLoop, connectTimeout, retry, delayBeforeRetry, warmup, rise, fall, connectIp, connectPort,
            url, new ValueList<StatusCodeRange>(codes), host, digest?.ToLowerInvariant(), contains, tlsVerify, misc, miscTimeout, miscDynamic, dnsName, dnsType);
    }

    private IpvsTimeouts BuildIpvs(Sec s)
    {
        // ipvsadm --set takes whole seconds; 0 there means "leave unchanged", which a file has no need for.
        var max = TimeSpan.FromSeconds(int.MaxValue / 1000);
        return new IpvsTimeouts(
            Duration(s, "timeout_tcp", Second, Second, Second, max, TimeSpan.FromSeconds(900)),
            Duration(s, "timeout_tcpfin", Second, Second, Second, max, TimeSpan.FromSeconds(120)),
            Duration(s, "timeout_udp", Second, Second, Second, max, TimeSpan.FromSeconds(300)));
    }

    private ConnectionSync BuildSync(Sec s, GlobalSettings? global)
    {
        var enabled = Bool(s, "enabled", true);
        var iface = Interface(s, "interface", global?.HeartbeatInterface) ?? "";
        var syncId = (int?)OptInt(s, "syncid", 0, 255);
        var maxLen = (int?)OptInt(s, "sync_maxlen", 1, 65507);
        var group = Address(s, "mcast_group");
        if (group is not null && !IsMulticast(group))
        {
            Error(KeyLine(s, "mcast_group"), $"mcast_group: {group} is not a multicast address (the kernel's default is 224.0.0.81)");
            group = null;
        }
        var port = (int?)OptInt(s, "mcast_port", 1, 65535);
        var ttl = (int?)OptInt(s, "mcast_ttl", 1, 255);
        var threshold = (int?)OptInt(s, "sync_threshold", 0, int.MaxValue);
        var period = (int?)OptInt(s, "sync_period", 0, int.MaxValue);
        // The kernel refuses threshold >= period unless period is 0 (proc_do_sync_threshold).
        if (threshold is { } t && period is { } p && p > 0 && t >= p)
            Error(KeyLine(s, "sync_threshold"), $"sync_threshold {t} must be smaller than sync_period {p} (or set sync_period = 0)");
        var refresh = OptDuration(s, "sync_refresh_period", Second, Second, TimeSpan.Zero, TimeSpan.FromDays(1));
        var retries = (int?)OptInt(s, "sync_retries", 0, 3);
        var peerSyncId = (int?)OptInt(s, "peer_syncid", 0, 255);
        var onStop = Choice(s, "on_stop", [("keep", SyncStopPolicy.Keep), ("stop", SyncStopPolicy.Stop)], SyncStopPolicy.Keep);
        // The sysctls' own ranges (Documentation/networking/ipvs-sysctl.rst).
        var version = (int?)OptInt(s, "sync_version", 0, 1);
        var persistMode = (int?)OptInt(s, "sync_persist_mode", 0, 1);
        var ports = (int?)OptInt(s, "sync_ports", 1, 64);
        var sockSize = (int?)OptInt(s, "sync_sock_size", 0, int.MaxValue);
        var qlen = OptInt(s, "sync_qlen_max", 1, long.MaxValue);
        var wait = OptDuration(s, "catchup_max_wait", Second, Second, TimeSpan.Zero, TimeSpan.FromHours(1));
        return new ConnectionSync(enabled, iface, syncId, maxLen, group, port, ttl, threshold, period, refresh, retries,
            peerSyncId, onStop, version, persistMode, ports, sockSize, qlen, wait);
    }

    /// <summary>Speeds termios can set (asm-generic/termbits.h B* constants).</summary>
    internal static readonly ImmutableArray<int> BaudRates =
        [1200, 2400, 4800, 9600, 19200, 38400, 57600, 115200, 230400, 460800, 500000, 576000, 921600, 1000000, 1152000, 1500000, 2000000, 2500000, 3000000, 3500000, 4000000];

    private int Baud(Sec s, int fallback)
    {
        var text = Str(s, "baud");
        if (text is null) return fallback;
        if (Values.TryInt(text, 1, 4000000, out var b, out _) && BaudRates.Contains((int)b)) return (int)b;
        Error(KeyLine(s, "baud"), $"baud: '{text}' is not a serial speed; use one of {string.Join(", ", BaudRates)}");
        return fallback;
    }

    private SerialHeartbeat BuildSerial(Sec s, bool absent, bool enabledByDefault)
    {
        var enabled = Bool(s, "enabled", enabledByDefault);
        var device = DevicePath(s, "device", "/dev/ttyS1")!;
        var baud = Baud(s, 115200);
        var interval = Duration(s, "interval", Milli, Milli, TimeSpan.FromMilliseconds(10), TimeSpan.FromSeconds(10), TimeSpan.FromMilliseconds(100));
        // 4 intervals: the arbiter must know the serial link is dead by the time VRRP's
        // Master_Down fires (about 0.36 s at advert_int 0.1), or a real failure waits on it.
        var dead = Duration(s, "dead_time", Milli, Milli, TimeSpan.FromMilliseconds(30), TimeSpan.FromSeconds(60), TimeSpan.FromMilliseconds(400));
        if (dead < interval * 3)
            Error(KeyLine(s, Has(s, "dead_time") ? "dead_time" : "interval"), $"dead_time {Values.Format(dead)} is less than 3 intervals of {Values.Format(interval)}; one lost frame would declare the peer dead");
        Secret? key = null;
        if (TryGet(s, "key", out var text, out var line))
        {
            // HMAC-SHA256 (RFC 2104 section 3): a key shorter than 16 bytes is guessable; never echo it.
            var bytes = System.Text.Encoding.UTF8.GetByteCount(text);
            if (bytes < 16) Error(line, $"key: the shared key is {bytes} bytes; use at least 16 (for example the output of 'openssl rand -hex 16')");
            else if (bytes > 1024) Error(line, $"key: the shared key is {bytes} bytes; at most 1024 are accepted");
            else key = new Secret(text);
            if (text == FactorySerialKey)
                _warnings.Add(new ConfigError(_file, line, "key: this is the factory default key, the same on every box; set your own on both directors (openssl rand -hex 16)"));
        }
        else if (enabled)
            Error(s.Line, absent
                ? "missing section [serial_heartbeat] with its shared 'key' (or write [serial_heartbeat] enabled = no to run without the serial heartbeat)"
                : "[serial_heartbeat]: missing required key 'key' (the shared secret that authenticates frames; the same on both directors)");
        return new SerialHeartbeat(enabled, device, baud, interval, dead, key);
    }

    private WatchdogSettings BuildWatchdog(Sec s) => new(
        Bool(s, "enabled", true),
        DevicePath(s, "device", "/dev/watchdog")!,
        // WDIOC_SETTIMEOUT takes whole seconds (linux/watchdog.h).
        Duration(s, "timeout", Second, Second, Second, TimeSpan.FromSeconds(60), TimeSpan.FromSeconds(2)),
        Bool(s, "nowayout", false));

    private FrontPanelLeds BuildLeds(Sec s)
    {
        string? Led(string key)
        {
            var name = Str(s, key);
            if (name is null) return null;
            if (name.Length > 255 || name is "." or ".." || name.Any(c => c == '/' || c < ' ' || c > '~'))
            {
                Error(KeyLine(s, key), $"{key}: '{name}' is not an LED class device name (the name under /sys/class/leds, such as director:green:master)");
                return null;
            }
            return name;
        }
        return new FrontPanelLeds(Led("master"), Led("backup"), Led("fault"));
    }

    private ConsoleSettings BuildConsole(Sec s)
    {
        var enabled = Bool(s, "enabled", true);
        var device = DevicePath(s, "device", "/dev/ttyS0")!;
        var baud = Baud(s, 115200);
        Secret? hash = null;
        if (TryGet(s, "password_hash", out var text, out var line))
        {
            // crypt(3) output: $id$[params$]salt$hash. Refusing anything else keeps a plain password out of the file.
            var parts = text.Split('$');
            if (parts.Length < 4 || parts[0].Length != 0 || parts[1].Length == 0 || parts[^1].Length < 8 || text.Any(c => c <= ' ' || c > '~'))
                Error(line, "password_hash: not a crypt(3) hash such as $6$salt$...; generate one with 'mkpasswd -m sha-512' (never write the password itself)");
            else hash = new Secret(text);
        }
        return new ConsoleSettings(enabled, device, baud, hash);
    }
}
