using System.Net;
using System.Net.Sockets;
using Appliance.Config;
using Xunit;
using static Appliance.Tests.Config.ConfigText;

namespace Appliance.Tests.Config;

public class ServiceTests
{
    [Theory]
    [InlineData("rr", Scheduler.Rr)] [InlineData("wrr", Scheduler.Wrr)] [InlineData("lc", Scheduler.Lc)]
    [InlineData("wlc", Scheduler.Wlc)] [InlineData("lblc", Scheduler.Lblc)] [InlineData("lblcr", Scheduler.Lblcr)]
    [InlineData("dh", Scheduler.Dh)] [InlineData("sh", Scheduler.Sh)] [InlineData("sed", Scheduler.Sed)]
    [InlineData("nq", Scheduler.Nq)] [InlineData("fo", Scheduler.Fo)] [InlineData("ovf", Scheduler.Ovf)]
    [InlineData("mh", Scheduler.Mh)] [InlineData("twos", Scheduler.Twos)] [InlineData("WRR", Scheduler.Wrr)]
    public void Every_kernel_scheduler(string name, Scheduler expected)
    {
        Assert.Equal(expected, Valid_(With("[virtual_server web]", $"lb_algo = {name}")).VirtualServers[0].Scheduler);
    }

    [Fact]
    public void Scheduler_flags_must_match_the_scheduler()
    {
        var vs = Valid_(With("[virtual_server web]", "lb_algo = sh", "sched_flags = sh-fallback, sh-port")).VirtualServers[0];
        Assert.Equal(SchedulerFlags.ShFallback | SchedulerFlags.ShPort, vs.SchedulerFlags);
        Assert.Equal(SchedulerFlags.MhPort, Valid_(With("[virtual_server web]", "lb_algo = mh", "sched_flags = mh-port")).VirtualServers[0].SchedulerFlags);
        OneError(With("[virtual_server web]", "lb_algo = rr", "sched_flags = sh-port"), "sched_flags", "sched_flags: sh-port applies to the sh scheduler, but lb_algo is rr");
        OneError(With("[virtual_server web]", "lb_algo = sh", "sched_flags = mh-port"), "sched_flags", "mh-port applies to the mh scheduler");
        OneError(With("[virtual_server web]", "lb_algo = sh", "sched_flags = flag-9"), "sched_flags", "'flag-9' is not one of sh-fallback, sh-port, mh-fallback, mh-port");
    }

    [Fact]
    public void Forwarding_methods_and_tunnels()
    {
        Assert.Equal(ForwardingMethod.DirectRouting, Valid_(With("[virtual_server web]", "lb_kind = DR")).VirtualServers[0].RealServers[0].Forwarding);
        var rs = Valid_(With("[virtual_server web]", "lb_kind = TUN", "tun_type = gue", "tun_port = 6080", "tun_flags = remcsum")).VirtualServers[0].RealServers[0];
        Assert.Equal(new TunnelSettings(TunnelType.Gue, 6080, TunnelChecksum.RemoteChecksum), rs.Tunnel);
        Assert.Equal(new TunnelSettings(TunnelType.Ipip, 0, TunnelChecksum.NoChecksum), Valid_(With("[virtual_server web]", "lb_kind = TUN")).VirtualServers[0].RealServers[0].Tunnel);
        OneError(With("[virtual_server web]", "lb_kind = TUN", "tun_type = gue"), "[virtual_server web]", "missing required key 'tun_port'");
        OneError(With("[virtual_server web]", "lb_kind = TUN", "tun_type = gre", "tun_port = 1"), "tun_port", "tun_port applies only to tun_type = gue");
        OneError(With("[virtual_server web]", "lb_kind = TUN", "tun_type = gre", "tun_flags = remcsum"), "tun_flags", "remcsum (remote checksum offload) exists only for gue");
        OneError(With("[virtual_server web]", "lb_kind = TUN", "tun_flags = csum"), "tun_flags", "tun_flags applies only to tun_type = gue or gre");
        OneError(With("[virtual_server web]", "tun_type = ipip"), "tun_type", "tun_type applies only to lb_kind = TUN");
        OneError(With("[virtual_server web]", "lb_kind = MASQ"), "lb_kind", "lb_kind: 'MASQ' is not one of NAT, DR, TUN");
    }

