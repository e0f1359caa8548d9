using System.Net;
using Appliance.Ipvs;
using Xunit;

namespace Appliance.Tests.Ipvs;

public class RulesTests
{
    [Fact]
    public void Reads_what_ipvsadm_save_writes()
    {
        const string rules = """
            -A -t 192.0.2.100:80 -s rr
            -a -t 192.0.2.100:80 -r 10.0.0.12:8080 -m -w 2 -x 100 -y 10
            -a -t 192.0.2.100:80 -r 10.0.0.13 -g -w 1
            -a -t 192.0.2.100:80 -r 10.0.0.14:80 -i --tun-type gue --tun-port 6080 --tun-nocsum -w 2
            -A -t 192.0.2.100:443 -s sh -b sh-fallback,sh-port -p 600 -M 255.255.255.0
            -A -u 192.0.2.100:53 -s rr -o
            -A --sctp-service 192.0.2.100:3868 -s wrr
            -A -t [2001:db8::100]:80 -s lc -p 300 -M 64
            -a -t [2001:db8::100]:80 -r [2001:db8::12]:80 -m -w 4
            -A -f 7 -6 -s mh -b mh-fallback,mh-port
            -a -f 7 -6 -r [2001:db8::13]:0 -g -w 1
            """;
        var errors = new List<string>();
        var table = IpvsRules.Parse(rules, "r", errors);
        Assert.Empty(errors);
        Assert.Equal(6, table.Services.Count);
        var http = table.Services[0];
        Assert.Equal(new IpvsService(ServiceKey.For(IpvsProtocol.Tcp, IPAddress.Parse("192.0.2.100"), 80), "rr"), http.Service);
        Assert.Equal(new IpvsDestination(IPAddress.Parse("10.0.0.12"), 8080, ForwardMethod.Masq, 2, 100, 10), http.Destinations[0]);
        Assert.Equal(new IpvsDestination(IPAddress.Parse("10.0.0.13"), 80, ForwardMethod.Route, 1), http.Destinations[1]);
        Assert.Equal(new IpvsDestination(IPAddress.Parse("10.0.0.14"), 80, ForwardMethod.Tunnel, 2, TunnelType: TunnelType.Gue, TunnelPort: 6080), http.Destinations[2]);
        Assert.Equal(new IpvsService(ServiceKey.For(IpvsProtocol.Tcp, IPAddress.Parse("192.0.2.100"), 443), "sh",
            ServiceFlags.Persistent | ServiceFlags.Sched1 | ServiceFlags.Sched2, 600, IpvsService.V4Netmask(24)), table.Services[1].Service);
        Assert.Equal(ServiceFlags.OnePacket, table.Services[2].Service.Flags);
        Assert.Equal(IpvsProtocol.Sctp, table.Services[3].Service.Key.Protocol);
        Assert.Equal(64u, table.Services[4].Service.Netmask);
        Assert.Equal(ServiceKey.ForFirewallMark(7, IpvsFamily.Inet6), table.Services[5].Service.Key);
        Assert.Equal(0, table.Services[5].Destinations[0].Port);
    }

    [Fact]
    public void Bad_lines_are_reported_with_their_line_number()
    {
        var errors = new List<string>();
        IpvsRules.Parse("-A -t 192.0.2.1:80 -s rr\n-a -t 192.0.2.9:80 -r 10.0.0.1 -m\n-A -t nonsense -s rr\n-C\n-A -t 192.0.2.1:80 -s wlc\n", "r", errors);
        Assert.Equal(4, errors.Count);
        Assert.StartsWith("r:2: real server for TCP 192.0.2.9:80", errors[0]);
        Assert.StartsWith("r:3: bad service address", errors[1]);
        Assert.StartsWith("r:4: '-C' is not a rule", errors[2]);
        Assert.Equal("r:5: service TCP 192.0.2.1:80 is defined twice", errors[3]);
    }

    [Fact]
    public void Real_server_lines_take_tabs_CRLF_long_options_and_each_their_own_service()
    {
        var errors = new List<string>();
        var table = IpvsRules.Parse("-A -t 192.0.2.1:80 -s rr\r\n-A -t 192.0.2.2:80 -s rr\r\n" +
            "\t-a\t--tcp-service 192.0.2.1:80  --real-server 10.0.0.1:8080 --masquerading --weight 3 -x 9 -y 2\r\n" +
            "-a -t 192.0.2.2:80 -r 10.0.0.2 -i --tun-type gue --tun-port 6080 --tun-csum\n" +
            "-a -t 192.0.2.1:80 -r 10.0.0.3 -w\n" +
            "-a -t 192.0.2.1:80 -r 10.0.0.4 --tun-type foo\n", "r", errors);
        Assert.Equal(["r:5: unexpected '-w' in a real-server line", "r:6: unknown tunnel type 'foo'"], errors);
        var a = Assert.Single(table.Services[0].Destinations);
        Assert.Equal(new IpvsDestination(IPAddress.Parse("10.0.0.1"), 8080, ForwardMethod.Masq, 3, 9, 2), a);
        var b = Assert.Single(table.Services[1].Destinations);
        // No port on the real server: it takes the service's.
        Assert.Equal(new IpvsDestination(IPAddress.Parse("10.0.0.2"), 80, ForwardMethod.Tunnel, 1, 0, 0, TunnelType.Gue, 6080, TunnelFlags.Checksum), b);
    }
}
