using Appliance.Ipvs;
using Xunit;

namespace Appliance.Tests.Ipvs;

public class ListingTests
{
    [Theory]
    [InlineData(0UL, "        0")]
    [InlineData(99_999_999UL, " 99999999")]
    [InlineData(100_000_000UL, "  100000K")]
    [InlineData(1_000_000_000UL, "    1000M")]
    [InlineData(100_000_000_000UL, "     100G")]
    [InlineData(100_000_000_000_000UL, "     100T")]
    public void Large_numbers_like_ipvsadm(ulong value, string text) => Assert.Equal(text, IpvsListing.LargeNum(value));

    [Fact]
    public void Services_sort_with_libipvs_unsigned_wraparound()
    {
        // ntohl(10.0.0.1) - ntohl(192.0.2.1) as an int is positive: ipvsadm lists 192.0.2.1 first.
        var a = ServiceKey.For(IpvsProtocol.Tcp, System.Net.IPAddress.Parse("10.0.0.1"), 80);
        var b = ServiceKey.For(IpvsProtocol.Tcp, System.Net.IPAddress.Parse("192.0.2.1"), 80);
        Assert.True(IpvsListing.CompareServices(a, b) > 0);
        Assert.True(IpvsListing.CompareServices(ServiceKey.For(IpvsProtocol.Tcp, System.Net.IPAddress.Parse("10.0.0.1"), 80),
            ServiceKey.For(IpvsProtocol.Tcp, System.Net.IPAddress.Parse("10.0.0.2"), 80)) < 0);
    }

    [Fact]
    public void Connections_render_like_ipvsadm_Lnc_and_bad_lines_are_counted()
    {
        const string proc = """
            Pro FromIP   FPrt ToIP     TPrt DestIP   DPrt State       Expires PEName PEData
            TCP C0A80A02 9C40 C0000264 0050 0A00000C 1F90 ESTABLISHED    899
            UDP 2001:0db8:0000:0000:0000:0000:0000:0002 D431 2001:0db8:0000:0000:0000:0000:0000:0100 0035 2001:0db8:0000:0000:0000:0000:0000:0012 0035 UDP            61
            TCP garbage
            """;
        var text = IpvsListing.RenderConnections(proc.Replace("\r", ""), out var malformed);
        var lines = text.Split('\n');
        Assert.Equal("IPVS connection entries", lines[0]);
        Assert.Equal("pro expire state       source             virtual            destination", lines[1]);
        Assert.Equal("TCP 14:59  ESTABLISHED 192.168.10.2:40000 192.0.2.100:80     10.0.0.12:8080", lines[2]);
        Assert.Equal("UDP 01:01  UDP         [2001:db8::2]:54321 [2001:db8::100]:53 [2001:db8::12]:53", lines[3]);
        Assert.Equal(1, malformed);
    }
}
