using System.Buffers.Binary;
using System.Net;
using System.Runtime.CompilerServices;
using Appliance.Vrrp;
using Xunit;

namespace Appliance.Tests.Vrrp;

/// <summary>The codec against adverts captured from keepalived 2.2.7 (Golden/README.md).</summary>
public class GoldenPacketTests
{
    internal static byte[] Golden(string name, [CallerFilePath] string here = "") =>
        Convert.FromHexString(File.ReadAllText(Path.Combine(Path.GetDirectoryName(here)!, "Golden", name + ".hex")).Trim());

    [Fact]
    public void V2Ipv4_ParsesAndReencodesByteForByte()
    {
        var packet = Golden("v2-ipv4");
        Assert.True(VrrpPacket.TryReadIPv4(packet, out var r, out var reason), reason.ToString());
        var a = r.Advert;
        Assert.Equal(VrrpVersion.V2, a.Version);
        Assert.Equal(21, a.Vrid);
        Assert.Equal(150, a.Priority);
        Assert.Equal(100, a.IntervalCentiseconds);
        Assert.Equal(VrrpAuthType.None, a.AuthType);
        Assert.Equal([IPAddress.Parse("192.0.2.100"), IPAddress.Parse("192.0.2.101")], a.Addresses);
        Assert.Equal(IPAddress.Parse("10.99.0.1"), r.Source);
        Assert.Equal(VrrpAdvert.MulticastV4, r.Destination);
        Assert.Equal(255, r.Ttl);
        AssertReencodes(packet[20..], r);
    }

    [Fact]
    public void V2Ipv4Pass_CarriesThePasswordButNeverPrintsIt()
    {
        var packet = Golden("v2-ipv4-auth-pass");
        Assert.True(VrrpPacket.TryReadIPv4(packet, out var r, out var reason), reason.ToString());
        Assert.Equal(VrrpAuthType.SimpleText, r.Advert.AuthType);
        Assert.Equal(200, r.Advert.IntervalCentiseconds);
        var config = Config(22, VrrpVersion.V2, 200, ["192.0.2.110/32"]) with { AuthType = VrrpAuthType.SimpleText, AuthPass = "secret12" };
        Assert.Equal(config.AuthData, r.Advert.AuthData);
        Assert.Equal(VrrpDropReason.None, VrrpAdvertCheck.Check(r, config));
        Assert.Equal(VrrpDropReason.AuthMismatch, VrrpAdvertCheck.Check(r, config with { AuthPass = "secret13" }));
        Assert.Equal(VrrpDropReason.AuthMismatch, VrrpAdvertCheck.Check(r, config with { AuthType = VrrpAuthType.None, AuthPass = null }));
        Assert.DoesNotContain("secret", r.Advert.ToString());
        Assert.DoesNotContain("secret", config.ToString());
        AssertReencodes(packet[20..], r);
    }

    [Fact]
    public void V3Ipv4_KeepalivedUsesThePseudoHeaderAndWeReproduceIt()
    {
        var packet = Golden("v3-ipv4");
        var message = packet[20..];
        Assert.True(VrrpPacket.TryReadIPv4(packet, out var r, out var reason), reason.ToString());
        Assert.Equal(VrrpVersion.V3, r.Advert.Version);
        Assert.Equal(31, r.Advert.Vrid);
        Assert.Equal(200, r.Advert.Priority);
        Assert.Equal(10, r.Advert.IntervalCentiseconds);
        // The evidence for keepalived's default: only the pseudo-header sum verifies.
        Assert.NotEqual(0, InternetChecksum.Compute(message));
        Assert.Equal(0, InternetChecksum.ComputeWithPseudoHeader(r.Source, r.Destination, 112, message));
        AssertReencodes(message, r);
    }

    [Fact]
    public void V3Ipv4_WithoutPseudoHeader_Rfc9568_IsAcceptedToo()
    {
        var r = Read4(Golden("v3-ipv4"));
        var buffer = new byte[r.Advert.Size];
        r.Advert.WriteTo(buffer, r.Source, r.Destination, ipv4PseudoHeader: false);
        Assert.Equal(0, InternetChecksum.Compute(buffer));
        Assert.True(VrrpAdvert.TryRead(buffer, r.Source, r.Destination, out var again, out var reason), reason.ToString());
        Assert.Equal(r.Advert.Priority, again.Priority);
    }

    [Fact]
    public void V3Ipv6_ParsesAndReencodes()
    {
        var packet = Golden("v3-ipv6");
        Assert.True(VrrpPacket.TryReadIPv6Packet(packet, out var r, out var reason), reason.ToString());
        Assert.Equal(36, r.Advert.Vrid);
        Assert.Equal(100, r.Advert.Priority);
        Assert.Equal(100, r.Advert.IntervalCentiseconds);
        Assert.Equal([IPAddress.Parse("2001:db8::36"), IPAddress.Parse("2001:db8::37")], r.Advert.Addresses);
        Assert.True(r.Source.IsIPv6LinkLocal);
        Assert.Equal(VrrpAdvert.MulticastV6, r.Destination);
        AssertReencodes(packet[40..], r);
    }

    [Theory]
    [InlineData("v2-ipv4-priority0", true)]
    [InlineData("v2-ipv4-auth-pass-priority0", true)]
    [InlineData("v3-ipv4-priority0", true)]
    [InlineData("v3-ipv6-priority0", false)]
    public void ShutdownAdverts_HavePriorityZero(string name, bool ipv4)
    {
        var packet = Golden(name);
        VrrpReceived r;
        VrrpDropReason reason;
        Assert.True(ipv4 ? VrrpPacket.TryReadIPv4(packet, out r, out reason) : VrrpPacket.TryReadIPv6Packet(packet, out r, out reason), reason.ToString());
        Assert.Equal(0, r.Advert.Priority);
        AssertReencodes(packet[(ipv4 ? 20 : 40)..], r);
    }

    [Fact]
    public void BuiltFromConfig_MatchesKeepalivedBytes()
    {
        // What the appliance itself sends for the same configuration equals keepalived's bytes.
        var r = Read4(Golden("v3-ipv4"));
        var config = Config(31, VrrpVersion.V3, 10, ["192.0.2.130/32"]) with { Priority = 200 };
        var bytes = new byte[r.Advert.Size];
        config.BuildAdvert(200).WriteTo(bytes, r.Source, r.Destination);
        Assert.Equal(Golden("v3-ipv4")[20..], bytes);
    }

    private static VrrpReceived Read4(byte[] packet)
    {
        Assert.True(VrrpPacket.TryReadIPv4(packet, out var r, out var reason), reason.ToString());
        return r;
    }

    private static void AssertReencodes(byte[] message, VrrpReceived r)
    {
        var buffer = new byte[r.Advert.Size];
        Assert.Equal(message.Length, r.Advert.WriteTo(buffer, r.Source, r.Destination));
        Assert.Equal(Convert.ToHexString(message), Convert.ToHexString(buffer));
    }

    internal static VrrpInstanceConfig Config(byte vrid, VrrpVersion version, int intervalCs, string[] vips) => new()
    {
        Name = "VI_" + vrid,
        VirtualRouterId = vrid,
        Version = version,
        AdvertIntervalCentiseconds = intervalCs,
        VirtualAddresses = vips.Select(VirtualAddress.Parse).ToArray(),
    };
}