    [Fact]
    public void Dr_and_tun_cannot_change_the_port()
    {
        OneError(Swap("address = 198.51.100.12\nport = 80", "address = 198.51.100.12\nport = 8080").Replace("[virtual_server web]\n", "[virtual_server web]\nlb_kind = DR\n"),
            "port = 8080", "port: DR forwarding cannot change the destination port; the real server must listen on the virtual server's port 80");
        var c = Valid_(Swap("address = 198.51.100.12\nport = 80", "address = 198.51.100.12\nport = 8080"));
        Assert.Equal(8080, c.VirtualServers[0].RealServers[1].Port);
    }

    [Fact]
    public void Persistence()
    {
        var vs = Valid_(With("[virtual_server web]", "persistence_timeout = 300", "persistence_granularity = 255.255.255.0")).VirtualServers[0];
        Assert.Equal((TimeSpan.FromSeconds(300), 24), (vs.PersistenceTimeout, vs.PersistencePrefixLength));
        Assert.Equal(16, Valid_(With("[virtual_server web]", "persistence_timeout = 300", "persistence_granularity = 16")).VirtualServers[0].PersistencePrefixLength);
        OneError(With("[virtual_server web]", "persistence_granularity = 255.255.255.0"), "persistence_granularity", "persistence_granularity needs persistence_timeout");
        OneError(With("[virtual_server web]", "persistence_timeout = 300", "persistence_granularity = 255.0.255.0"), "persistence_granularity", "is not a contiguous netmask");
        OneError(With("[virtual_server web]", "persistence_timeout = 300", "persistence_granularity = 33"), "persistence_granularity", "33 is out of range 1-32");
        OneError(Swap("port = 80\ncheck", "port = 0\ncheck"), "port = 0", "port: 0 (all ports) is allowed only with persistence_timeout");
        Assert.Equal(0, Valid_(Swap("port = 80\ncheck", "port = 0\npersistence_timeout = 60\ncheck")).VirtualServers[0].Port);
    }

    [Fact]
    public void One_packet_scheduling_is_udp_only()
    {
        Assert.True(Valid_(With("[virtual_server web]", "protocol = UDP", "ops = yes")).VirtualServers[0].OnePacket);
        OneError(With("[virtual_server web]", "ops = yes"), "ops", "ops: one-packet scheduling applies to UDP only; the kernel ignores it for TCP");
    }

    [Fact]
    public void Firewall_mark_services()
    {
        var text = Valid.Replace("address = 192.0.2.10\nport = 80\n", "fwmark = 7\nip_family = inet\n");
        var vs = Valid_(text).VirtualServers[0];
        Assert.True(vs.IsFirewallMark);
        Assert.Equal("FWM 7", vs.Endpoint);
        Assert.Null(vs.Address);
        Assert.Equal(0, vs.RealServers[0].Port);
        Assert.Equal(80, vs.RealServers[1].Port);

    }

    [Fact]
    public void Firewall_mark_rules()
    {
        var withPort = Valid.Replace("address = 192.0.2.10\nport = 80\n", "fwmark = 7\nprotocol = TCP\n");
        OneError(withPort, "protocol = TCP", "protocol: a fwmark service matches packets by their mark; protocol does not apply");
        OneError(Valid.Replace("address = 192.0.2.10\n", "address = 192.0.2.10\nfwmark = 7\n"), "fwmark = 7", "fwmark: a virtual server is either address/port/protocol or fwmark, not both");
        OneError(Valid.Replace("address = 192.0.2.10\nport = 80\n", ""), "[virtual_server web]", "missing required key 'address' (or fwmark for a firewall-mark service)");
        OneError(With("[virtual_server web]", "ip_family = inet6"), "ip_family", "ip_family applies only to fwmark services");
        OneError(Valid.Replace("address = 192.0.2.10\nport = 80\n", "fwmark = 0\n"), "fwmark = 0", "fwmark: 0 is out of range 1-4294967295");
        var v6 = Valid.Replace("address = 192.0.2.10\nport = 80\n", "fwmark = 7\nip_family = inet6\n");
        var r = Load(v6);
        Assert.Equal(2, r.Errors.Count);
        Assert.All(r.Errors, e => Assert.Contains("is IPv4 but [virtual_server web] is IPv6", e.Message));
    }

