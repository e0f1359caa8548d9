using System.Net;
using System.Net.Sockets;
using Appliance.Config;
using Appliance.Logging;
using Xunit;
using static Appliance.Tests.Config.ConfigText;

namespace Appliance.Tests.Config;

public class ModelTests
{
    [Fact]
    public void Valid_text_builds_the_model_with_defaults()
    {
        var c = Valid_(Valid);
        Assert.Equal(new GlobalSettings("director-a", 1, "eth0", "eth1", LogLevel.Info, true, PeerType.Appliance, null), c.Global);

        var vi = Assert.Single(c.VrrpInstances);
        Assert.Equal("VI_1", vi.Name);
        Assert.Equal("eth1", vi.Interface); // adverts default to the heartbeat link
        Assert.Equal((51, 150, 3), (vi.VirtualRouterId, vi.Priority, vi.Version));
        Assert.Equal(TimeSpan.FromSeconds(1), vi.AdvertInterval);
        Assert.True(vi.Preempt);
        Assert.True(vi.AcceptMode);
        Assert.Equal(VrrpInitialState.Backup, vi.InitialState);
        Assert.Equal(AddressFamily.InterNetwork, vi.Family);
        Assert.Equal(
            [new VirtualAddress(IPAddress.Parse("192.0.2.10"), 24, "eth0"), new VirtualAddress(IPAddress.Parse("198.51.100.1"), 24, "eth0")],
            vi.VirtualAddresses);
        Assert.Equal(new GarpSettings(TimeSpan.FromSeconds(5), 5, TimeSpan.Zero, 1), vi.Garp);
        Assert.Null(vi.Authentication);

        var vs = Assert.Single(c.VirtualServers);
        Assert.Equal("TCP 192.0.2.10:80", vs.Endpoint);
        Assert.Equal((Scheduler.Wlc, ForwardingMethod.Nat), (vs.Scheduler, vs.RealServers[0].Forwarding));
        Assert.Equal((1, 0), (vs.Quorum, vs.Hysteresis));
        Assert.Equal(["web1", "web2"], vs.RealServers.Select(r => r.Name));
        var rs = vs.RealServers[0];
        Assert.Equal((IPAddress.Parse("198.51.100.11"), 80, 1), (rs.Address, rs.Port, rs.Weight)); // port defaults to the service's
        Assert.Equal(HealthCheckKind.HttpGet, rs.Check.Kind); // inherited from [virtual_server web]
        Assert.Equal("/healthz", rs.Check.UrlPath);
        Assert.Equal([new StatusCodeRange(200, 299)], rs.Check.StatusCodes);
        Assert.Equal((TimeSpan.FromSeconds(60), TimeSpan.FromSeconds(5), 1, TimeSpan.FromSeconds(1)),
            (rs.Check.DelayLoop, rs.Check.ConnectTimeout, rs.Check.Retry, rs.Check.DelayBeforeRetry));

        Assert.Equal(new IpvsTimeouts(TimeSpan.FromSeconds(900), TimeSpan.FromSeconds(120), TimeSpan.FromSeconds(300)), c.IpvsTimeouts);
        Assert.True(c.Sync.Enabled);
        Assert.Equal("eth1", c.Sync.Interface);
        Assert.Null(c.Sync.SyncId);
        Assert.Null(c.Sync.RefreshPeriod);
        Assert.Equal(("/dev/ttyS1", 115200, TimeSpan.FromMilliseconds(100), TimeSpan.FromMilliseconds(400)),
            (c.SerialHeartbeat.Device, c.SerialHeartbeat.Baud, c.SerialHeartbeat.Interval, c.SerialHeartbeat.DeadTime));
        Assert.Equal(new WatchdogSettings(true, "/dev/watchdog", TimeSpan.FromSeconds(2), false), c.Watchdog);
        Assert.Equal(new ConsoleSettings(true, "/dev/ttyS0", 115200, null), c.Console);
        Assert.Equal(new FrontPanelLeds(null, null, null), c.Leds);
    }

    [Fact]
    public void Two_loads_of_one_text_are_equal_and_a_change_is_not()
    {
        Assert.Equal(Valid_(Valid), Valid_(Valid));
        Assert.NotEqual(Valid_(Valid), Valid_(Swap("priority = 150", "priority = 151")));
    }

