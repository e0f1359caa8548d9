using System.Net;
using Appliance.Vrrp;
using Xunit;
using A = Appliance.Vrrp.VrrpAction;
using E = Appliance.Vrrp.VrrpEvent;

namespace Appliance.Tests.Vrrp;

/// <summary>Rows G1-G4 of docs/vrrp.md: instances of a sync group move together.</summary>
public class VrrpSyncGroupTests
{
    private static readonly IPAddress Local = IPAddress.Parse("10.0.0.2");

    private static VrrpSyncGroup Group()
    {
        VrrpMachine M(byte vrid, string vip) => new(new VrrpInstanceConfig
        {
            Name = "VI_" + vrid, VirtualRouterId = vrid, AdvertIntervalCentiseconds = 100,
            VirtualAddresses = [VirtualAddress.Parse(vip)],
        }, Local);
        var g = new VrrpSyncGroup("director", [M(1, "192.0.2.1/24"), M(2, "192.0.2.2/24"), M(3, "2001:db8::3/64")]);
        g.HandleAll(new E.Startup(), TimeSpan.Zero);
        Assert.All(g.Members, m => Assert.Equal(VrrpState.Backup, m.State));
        return g;
    }

    [Fact]
    public void G1_OneMemberTakesOver_AllTakeOver()
    {
        var g = Group();
        var actions = g.Handle(1, new E.TimerFired(VrrpTimer.MasterDown), TimeSpan.FromSeconds(4));
        Assert.All(g.Members, m => Assert.Equal(VrrpState.Master, m.State));
        Assert.Equal([0, 1, 2], actions.Where(a => a.Action is A.AddVips).Select(a => a.Member).Order());
    }

    [Fact]
    public void G2_OneMemberSeesAHigherMaster_AllReleaseTheirVips()
    {
        var g = Group();
        g.Handle(0, new E.TimerFired(VrrpTimer.MasterDown), TimeSpan.FromSeconds(4));
        var actions = g.Handle(2, new E.AdvertReceived(IPAddress.Parse("fe80::9"), new VrrpAdvert(VrrpVersion.V3, 3, 200, 100, [IPAddress.Parse("2001:db8::3")])), TimeSpan.FromSeconds(5));
        Assert.All(g.Members, m => Assert.Equal(VrrpState.Backup, m.State));
        Assert.Equal([0, 1, 2], actions.Where(a => a.Action is A.RemoveVips).Select(a => a.Member).Order());
    }

    [Fact]
    public void G3_PublicLinkDown_AllFault_AndBackTogether()
    {
        var g = Group();
        g.Handle(0, new E.TimerFired(VrrpTimer.MasterDown), TimeSpan.FromSeconds(4));
        var down = g.HandleAll(new E.PublicLinkChanged(false), TimeSpan.FromSeconds(5));
        Assert.All(g.Members, m => Assert.Equal(VrrpState.Fault, m.State));
        Assert.Equal(3, down.Count(a => a.Action is A.SendAdvert { Priority: 0 }));
        g.HandleAll(new E.PublicLinkChanged(true), TimeSpan.FromSeconds(6));
        Assert.All(g.Members, m => Assert.Equal(VrrpState.Backup, m.State));
    }

    [Fact]
    public void G4_ForcedTransitionsAreNotPropagatedAgain_NoLoops()
    {
        var g = Group();
        var actions = g.Handle(0, new E.TimerFired(VrrpTimer.MasterDown), TimeSpan.FromSeconds(4));
        Assert.Equal(3, actions.Count(a => a.Action is A.StateChanged));
    }
}