    [Fact]
    public void Address_family_of_real_servers_must_match_except_tunnels()
    {
        var text = Swap("address = 198.51.100.11", "address = 2001:db8::11");
        OneError(text, "address = 2001:db8::11", "address: real server 2001:db8::11 is IPv6 but [virtual_server web] is IPv4");
        var tun = text.Replace("[virtual_server web]\n", "[virtual_server web]\nlb_kind = TUN\n");
        Assert.Equal(AddressFamily.InterNetworkV6, Valid_(tun).VirtualServers[0].RealServers[0].Address.AddressFamily);
    }

    [Fact]
    public void Ipv6_service()
    {
        var text = Valid
            .Replace("virtual_ipaddress = 192.0.2.10/24, 198.51.100.1/24 dev eth0", "virtual_ipaddress = 2001:db8::10/64")
            .Replace("address = 192.0.2.10", "address = 2001:db8::10")
            .Replace("address = 198.51.100.11", "address = 2001:db8:1::11")
            .Replace("address = 198.51.100.12", "address = 2001:db8:1::12");
        var vs = Valid_(text).VirtualServers[0];
        Assert.Equal("TCP [2001:db8::10]:80", vs.Endpoint);
        Assert.Equal("[2001:db8:1::11]:80", vs.RealServers[0].ToString());
    }

    [Fact]
    public void References_between_sections()
    {
        var text = Swap("virtual_server = web\naddress = 198.51.100.12", "virtual_server = wbe\naddress = 198.51.100.12");
        OneError(text, "virtual_server = wbe", "virtual_server: there is no [virtual_server wbe]; did you mean 'web'?");
        text = Swap("virtual_server = web\naddress = 198.51.100.12", "virtual_server = mail\naddress = 198.51.100.12");
        OneError(text, "virtual_server = mail", "virtual_server: there is no [virtual_server mail]; defined: web");
    }

    [Fact]
    public void Duplicate_services_and_real_servers_cite_both()
    {
        var text = Valid + "[virtual_server web_again]\naddress = 192.0.2.10\nport = 80\n";
        var e = Assert.Single(Load(text).Errors);
        Assert.Equal($"TCP 192.0.2.10:80 is already the service of [virtual_server web] at t.ini:{LineOf(text, "address = 192.0.2.10")}", e.Message);
        Assert.Equal(text.Split('\n').Length - 2, e.Line);

        text = Valid + "[real_server web3]\nvirtual_server = web\naddress = 198.51.100.11\n";
        e = Assert.Single(Load(text).Errors);
        Assert.Equal($"real server 198.51.100.11:80 is already [real_server web1] of this virtual server (at t.ini:{LineOf(text, "address = 198.51.100.11")})", e.Message);
        // Another port on the same host is another destination.
        Valid_(Valid + "[real_server web3]\nvirtual_server = web\naddress = 198.51.100.11\nport = 8080\n");
        // The same real server in a second service is fine.
        Valid_(Valid.Replace("virtual_ipaddress = 192.0.2.10/24,", "virtual_ipaddress = 192.0.2.10/24, 192.0.2.11/24,")
            + "[virtual_server web_b]\naddress = 192.0.2.11\nport = 80\n[real_server web_b1]\nvirtual_server = web_b\naddress = 198.51.100.11\n");
    }