    [Fact]
    public void Keepalived_aliases_are_accepted()
    {
        var c = Valid_(With("[virtual_server web]", "lvs_sched = rr", "lvs_method = DR", "nb_get_retry = 4"));
        var vs = c.VirtualServers[0];
        Assert.Equal(Scheduler.Rr, vs.Scheduler);
        Assert.Equal(ForwardingMethod.DirectRouting, vs.RealServers[0].Forwarding);
        Assert.Equal(4, vs.RealServers[0].Check.Retry);
    }

    [Fact]
    public void Alias_and_canonical_key_together_cite_both_lines()
    {
        var text = With("[virtual_server web]", "retry = 2", "nb_get_retry = 3");
        OneError(text, "nb_get_retry", $"'nb_get_retry' is keepalived's name for 'retry', which is already set at t.ini:{LineOf(text, "retry = 2")}");
    }

    [Theory]
    [InlineData("[vrrp_instance VI_1]", "priorty = 100", "unknown key 'priorty' in [vrrp_instance VI_1]; did you mean 'priority'?")]
    [InlineData("[vrrp_instance VI_1]", "virtual_router = 5", "did you mean 'virtual_router_id'?")]
    [InlineData("[vrrp_instance VI_1]", "advert_itn = 1", "did you mean 'advert_int'?")]
    [InlineData("[global]", "nodename = x", "did you mean 'node_name'?")]
    [InlineData("[virtual_server web]", "lb_algorithm = rr", "did you mean 'lb_algo'?")]
    [InlineData("[virtual_server web]", "nb_get_retyr = 2", "did you mean 'nb_get_retry'?")]
    [InlineData("[vrrp_instance VI_1]", "delay_loop = 3", "unknown key 'delay_loop' in [vrrp_instance VI_1]; it belongs in [virtual_server] or [real_server]")]
    [InlineData("[global]", "frobnicate = 1", "unknown key 'frobnicate' in [global]")]
    public void Unknown_keys_are_errors_with_suggestions(string header, string line, string message)
    {
        var e = OneError(With(header, line), line, message);
        if (!message.Contains("did you mean") && !message.Contains("belongs")) Assert.DoesNotContain("did you mean", e.Message);
    }

    [Theory]
    [InlineData("[vrrp_instanse VI_2]", "unknown section type [vrrp_instanse]; did you mean [vrrp_instance]?")]
    [InlineData("[realserver web3]", "did you mean [real_server]?")]
    [InlineData("[zzz]", "unknown section type [zzz]; known: global, vrrp_instance")]
    public void Unknown_sections_are_errors_with_suggestions(string header, string message)
    {
        OneError(Valid + header + "\nk = 1\n", header, message);
    }

    [Fact]
    public void Each_unknown_section_header_is_reported()
    {
        var text = Valid + "[vrrp_instanse A]\n[vrrp_instanse B]\n";
        var r = Load(text);
        Assert.Equal([LineOf(text, "[vrrp_instanse A]"), LineOf(text, "[vrrp_instanse B]")], r.Errors.Select(e => e.Line));
    }

    [Fact]
    public void Empty_named_section_without_name_is_reported()
    {
        OneError(Valid + "[vrrp_instance]\n", "[vrrp_instance]\n".TrimEnd(), "[vrrp_instance] needs a name");
    }

    [Fact]
    public void Named_section_without_name_and_singleton_with_name_are_errors()
    {
        OneError(Valid + "[real_server]\naddress = 198.51.100.13\n", "[real_server]", "[real_server] needs a name, for example [real_server web1]");
        OneError(Valid + "[watchdog main]\ntimeout = 2\n", "[watchdog main]", "[watchdog main]: [watchdog] takes no name; write [watchdog]");
        // Its keys are still checked.
        var r = Load(Valid + "[watchdog main]\ntimeout = 99\n");
        Assert.Equal(2, r.Errors.Count);
        Assert.Contains("timeout: 99 is out of range", r.Errors[1].Message);
        // A named [global] is reported once, not also as a missing [global].
        var text = Valid.Replace("[global]", "[global main]");
        OneError(text, "[global main]", "[global main]: [global] takes no name; write [global]");
    }

