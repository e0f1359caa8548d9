using System.Net;
using Appliance.Takeover;
using Xunit;

namespace Appliance.Tests.Takeover;

public class AnnouncerTests
{
    private static readonly byte[] Mac = [0x02, 0x00, 0x5e, 0x10, 0x20, 0x30];

    [Fact]
    public void GratuitousArp_IsABroadcastRequestForTheVip()
    {
        var f = Announcer.BuildGratuitousArp(Mac, IPAddress.Parse("192.0.2.100"));
        Assert.Equal(
            "FFFFFFFFFFFF" + "02005E102030" + "0806" +   // Ethernet: broadcast, our MAC, ARP
            "0001" + "0800" + "06" + "04" + "0001" +     // Ethernet/IPv4, request (RFC 5227 §3 announcement)
            "02005E102030" + "C0000264" +                // sender: our MAC, the VIP
            "000000000000" + "C0000264",                 // target: unknown MAC, the VIP
            Convert.ToHexString(f));
    }

    [Fact]
    public void NeighbourAdvert_IsUnsolicitedWithOverrideAndOurMac()
    {
        var m = Announcer.BuildNeighbourAdvert(Mac, IPAddress.Parse("2001:db8::36"));
        Assert.Equal(
            "88" + "00" + "0000" + "20000000" +          // type 136, code 0, checksum (kernel), O flag only (RFC 4861 §4.4)
            "20010DB8000000000000000000000036" +         // target
            "0201" + "02005E102030",                     // option 2, length 1 (8 bytes), our MAC
            Convert.ToHexString(m));
    }
}