    [Fact]
    public void Weights_thresholds_quorum()
    {
        var rs = Valid_(With("[real_server web1]", "weight = 0", "uthreshold = 100", "lthreshold = 50", "inhibit_on_failure = yes")).VirtualServers[0].RealServers[0];
        Assert.Equal((0, 100, 50, true), (rs.Weight, rs.UpperThreshold, rs.LowerThreshold, rs.InhibitOnFailure));
        OneError(With("[real_server web1]", "uthreshold = 10", "lthreshold = 50"), "lthreshold", "lthreshold 50 is above uthreshold 10");
        OneError(With("[virtual_server web]", "quorum = 3"), "quorum", "quorum 3 exceeds the total weight 2 of the real servers");
        OneError(With("[virtual_server web]", "quorum = 2", "hysteresis = 2"), "hysteresis", "hysteresis 2 must be smaller than quorum 2");
        var vs = Valid_(With("[virtual_server web]", "quorum = 2", "hysteresis = 1", "alpha = yes", "omega = yes", "quorum_up = /bin/true", "quorum_down = \"/bin/logger down\"")).VirtualServers[0];
        Assert.Equal((2, 1, true, true, "/bin/true", "/bin/logger down"), (vs.Quorum, vs.Hysteresis, vs.Alpha, vs.Omega, vs.QuorumUp, vs.QuorumDown));
    }

    [Fact]
    public void Sorry_server()
    {
        var vs = Valid_(With("[virtual_server web]", "sorry_server = 198.51.100.99 8080", "sorry_server_inhibit = yes")).VirtualServers[0];
        Assert.Equal(new SorryServer(IPAddress.Parse("198.51.100.99"), 8080, true), vs.SorryServer);
        OneError(With("[virtual_server web]", "sorry_server = 198.51.100.99"), "sorry_server", "sorry_server: '198.51.100.99' is not 'ADDRESS PORT'");
        OneError(With("[virtual_server web]", "sorry_server = 2001:db8::99 80"), "sorry_server", "is IPv6 but the service is IPv4");
        OneError(With("[virtual_server web]", "sorry_server_inhibit = yes"), "sorry_server_inhibit", "sorry_server_inhibit needs sorry_server");
    }

    [Fact]
    public void Real_server_overrides_virtual_server_check_keys()
    {
        var text = With("[real_server web2]", "url_path = /other", "retry = 5").Replace("url_path = /healthz\n", "url_path = /healthz\ndelay_loop = 3\n");
        var reals = Valid_(text).VirtualServers[0].RealServers;
        Assert.Equal(("/healthz", 1), (reals[0].Check.UrlPath, reals[0].Check.Retry));
        Assert.Equal(("/other", 5), (reals[1].Check.UrlPath, reals[1].Check.Retry));
        Assert.All(reals, r => Assert.Equal(TimeSpan.FromSeconds(3), r.Check.DelayLoop)); // inherited
        Assert.All(reals, r => Assert.Equal(HealthCheckKind.HttpGet, r.Check.Kind));
    }

    [Fact]
    public void Check_parameters_must_apply_to_the_check_kind()
    {
        OneError(With("[real_server web1]", "check = TCP_CHECK"), "url_path", "url_path does not apply to check = TCP_CHECK of [real_server web1]; it is used by HTTP_GET, SSL_GET");
        OneError(With("[real_server web1]", "misc_path = /bin/true"), "misc_path", "misc_path does not apply to check = HTTP_GET of [real_server web1]; it is used by MISC_CHECK");
        var noCheck = Valid.Replace("check = HTTP_GET\nurl_path = /healthz\n", "");
        Assert.Equal(HealthCheckKind.None, Valid_(noCheck).VirtualServers[0].RealServers[0].Check.Kind);
        OneError(noCheck.Replace("[real_server web1]\n", "[real_server web1]\ndelay_loop = 5\n"), "delay_loop", "delay_loop has no effect: [real_server web1] has check = none");
        OneError(noCheck.Replace("[real_server web1]\n", "[real_server web1]\ncheck = MISC_CHECK\n"), "[real_server web1]", "missing required key 'misc_path'");
        // A real server that picks another kind than its virtual server is told about the inherited keys that no longer apply.
        var e = Assert.Single(Load(With("[real_server web1]", "check = MISC_CHECK", "misc_path = /bin/true")).Errors);
        Assert.Equal("url_path does not apply to check = MISC_CHECK of [real_server web1]; it is used by HTTP_GET, SSL_GET", e.Message);
    }