    [Theory]
    [InlineData("node_name = director-a", "node_name")]
    [InlineData("node_id = 1", "node_id")]
    [InlineData("public_interface = eth0", "public_interface")]
    [InlineData("heartbeat_interface = eth1", "heartbeat_interface")]
    public void Required_global_keys(string line, string key)
    {
        OneError(Swap(line, ""), "[global]", $"[global]: missing required key '{key}'");
    }

    [Fact]
    public void Required_instance_and_server_keys()
    {
        OneError(Swap("virtual_router_id = 51", ""), "[vrrp_instance VI_1]", "missing required key 'virtual_router_id' (1-255)");
        var noVip = Swap("virtual_ipaddress = 192.0.2.10/24, 198.51.100.1/24 dev eth0", "");
        var r = Load(noVip);
        Assert.Contains(r.Errors, e => e.Message.Contains("missing required key 'virtual_ipaddress'"));
        OneError(Swap("address = 198.51.100.12\n", "\n"), "[real_server web2]", "[real_server web2]: missing required key 'address'");
        OneError(Swap("virtual_server = web\naddress = 198.51.100.12", "address = 198.51.100.12"), "[real_server web2]", "missing required key 'virtual_server'");
    }

    [Fact]
    public void Missing_sections()
    {
        var noGlobal = Valid[Valid.IndexOf("[vrrp_instance", StringComparison.Ordinal)..];
        var r = Load(noGlobal);
        Assert.Contains(r.Errors, e => e.Line == 1 && e.Message.StartsWith("missing section [global]"));

        OneError(Swap("[serial_heartbeat]\nkey = 0123456789abcdef0123", ""), "[global]", "missing section [serial_heartbeat] with its shared 'key'");
        Valid_(Swap("key = 0123456789abcdef0123", "enabled = no"));

        var noVrrp = Valid.Replace("[vrrp_instance VI_1]\nvirtual_router_id = 51\npriority = 150\nadvert_int = 1\nvirtual_ipaddress = 192.0.2.10/24, 198.51.100.1/24 dev eth0\n", "");
        r = Load(noVrrp);
        Assert.Contains(r.Errors, e => e.Message.StartsWith("no [vrrp_instance NAME] section"));
    }

