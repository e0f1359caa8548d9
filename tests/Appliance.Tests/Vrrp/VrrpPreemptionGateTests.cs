using System.Net;
using Appliance.Vrrp;
using Xunit;
using A = Appliance.Vrrp.VrrpAction;
using E = Appliance.Vrrp.VrrpEvent;

namespace Appliance.Tests.Vrrp;

/// <summary>
/// The rows P1-P7 of docs/vrrp.md's transition table: the sync catch-up gate delays PREEMPTION of a live
/// lower-priority master (docs/sync.md "Failback"), never a takeover of a master that is gone.
/// </summary>
public class VrrpPreemptionGateTests
{
    private static readonly IPAddress Local = IPAddress.Parse("10.0.0.2");
    private static readonly IPAddress Peer = IPAddress.Parse("10.0.0.3");
    private static TimeSpan Ms(double ms) => TimeSpan.FromMilliseconds(ms);

    private static VrrpInstanceConfig Config(bool peerIsAppliance = false) => new()
    {
        Name = "VI_1",
        VirtualRouterId = 51,
        Priority = 150,
        AdvertIntervalCentiseconds = 100,
        VirtualAddresses = [VirtualAddress.Parse("192.0.2.10/24")],
        PeerIsAppliance = peerIsAppliance,
    };

    private static E Lower(byte priority = 100) => new E.AdvertReceived(Peer, new VrrpAdvert(VrrpVersion.V3, 51, priority, 100, [IPAddress.Parse("192.0.2.10")]));

    private static E.PreemptionGateChanged Closed(TimeSpan since) => new(false, since, "12 synced entries, still growing (+12 in the last 10 s)");
    private static E.PreemptionGateChanged Open(TimeSpan since) => new(true, since, "1010 synced entries, grew by 0 in the last 10 s");

    /// <summary>A gated node (the service posts a closed verdict before Startup) that started as BACKUP at <paramref name="at"/>.</summary>
    private static VrrpMachine GatedBackup(TimeSpan at, VrrpInstanceConfig? config = null)
    {
        var m = new VrrpMachine(config ?? Config(), Local);
        Assert.Empty(m.Handle(Closed(at), at));
        m.Handle(new E.Startup(), at);
        Assert.Equal(VrrpState.Backup, m.State);
        Assert.True(m.PreemptionHeld);
        return m;
    }

    private static TimeSpan DownTimer(IReadOnlyList<A> actions) =>
        Assert.Single(actions.OfType<A.SetTimer>(), t => t.Timer == VrrpTimer.MasterDown).At;

    [Fact]
    public void P1_LowerPriorityMasterWhileTheGateIsClosed_IsNotPreempted_HeldOnceWithTheGatesReason()
    {
        var m = GatedBackup(Ms(0));
        var first = m.Handle(Lower(), Ms(1000));
        var held = Assert.Single(first.OfType<A.PreemptionHeld>());
        Assert.Contains("10.0.0.3", held.Reason);
        Assert.Contains("priority 100 < local 150", held.Reason);
        Assert.Contains("still growing", held.Reason);
        // Treated as nopreempt meanwhile: the live master's adverts keep resetting the Master_Down_Timer.
        Assert.Equal(Ms(1000) + m.MasterDownInterval, DownTimer(first));
        var second = m.Handle(Lower(), Ms(2000));
        Assert.Empty(second.OfType<A.PreemptionHeld>());
        Assert.Equal(Ms(2000) + m.MasterDownInterval, DownTimer(second));
        Assert.Equal(VrrpState.Backup, m.State);
    }

    [Fact]
    public void P2_GateOpens_ReleasesTheHold_ThenTheLowerMastersAdvertsAreDiscardedAndTheTimerPreempts()
    {
        var m = GatedBackup(Ms(0));
        var hold = m.Handle(Lower(), Ms(1000));
        var deadline = DownTimer(hold);
        var released = Assert.Single(m.Handle(Open(Ms(5)), Ms(1500)).OfType<A.PreemptionReleased>());
        Assert.True(released.WasHolding);
        Assert.Contains("1010 synced entries", released.Reason);
        Assert.False(m.PreemptionHeld);
        Assert.Empty(m.Handle(Lower(), Ms(2000)));              // discarded: B6 again
        var taken = m.Handle(new E.TimerFired(VrrpTimer.MasterDown), deadline);
        Assert.Equal(VrrpState.Master, m.State);
        Assert.Contains(new A.AddVips(), taken);
    }