    [Fact]
    public void Every_check_kind_with_its_parameters()
    {
        var http = Valid_(With("[virtual_server web]", "status_code = 200, 301-302", "virtualhost = www.example.com", "digest = 9B3A0C85A887A256D6939DA88AABD8CD", "body_contains = \"OK; ready\"", "connect_timeout = 0.5", "rise = 2", "fall = 3", "warmup = 0"))
            .VirtualServers[0].RealServers[0].Check;
        Assert.Equal([new StatusCodeRange(200, 200), new StatusCodeRange(301, 302)], http.StatusCodes);
        Assert.Equal(("www.example.com", "9b3a0c85a887a256d6939da88aabd8cd", "OK; ready"), (http.VirtualHost, http.Digest, http.BodyContains));
        Assert.Equal((TimeSpan.FromMilliseconds(500), 2, 3, TimeSpan.Zero), (http.ConnectTimeout, http.Rise, http.Fall, http.Warmup));

        var ssl = Valid_(Swap("check = HTTP_GET", "check = SSL_GET\ntls_verify = yes")).VirtualServers[0].RealServers[0].Check;
        Assert.Equal((HealthCheckKind.SslGet, true), (ssl.Kind, ssl.TlsVerify));
        OneError(With("[virtual_server web]", "tls_verify = yes"), "tls_verify", "tls_verify does not apply to check = HTTP_GET; it is used by SSL_GET");

        var plain = Valid.Replace("check = HTTP_GET\nurl_path = /healthz\n", "");
        var misc = Valid_(plain.Replace("[virtual_server web]\n", "[virtual_server web]\ncheck = MISC_CHECK\nmisc_path = \"/usr/lib/appliance/check web\"\nmisc_dynamic = yes\n"))
            .VirtualServers[0].RealServers[0].Check;
        Assert.Equal(("/usr/lib/appliance/check web", true, 0, TimeSpan.FromSeconds(60)), (misc.MiscPath, misc.MiscDynamic, misc.Retry, misc.MiscTimeout));

        var dns = Valid_(plain.Replace("[virtual_server web]\n", "[virtual_server web]\ncheck = DNS_CHECK\ndns_name = example.com\ndns_type = aaaa\n"))
            .VirtualServers[0].RealServers[0].Check;
        Assert.Equal((HealthCheckKind.DnsCheck, "example.com", "AAAA", 3), (dns.Kind, dns.DnsName, dns.DnsType, dns.Retry));

        var tcp = Valid_(plain.Replace("[virtual_server web]\n", "[virtual_server web]\ncheck = TCP_CHECK\nconnect_ip = 198.51.100.50\nconnect_port = 8080\n"))
            .VirtualServers[0].RealServers[0].Check;
        Assert.Equal((IPAddress.Parse("198.51.100.50"), (int?)8080), (tcp.ConnectIp, tcp.ConnectPort));
    }

    [Fact]
    public void A_bad_virtual_server_line_is_reported_once_not_per_real_server()
    {
        var r = Load(With("[virtual_server web]", "delay_loop = soon"));
        Assert.Single(r.Errors);
    }

    [Fact]
    public void Every_enum_value_has_its_name()
    {
        // The names are written out (no Enum.ToString at run time); a new enum value must get one.
        foreach (var v in Enum.GetValues<Scheduler>()) Assert.Equal(v.ToString().ToLowerInvariant(), v.KernelName());
        foreach (var v in Enum.GetValues<ServiceProtocol>()) Assert.Equal(v.ToString().ToUpperInvariant(), v.Name());
        foreach (var v in Enum.GetValues<TunnelType>()) Assert.Equal(v.ToString().ToLowerInvariant(), v.Name());
        foreach (var v in Enum.GetValues<ForwardingMethod>()) Assert.NotEmpty(v.Name());
        foreach (var v in Enum.GetValues<HealthCheckKind>()) Assert.NotEmpty(v.Name());
        foreach (var v in Enum.GetValues<Appliance.Logging.LogLevel>()) Assert.Equal(v.ToString().ToLowerInvariant(), v.Name());
        foreach (var v in Enum.GetValues<VrrpInitialState>()) Assert.Equal(v.ToString().ToUpperInvariant(), v.Name());
    }
}