    [Theory]
    [InlineData("priority = 150", "priority = 256", "priority: 256 is out of range 1-255")]
    [InlineData("priority = 150", "priority = 0", "priority: 0 is out of range 1-255")]
    [InlineData("priority = 150", "priority = -1", "priority: -1 is out of range 1-255")]
    [InlineData("priority = 150", "priority = high", "priority: 'high' is not a whole number")]
    [InlineData("priority = 150", "priority = 1e2", "priority: '1e2' is not a whole number")]
    [InlineData("priority = 150", "priority = 99999999999999999999999", "is not a whole number")]
    [InlineData("virtual_router_id = 51", "virtual_router_id = 256", "virtual_router_id: 256 is out of range 1-255")]
    [InlineData("node_id = 1", "node_id = 0", "node_id: 0 is out of range 1-255")]
    [InlineData("advert_int = 1", "advert_int = 0.015", "advert_int: 0.015 is finer than this setting's resolution of 10ms; it would be rounded")]
    [InlineData("advert_int = 1", "advert_int = 41", "advert_int: 41 is out of range 10ms-40.95s")]
    [InlineData("advert_int = 1", "advert_int = 0", "advert_int: 0 is out of range 10ms-40.95s")]
    [InlineData("advert_int = 1", "advert_int = fast", "advert_int: 'fast' is not a duration")]
    [InlineData("advert_int = 1", "advert_int = 1.", "is not a duration")]
    [InlineData("port = 80\ncheck", "port = 65536\ncheck", "port: 65536 is out of range 0-65535")]
    [InlineData("address = 198.51.100.11", "address = 198.51.100.11\nweight = 65536", "weight: 65536 is out of range 0-65535")]
    [InlineData("public_interface = eth0", "public_interface = averyveryverylong0", "public_interface: interface name 'averyveryverylong0' is 18 characters; Linux allows at most 15")]
    [InlineData("public_interface = eth0", "public_interface = eth/0", "'eth/0' is not a valid interface name")]
    [InlineData("public_interface = eth0", "public_interface = eth0:1", "'eth0:1' is not a valid interface name")]
    [InlineData("node_name = director-a", "node_name = director_a!", "node_name: 'director_a!' is not a host name")]
    [InlineData("\naddress = 192.0.2.10", "\naddress = 192.0.2.300", "address: '192.0.2.300' is not an IPv4 address")]
    [InlineData("\naddress = 192.0.2.10", "\naddress = 192.0.02.10", "is not an IPv4 address (four numbers 0-255 separated by dots, no leading zeros)")]
    [InlineData("\naddress = 192.0.2.10", "\naddress = 10.1", "'10.1' is not an IPv4 address")]
    [InlineData("address = 198.51.100.11", "address = fe80::1%eth0", "'fe80::1%eth0' is not an IPv6 address (write it without brackets or %zone)")]
    [InlineData("port = 80\ncheck", "port = 80\nprotocol = ICMP\ncheck", "protocol: 'ICMP' is not one of TCP, UDP, SCTP")]
    [InlineData("url_path = /healthz", "url_path = healthz", "url_path: 'healthz' must start with '/'")]
    [InlineData("url_path = /healthz", "url_path = /healthz\nstatus_code = 200, 700", "status_code: '700' is not an HTTP status 100-599")]
    [InlineData("url_path = /healthz", "url_path = /healthz\nstatus_code = 299-200", "status_code: '299-200' is not an HTTP status")]
    [InlineData("url_path = /healthz", "url_path = /healthz\nstatus_code = 200,,301", "status_code: empty item in the list")]
    [InlineData("url_path = /healthz", "url_path = /healthz\ndigest = abc", "digest: expected the MD5 of the page as 32 hexadecimal digits")]
    [InlineData("url_path = /healthz", "url_path = /healthz\ncheck_x = 1", "did you mean 'check'?")]
    [InlineData("check = HTTP_GET", "check = HTTP_GETT", "check: 'HTTP_GETT' is not one of none, TCP_CHECK, HTTP_GET, SSL_GET, MISC_CHECK, DNS_CHECK; did you mean 'HTTP_GET'?")]
    [InlineData("node_id = 1", "node_id = 1\nlog_level = verbose", "log_level: 'verbose' is not one of error, warning, notice, info, debug")]
    [InlineData("node_id = 1", "node_id = 1\ngroup_failover = maybe", "group_failover: 'maybe' is not yes or no")]
    [InlineData("node_id = 1", "node_id =", "node_id: value is empty; remove the line to use the default, or give a value")]
    public void Bad_values_are_refused_never_clamped(string line, string replacement, string message)
    {
        var at = replacement.Split('\n').First(l => l.Length > 0 && !Valid.Contains(l + "\n"));
        OneError(Swap(line, replacement), at, message);
    }

    [Theory]
    [InlineData("2s", 2000)]
    [InlineData("250ms", 250)]
    [InlineData("0.5", 500)]
    [InlineData("0.5s", 500)]
    [InlineData("1.25", 1250)]
    public void Durations_take_units(string value, int ms)
    {
        var c = Valid_(With("[virtual_server web]", $"delay_loop = {value}"));
        Assert.Equal(TimeSpan.FromMilliseconds(ms), c.VirtualServers[0].RealServers[0].Check.DelayLoop);
    }

    [Fact]
    public void Serial_interval_unit_is_milliseconds()
    {
        var c = Valid_(With("[serial_heartbeat]", "interval = 50", "dead_time = 500"));
        Assert.Equal(TimeSpan.FromMilliseconds(50), c.SerialHeartbeat.Interval);
        Assert.Equal(TimeSpan.FromMilliseconds(500), c.SerialHeartbeat.DeadTime);
    }

