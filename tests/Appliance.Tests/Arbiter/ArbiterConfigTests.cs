using System.Net;
using Appliance.Arbiter;
using Appliance.Config;
using Xunit;
using static Appliance.Tests.Config.ConfigText;

namespace Appliance.Tests.Arbiter;

/// <summary>The arbiter's keys in [global] and when `appliance run` runs the arbiter and the serial link.</summary>
public class ArbiterConfigTests
{
    [Fact]
    public void Public_addresses_are_read_and_checked()
    {
        var g = Valid_(With("[global]", "public_address = 192.0.2.2", "peer_public_address = 192.0.2.3")).Global;
        Assert.Equal((IPAddress.Parse("192.0.2.2"), IPAddress.Parse("192.0.2.3")), (g.PublicAddress, g.PeerPublicAddress));
        Assert.Null(Valid_(Valid).Global.PublicAddress);

        // ARP asks in IPv4 only.
        OneError(With("[global]", "peer_public_address = 2001:db8::3"), "peer_public_address", "peer_public_address: 2001:db8::3 is not an IPv4 address (the arbiter probes it with ARP)");
        OneError(With("[global]", "public_address = 2001:db8::2"), "public_address", "public_address: 2001:db8::2 is not an IPv4 address");
        OneError(With("[global]", "public_address = 192.0.2.3", "peer_public_address = 192.0.2.3"), "public_address", "public_address: 192.0.2.3 is also the peer_public_address");
        OneError(With("[global]", "public_address = 192.0.2.10"), "public_address", "public_address: 192.0.2.10 is a virtual address of [vrrp_instance VI_1]");
    }

    [Fact]
    public void The_arbiter_runs_with_an_appliance_peer_and_the_serial_link_when_enabled()
    {
        var appliance = Valid_(Valid);
        Assert.True(ArbiterHost.Applies(appliance));
        Assert.True(ArbiterHost.UsesSerial(appliance));

        var noSerial = Valid_(Valid.Replace("key = 0123456789abcdef0123", "enabled = no"));
        Assert.True(ArbiterHost.Applies(noSerial));
        Assert.False(ArbiterHost.UsesSerial(noSerial));

        // keepalived on the other end: plain VRRP, as keepalived itself runs.
        var keepalived = Valid_(With("[global]", "peer_type = keepalived"));
        Assert.False(ArbiterHost.Applies(keepalived));
        Assert.False(ArbiterHost.UsesSerial(keepalived));
    }
}