    [Fact]
    public void P3_AnOpenVerdictFromAnEarlierBackupPeriod_IsIgnored()
    {
        var m = GatedBackup(Ms(0));
        m.Handle(new E.PublicLinkChanged(false), Ms(100));
        m.Handle(new E.PublicLinkChanged(true), Ms(5000));       // BACKUP again since 5 s: its table may be stale
        Assert.Equal(VrrpState.Backup, m.State);
        Assert.Empty(m.Handle(Open(Ms(50)), Ms(5100)));          // measured before the FAULT
        Assert.True(m.PreemptionHeld);
        Assert.Single(m.Handle(Lower(), Ms(5200)).OfType<A.PreemptionHeld>());
        Assert.Single(m.Handle(Open(Ms(5000)), Ms(9000)).OfType<A.PreemptionReleased>());
        Assert.False(m.PreemptionHeld);
    }

    [Fact]
    public void P4_MasterGoesSilentWhileHeld_TakesOverAtOnce_NoWaitForTheTable()
    {
        var m = GatedBackup(Ms(0));
        var hold = m.Handle(Lower(), Ms(1000));
        var actions = m.Handle(new E.TimerFired(VrrpTimer.MasterDown), DownTimer(hold));
        Assert.Equal(VrrpState.Master, m.State);
        Assert.Contains(new A.AddVips(), actions);
        Assert.False(m.PreemptionHeld);
    }

    [Fact]
    public void P5_PriorityZeroFromAnAppliancePeerWhileHeld_TakesOverAtOnce()
    {
        var m = GatedBackup(Ms(0), Config(peerIsAppliance: true));
        m.Handle(Lower(), Ms(1000));
        var actions = m.Handle(Lower(priority: 0), Ms(1500));
        Assert.Equal(VrrpState.Master, m.State);
        Assert.Contains(new A.AddVips(), actions);
    }

    [Fact]
    public void P6_EveryEntryIntoBackup_ClosesTheGateAgain_AndReportsItsHoldOnce()
    {
        var m = GatedBackup(Ms(0));
        m.Handle(Open(Ms(0)), Ms(500));
        Assert.False(m.PreemptionHeld);
        m.Handle(new E.TimerFired(VrrpTimer.MasterDown), Ms(3000));
        Assert.Equal(VrrpState.Master, m.State);
        Assert.False(m.PreemptionHeld);                          // only a BACKUP is held
        m.Handle(new E.AdvertReceived(Peer, new VrrpAdvert(VrrpVersion.V3, 51, 200, 100, [IPAddress.Parse("192.0.2.10")])), Ms(4000));
        Assert.Equal(VrrpState.Backup, m.State);                 // lost to a higher priority: a new BACKUP period
        Assert.True(m.PreemptionHeld);
        Assert.Single(m.Handle(Lower(), Ms(6000)).OfType<A.PreemptionHeld>());
    }

    [Fact]
    public void P7_WithoutAGate_PreemptionIsTheRfcs_AndAReleaseOutsideBackupSaysNothing()
    {
        var plain = new VrrpMachine(Config(), Local);
        plain.Handle(new E.Startup(), Ms(0));
        Assert.False(plain.PreemptionHeld);
        Assert.Empty(plain.Handle(Lower(), Ms(1000)));           // B6: discarded, the timer preempts

        var m = GatedBackup(Ms(0));
        m.Handle(new E.PublicLinkChanged(false), Ms(100));
        Assert.Equal(VrrpState.Fault, m.State);
        Assert.Empty(m.Handle(Open(Ms(200)), Ms(200)));
        Assert.Empty(m.Handle(Closed(Ms(300)), Ms(300)));
    }
}