    [Fact]
    public void Advert_int_in_centiseconds_for_v3_and_whole_seconds_for_v2()
    {
        Assert.Equal(TimeSpan.FromMilliseconds(40950), Valid_(Swap("advert_int = 1", "advert_int = 40.95")).VrrpInstances[0].AdvertInterval);
        Assert.Equal(TimeSpan.FromMilliseconds(10), Valid_(Swap("advert_int = 1", "advert_int = 0.01")).VrrpInstances[0].AdvertInterval);
        OneError(Swap("advert_int = 1", "advert_int = 0.5\nversion = 2"), "advert_int", "advert_int: 0.5 is finer than this setting's resolution of 1s");
        Assert.Equal(2, Valid_(Swap("advert_int = 1", "advert_int = 3\nversion = 2")).VrrpInstances[0].Version);
        OneError(Swap("advert_int = 1", "advert_int = 1\nversion = 4"), "version", "version: 4 is out of range 2-3");
    }

    [Fact]
    public void Vrrp_rules()
    {
        OneError(With("[vrrp_instance VI_1]", "auth_type = PASS", "auth_pass = secret1"), "auth_type", "authentication is not part of VRRP version 3");
        var v2 = With("[vrrp_instance VI_1]", "version = 2", "auth_type = PASS", "auth_pass = secret1");
        var auth = Valid_(v2).VrrpInstances[0].Authentication;
        Assert.NotNull(auth);
        Assert.Equal("secret1"u8.ToArray(), auth.Password.Reveal().ToArray());
        var e = OneError(With("[vrrp_instance VI_1]", "version = 2", "auth_type = PASS", "auth_pass = ninechars"), "auth_pass", "auth_pass: the password is 9 bytes; VRRPv2 carries 1-8 bytes and a longer one would be cut");
        Assert.DoesNotContain("ninechars", e.Message);

        OneError(With("[vrrp_instance VI_1]", "preempt = no", "preempt_delay = 10"), "preempt_delay", "preempt_delay has no effect with preempt = no");
        Assert.False(Valid_(With("[vrrp_instance VI_1]", "preempt = no")).VrrpInstances[0].Preempt);
        Assert.Equal(TimeSpan.FromSeconds(4.12), Valid_(With("[vrrp_instance VI_1]", "preempt_delay = 4.12")).VrrpInstances[0].PreemptDelay);
        OneError(With("[vrrp_instance VI_1]", "preempt_delay = 4.125"), "preempt_delay", "preempt_delay: 4.125 is finer than this setting's resolution of 10ms");
        OneError(With("[vrrp_instance VI_1]", "preempt_delay = 1001"), "preempt_delay", "preempt_delay: 1001 is out of range 0s-1000s");
        OneError(With("[vrrp_instance VI_1]", "state = PRIMARY"), "state", "state: 'PRIMARY' is not one of BACKUP, MASTER");
        Assert.True(Valid_(Swap("priority = 150", "priority = 255")).VrrpInstances[0].IsAddressOwner);
    }

    [Fact]
    public void Virtual_addresses()
    {
        var vi = Valid_(Swap("virtual_ipaddress = 192.0.2.10/24, 198.51.100.1/24 dev eth0", "virtual_ipaddress = 192.0.2.10/24 dev eth2, 198.51.100.1 dev eth2")).VrrpInstances[0];
        Assert.Equal(new VirtualAddress(IPAddress.Parse("192.0.2.10"), 24, "eth2"), vi.VirtualAddresses[0]);
        Assert.Equal(32, vi.VirtualAddresses[1].PrefixLength);

        const string vipLine = "virtual_ipaddress = 192.0.2.10/24, 198.51.100.1/24 dev eth0";
        OneError(Swap(vipLine, "virtual_ipaddress = 192.0.2.10/33, 198.51.100.1/24"), "virtual_ipaddress", "virtual_ipaddress: prefix length of 192.0.2.10: 33 is out of range 1-32");
        OneError(Swap(vipLine, "virtual_ipaddress = 192.0.2.10/24, 198.51.100.1/24 dev eth0, 2001:db8::1/64"), "virtual_ipaddress", "mixes IPv4 and IPv6");
        OneError(Swap(vipLine, "virtual_ipaddress = 192.0.2.10/24, 198.51.100.1/24 label x"), "virtual_ipaddress", "is not 'ADDRESS/PREFIX' or 'ADDRESS/PREFIX dev INTERFACE'");
        OneError(Swap(vipLine, "virtual_ipaddress = 192.0.2.10/24, 198.51.100.1/24 dev averyveryverylong0"), "virtual_ipaddress", "Linux allows at most 15");
        OneError(Swap(vipLine, "virtual_ipaddress = 192.0.2.10/24, 192.0.2.10/24, 198.51.100.1"), "virtual_ipaddress", "192.0.2.10 is listed twice");
        OneError(Swap(vipLine, "virtual_ipaddress = 192.0.2.10/24, 224.0.0.5, 198.51.100.1"), "virtual_ipaddress", "224.0.0.5 cannot be a virtual address");
        OneError(Swap(vipLine, "virtual_ipaddress = 192.0.2.10/24, 198.51.100.1/24 dev eth2"), "virtual_ipaddress", "virtual_ipaddress: the addresses are on eth0, eth2; one instance moves addresses on one public NIC");
    }

    [Fact]
    public void Ipv6_instance_needs_version_3()
    {
        var text = Valid.Replace("virtual_ipaddress = 192.0.2.10/24, 198.51.100.1/24 dev eth0", "virtual_ipaddress = 192.0.2.10/24, 198.51.100.1/24\nversion = 2")
            + "[vrrp_instance VI_6]\nvirtual_router_id = 51\nversion = 2\nvirtual_ipaddress = 2001:db8::10/64\n";
        OneError(text, "virtual_ipaddress = 2001:db8::10/64", "VRRP version 2 is IPv4 only");
        // Same VRID on the same link is fine for another family (RFC 5798 section 5.2.3: separate spaces).
        var c = Valid_(Valid + "[vrrp_instance VI_6]\nvirtual_router_id = 51\nvirtual_ipaddress = 2001:db8::10/64\n");
        Assert.Equal(AddressFamily.InterNetworkV6, c.VrrpInstances[1].Family);
    }

    [Fact]
    public void Duplicate_vrid_error_names_the_first_instance_and_line()
    {
        var text = Valid + "[vrrp_instance VI_2]\nvirtual_router_id = 51\nvirtual_ipaddress = 192.0.2.20/24\n";
        var r = Load(text);
        var e = Assert.Single(r.Errors);
        Assert.Equal(text.Split('\n').Length - 2, e.Line);
        Assert.Equal($"virtual_router_id 51 on eth1 (IPv4) is already used by [vrrp_instance VI_1] at t.ini:{LineOf(text, "virtual_router_id = 51")}", e.Message);
        // On another interface it is a different virtual router.
        Valid_(Valid + "[vrrp_instance VI_2]\ninterface = eth2\nvirtual_router_id = 51\nvirtual_ipaddress = 192.0.2.20/24\n");
    }

    [Fact]
    public void Vip_collisions_are_errors_citing_both_places()
    {
        var text = Valid + "[vrrp_instance VI_2]\nvirtual_router_id = 52\nvirtual_ipaddress = 192.0.2.10/24\n";
        var r = Load(text);
        var e = Assert.Single(r.Errors);
        Assert.Equal(text.Split('\n').Length - 1, e.Line);
        Assert.Equal($"virtual_ipaddress: 192.0.2.10 is already a virtual address of [vrrp_instance VI_1] at t.ini:{LineOf(text, "virtual_ipaddress")}", e.Message);

        OneError(Swap("address = 198.51.100.11", "address = 198.51.100.1"), "address = 198.51.100.1", "address: real server 198.51.100.1 is a virtual address of [vrrp_instance VI_1]");
        OneError(Swap("\naddress = 192.0.2.10", "\naddress = 192.0.2.99"), "address = 192.0.2.99", "address: 192.0.2.99 is not a virtual_ipaddress of any [vrrp_instance]");
        OneError(With("[vrrp_instance VI_1]", "unicast_peer = 192.0.2.10"), "unicast_peer", "unicast_peer: 192.0.2.10 is a virtual address");
        OneError(With("[virtual_server web]", "sorry_server = 192.0.2.10 80"), "sorry_server", "sorry_server: 192.0.2.10 is a virtual address");
    }

    [Fact]
    public void Unicast_peers()
    {
        var vi = Valid_(With("[vrrp_instance VI_1]", "unicast_src_ip = 203.0.113.1", "unicast_peer = 203.0.113.2")).VrrpInstances[0];
        Assert.Equal([IPAddress.Parse("203.0.113.2")], vi.UnicastPeers);
        OneError(With("[vrrp_instance VI_1]", "unicast_peer = 203.0.113.2, 203.0.113.3"), "unicast_peer", "unicast_peer: 2 peers; a director pair has one partner");
        Assert.Equal(IPAddress.Parse("203.0.113.1"), vi.UnicastSource);
        OneError(With("[vrrp_instance VI_1]", "unicast_peer = 2001:db8::2"), "unicast_peer", "unicast_peer: 2001:db8::2 is IPv6 but the instance's addresses are IPv4");
        OneError(With("[vrrp_instance VI_1]", "unicast_src_ip = 2001:db8::1", "unicast_peer = 203.0.113.2"), "unicast_src_ip", "unicast_src_ip: 2001:db8::1 is IPv6");
        OneError(With("[vrrp_instance VI_1]", "unicast_src_ip = 203.0.113.1"), "unicast_src_ip", "unicast_src_ip is only used with unicast_peer");
    }

    [Fact]
    public void Notify_commands_must_be_absolute()
    {
        var vi = Valid_(With("[vrrp_instance VI_1]", "notify_master = \"/usr/bin/logger -t vrrp master\"")).VrrpInstances[0];
        Assert.Equal("/usr/bin/logger -t vrrp master", vi.Notify.Master);
        OneError(With("[vrrp_instance VI_1]", "notify_backup = logger backup"), "notify_backup", "notify_backup: command 'logger' must be an absolute path");
        // Split as the hook runner splits it (Core.CommandWords): an unclosed quote is refused at check-config.
        OneError(With("[vrrp_instance VI_1]", "notify_fault = /usr/bin/logger 'fault"), "notify_fault", "missing terminating '");
    }

    [Fact]
    public void Track_interfaces()
    {
        Assert.Equal(["eth0", "eth2"], Valid_(With("[vrrp_instance VI_1]", "track_interface = eth0, eth2")).VrrpInstances[0].TrackInterfaces);
        OneError(With("[vrrp_instance VI_1]", "track_interface = eth0, eth0"), "track_interface", "eth0 is listed twice");
        OneError(With("[vrrp_instance VI_1]", "track_interface = eth0, 0123456789abcdef"), "track_interface", "Linux allows at most 15");
    }

    [Fact]
    public void Peer_type_and_peer_public_address()
    {
        var g = Valid_(With("[global]", "peer_type = keepalived", "peer_public_address = 192.0.2.3").Replace("key = 0123456789abcdef0123", "enabled = no")).Global;
        Assert.Equal((PeerType.Keepalived, false, IPAddress.Parse("192.0.2.3")), (g.PeerType, g.PeerIsAppliance, g.PeerPublicAddress));
        Assert.True(Valid_(Valid).Global.PeerIsAppliance);
        // With keepalived on the other end the serial heartbeat is off by default, and refused when asked for.
        Assert.False(Valid_(With("[global]", "peer_type = keepalived")).SerialHeartbeat.Enabled);
        Valid_(With("[global]", "peer_type = keepalived").Replace("[serial_heartbeat]\nkey = 0123456789abcdef0123\n", ""));
        var text = With("[global]", "peer_type = keepalived").Replace("[serial_heartbeat]\n", "[serial_heartbeat]\nenabled = yes\n");
        OneError(text, "enabled = yes", $"[serial_heartbeat] enabled = yes, but peer_type = keepalived (line {LineOf(text, "peer_type")}): the serial heartbeat needs an appliance on the other end");
        OneError(With("[global]", "peer_public_address = 192.0.2.10"), "peer_public_address", "peer_public_address: 192.0.2.10 is a virtual address of [vrrp_instance VI_1]");
        OneError(With("[global]", "peer_type = heartbeat"), "peer_type", "peer_type: 'heartbeat' is not one of appliance, keepalived");
    }

    [Fact]
    public void Public_and_heartbeat_interface_must_differ()
    {
        OneError(Swap("heartbeat_interface = eth1", "heartbeat_interface = eth0"), "heartbeat_interface", "heartbeat_interface: eth0 is also the public_interface");
    }
}
