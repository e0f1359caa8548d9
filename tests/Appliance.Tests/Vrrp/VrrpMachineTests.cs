using System.Net;
using Appliance.Vrrp;
using Xunit;
using A = Appliance.Vrrp.VrrpAction;
using E = Appliance.Vrrp.VrrpEvent;

namespace Appliance.Tests.Vrrp;

/// <summary>
/// Every row of the transition table in docs/vrrp.md (ids in the test names), driven with a fake time.
/// </summary>
public class VrrpMachineTests
{
    private static readonly IPAddress Local = IPAddress.Parse("10.0.0.2");
    private static readonly IPAddress Lower = IPAddress.Parse("10.0.0.1");
    private static readonly IPAddress Higher = IPAddress.Parse("10.0.0.3");
    private static TimeSpan Ms(double ms) => TimeSpan.FromMilliseconds(ms);

    private static VrrpInstanceConfig Config(byte priority = 100, int intervalCs = 100, VrrpVersion version = VrrpVersion.V3) => new()
    {
        Name = "VI_1",
        VirtualRouterId = 51,
        Priority = priority,
        Version = version,
        AdvertIntervalCentiseconds = intervalCs,
        VirtualAddresses = [VirtualAddress.Parse("192.0.2.10/24")],
    };

    private static VrrpAdvert Advert(byte priority, int intervalCs = 100, VrrpVersion version = VrrpVersion.V3) =>
        new(version, 51, priority, intervalCs, [IPAddress.Parse("192.0.2.10")]);

    private static E Rx(byte priority, IPAddress? from = null, int intervalCs = 100) => new E.AdvertReceived(from ?? Higher, Advert(priority, intervalCs));

    private static (VrrpMachine M, IReadOnlyList<A> Actions) Backup(VrrpInstanceConfig? config = null, TimeSpan? at = null)
    {
        var m = new VrrpMachine(config ?? Config(), Local);
        var actions = m.Handle(new E.Startup(), at ?? TimeSpan.Zero);
        Assert.Equal(VrrpState.Backup, m.State);
        return (m, actions);
    }

    private static VrrpMachine Master(VrrpInstanceConfig? config = null)
    {
        var (m, _) = Backup(config);
        m.Handle(new E.TimerFired(VrrpTimer.MasterDown), Ms(3610));
        Assert.Equal(VrrpState.Master, m.State);
        return m;
    }

    private static TimeSpan DownTimer(IReadOnlyList<A> actions) =>
        Assert.Single(actions.OfType<A.SetTimer>(), t => t.Timer == VrrpTimer.MasterDown).At;

    private static void AssertBecameMaster(IReadOnlyList<A> actions, TimeSpan now, TimeSpan interval)
    {
        Assert.Contains(new A.SendAdvert(100), actions);
        Assert.Contains(new A.AddVips(), actions);
        Assert.Contains(new A.AnnounceVips(), actions);
        Assert.Contains(new A.SetTimer(VrrpTimer.Advertisement, now + interval), actions);
        Assert.Contains(new A.CancelTimer(VrrpTimer.MasterDown), actions);
        Assert.Contains(actions, a => a is A.Notify { State: VrrpState.Master, Stopped: false });
        // The advert goes out before the VIPs are added: the peer stops claiming them as early as possible.
        Assert.True(actions.ToList().IndexOf(new A.SendAdvert(100)) < actions.ToList().IndexOf(new A.AddVips()));
    }

    // ---- timing (RFC 5798 §6.1, RFC 3768 §6.1) ----

    [Fact]
    public void T1_V3Timers_FromPriorityAndInterval()
    {
        var m = new VrrpMachine(Config(priority: 100, intervalCs: 100), Local);
        Assert.Equal(Ms(609.375), m.SkewTime);                 // (256-100)*1 s/256
        Assert.Equal(Ms(3609.375), m.MasterDownInterval);      // keepalived's 3.61 s anchor
        var fast = new VrrpMachine(Config(priority: 100, intervalCs: 10), Local);
        Assert.Equal(Ms(360.9375), fast.MasterDownInterval);   // keepalived's "about 0.36 s" with 0.1 s adverts
    }

    [Fact]
    public void T2_V2Timers_SkewIsInSecondsIndependentOfInterval()
    {
        var m = new VrrpMachine(Config(priority: 200, intervalCs: 300, version: VrrpVersion.V2), Local);
        Assert.Equal(Ms(218.75), m.SkewTime);                  // (256-200)/256 s
        Assert.Equal(Ms(3 * 3000 + 218.75), m.MasterDownInterval);
    }

    // ---- Initialize ----

    [Fact]
    public void I1_StartupAsAddressOwner_GoesMaster()
    {
        var m = new VrrpMachine(Config(priority: 255), Local);
        var actions = m.Handle(new E.Startup(), Ms(5));
        Assert.Equal(VrrpState.Master, m.State);
        Assert.Contains(new A.SendAdvert(255), actions);
        Assert.Contains(new A.AddVips(), actions);
        Assert.Contains(new A.SetTimer(VrrpTimer.Advertisement, Ms(1005)), actions);
    }

    [Fact]
    public void I2_Startup_GoesBackupWithMasterDownTimer_AndHoldsNoVip()
    {
        var (m, actions) = Backup(at: Ms(1000));
        Assert.Equal(Ms(1000) + m.MasterDownInterval, DownTimer(actions));
        Assert.DoesNotContain(actions, a => a is A.AddVips or A.SendAdvert);
        Assert.Contains(actions, a => a is A.Notify { State: VrrpState.Backup });
    }

    [Fact]
    public void I3_StartupWithPublicLinkDown_GoesFault()
    {
        var m = new VrrpMachine(Config(), Local);
        m.Handle(new E.PublicLinkChanged(false), TimeSpan.Zero);
        Assert.Equal(VrrpState.Initialize, m.State);
        var actions = m.Handle(new E.Startup(), TimeSpan.Zero);
        Assert.Equal(VrrpState.Fault, m.State);
        Assert.DoesNotContain(actions, a => a is A.AddVips or A.SetTimer);
    }

    [Fact]
    public void I4_InitializeIgnoresAdvertsAndTimers()
    {
        var m = new VrrpMachine(Config(), Local);
        Assert.Empty(m.Handle(Rx(200), TimeSpan.Zero));
        Assert.Empty(m.Handle(new E.TimerFired(VrrpTimer.MasterDown), TimeSpan.Zero));
        Assert.Equal(VrrpState.Initialize, m.State);
    }

    // ---- Backup ----

    [Fact]
    public void B1_MasterDownTimerFires_GoesMaster()
    {
        var (m, _) = Backup();
        var actions = m.Handle(new E.TimerFired(VrrpTimer.MasterDown), Ms(3610));
        Assert.Equal(VrrpState.Master, m.State);
        AssertBecameMaster(actions, Ms(3610), Ms(1000));
    }

    [Fact]
    public void B2_TakeoverNotPermitted_StaysBackupUntilTheArbiterAllows()
    {
        var (m, _) = Backup();
        m.Handle(new E.TakeoverPermissionChanged(false), Ms(1));
        var withheld = m.Handle(new E.TimerFired(VrrpTimer.MasterDown), Ms(3610));
        Assert.Equal(VrrpState.Backup, m.State);
        Assert.Single(withheld.OfType<A.TakeoverWithheld>());
        Assert.DoesNotContain(withheld, a => a is A.AddVips);
        Assert.True(m.TakeoverPending);
        var allowed = m.Handle(new E.TakeoverPermissionChanged(true), Ms(5000));
        Assert.Equal(VrrpState.Master, m.State);
        AssertBecameMaster(allowed, Ms(5000), Ms(1000));
    }

    [Fact]
    public void B2b_WithheldTakeover_IsCancelledWhenTheMasterIsHeardAgain()
    {
        var (m, _) = Backup();
        m.Handle(new E.TakeoverPermissionChanged(false), Ms(1));
        m.Handle(new E.TimerFired(VrrpTimer.MasterDown), Ms(3610));
        m.Handle(Rx(200), Ms(3700));
        Assert.False(m.TakeoverPending);
        Assert.Empty(m.Handle(new E.TakeoverPermissionChanged(true), Ms(3800)).OfType<A.AddVips>());
        Assert.Equal(VrrpState.Backup, m.State);
    }

    [Fact]
    public void B3_PriorityZeroFromKeepalivedPeer_SetsDownTimerToSkew()
    {
        var (m, _) = Backup();
        var actions = m.Handle(Rx(0), Ms(2000));
        Assert.Equal(Ms(2000) + m.SkewTime, DownTimer(actions));
        Assert.Equal(VrrpState.Backup, m.State);
    }

    [Fact]
    public void B4_PriorityZeroFromAppliancePeer_TakesOverAtOnce()
    {
        var (m, _) = Backup(Config() with { PeerIsAppliance = true });
        var actions = m.Handle(Rx(0), Ms(2000));
        Assert.Equal(VrrpState.Master, m.State);
        AssertBecameMaster(actions, Ms(2000), Ms(1000));
    }

    [Fact]
    public void B5_HigherOrEqualPriority_ResetsDownTimer_AndV3AdoptsTheMastersInterval()
    {
        var (m, _) = Backup();
        var a1 = m.Handle(Rx(200, intervalCs: 100), Ms(500));
        Assert.Equal(Ms(500) + Ms(3609.375), DownTimer(a1));
        // RFC 9568 §6.4.2: adopt the master's interval and recompute Skew_Time and Master_Down_Interval.
        var a2 = m.Handle(Rx(100, Lower, intervalCs: 10), Ms(600));
        Assert.Equal(10, m.MasterAdverIntervalCentiseconds);
        Assert.Equal(Ms(60.9375), m.SkewTime);
        Assert.Equal(Ms(600) + Ms(360.9375), DownTimer(a2));
    }

    [Fact]
    public void B5b_V2_DoesNotAdoptTheInterval()
    {
        var (m, _) = Backup(Config(version: VrrpVersion.V2));
        m.Handle(new E.AdvertReceived(Higher, Advert(200, 300, VrrpVersion.V2)), Ms(500));
        Assert.Equal(100, m.MasterAdverIntervalCentiseconds);
    }

    [Fact]
    public void B6_LowerPriorityWithPreempt_IsDiscarded_ThenTheTimerPreempts()
    {
        var (m, start) = Backup();
        var before = DownTimer(start);
        Assert.Empty(m.Handle(Rx(50), Ms(1000)));
        Assert.Equal(VrrpState.Backup, m.State);
        var actions = m.Handle(new E.TimerFired(VrrpTimer.MasterDown), before);
        Assert.Equal(VrrpState.Master, m.State);
        AssertBecameMaster(actions, before, Ms(1000));
    }

    [Fact]
    public void B7_LowerPriorityWithNopreempt_ResetsDownTimer()
    {
        var (m, _) = Backup(Config() with { Preempt = false });
        var actions = m.Handle(Rx(50), Ms(1000));
        Assert.Equal(Ms(1000) + m.MasterDownInterval, DownTimer(actions));
    }

    [Fact]
    public void B8_PreemptDelay_ToleratesALowerMasterOnlyDuringTheDelay()
    {
        var (m, _) = Backup(Config() with { PreemptDelayCentiseconds = 1000 }, TimeSpan.Zero);
        Assert.Single(m.Handle(Rx(50), Ms(9000)).OfType<A.SetTimer>());
        Assert.Empty(m.Handle(Rx(50), Ms(10001)));
    }

    [Fact]
    public void B9_Shutdown_GoesInitialize_NotifiesStop()
    {
        var (m, _) = Backup();
        var actions = m.Handle(new E.Shutdown(), Ms(10));
        Assert.Equal(VrrpState.Initialize, m.State);
        Assert.True(m.Stopped);
        Assert.Contains(new A.CancelTimer(VrrpTimer.MasterDown), actions);
        Assert.Contains(actions, a => a is A.Notify { Stopped: true });
        Assert.DoesNotContain(actions, a => a is A.SendAdvert);
        Assert.Empty(m.Handle(new E.TimerFired(VrrpTimer.MasterDown), Ms(9999)));
    }

    [Fact]
    public void B10_PublicLinkDown_GoesFault()
    {
        var (m, _) = Backup();
        var actions = m.Handle(new E.PublicLinkChanged(false), Ms(10));
        Assert.Equal(VrrpState.Fault, m.State);
        Assert.Contains(new A.CancelTimer(VrrpTimer.MasterDown), actions);
        Assert.Contains(actions, a => a is A.Notify { State: VrrpState.Fault });
    }

    [Fact]
    public void B11_HeartbeatCarrierLoss_IsNotAFault_ShortensTheDownTimerToOneIntervalPlusSkew()
    {
        var (m, start) = Backup();
        var lost = m.Handle(new E.HeartbeatCarrierChanged(false), Ms(100));
        Assert.Equal(VrrpState.Backup, m.State);
        Assert.Equal(Ms(100) + Ms(1000) + m.SkewTime, DownTimer(lost));
        Assert.DoesNotContain(lost, a => a is A.StateChanged or A.Notify);
        var actions = m.Handle(new E.TimerFired(VrrpTimer.MasterDown), DownTimer(lost));
        Assert.Equal(VrrpState.Master, m.State);
        Assert.Contains(actions, a => a is A.StateChanged s && s.Reason.Contains("carrier"));
    }

    [Fact]
    public void B11b_CarrierLoss_NeverPostponesAnEarlierDownTimer()
    {
        var (m, _) = Backup();
        m.Handle(Rx(0), Ms(3000));                         // down timer = now + skew (0.61 s)
        Assert.Empty(m.Handle(new E.HeartbeatCarrierChanged(false), Ms(3100)));
    }

    [Fact]
    public void B11c_CarrierFlap_ThenAdvertsResume_KeepsBackup()
    {
        var (m, _) = Backup();
        m.Handle(new E.HeartbeatCarrierChanged(false), Ms(100));
        m.Handle(new E.HeartbeatCarrierChanged(true), Ms(300));
        var rx = m.Handle(Rx(200), Ms(400));
        Assert.Equal(Ms(400) + m.MasterDownInterval, DownTimer(rx));
        Assert.Equal(VrrpState.Backup, m.State);
    }

    [Fact]
    public void B12_StaleAdvertTimerInBackup_IsIgnored()
    {
        var (m, _) = Backup();
        Assert.Empty(m.Handle(new E.TimerFired(VrrpTimer.Advertisement), Ms(100)));
    }

    // ---- Master ----

    [Fact]
    public void M1_AdverTimer_SendsAndReArms()
    {
        var m = Master();
        var actions = m.Handle(new E.TimerFired(VrrpTimer.Advertisement), Ms(4610));
        Assert.Equal([new A.SendAdvert(100), new A.SetTimer(VrrpTimer.Advertisement, Ms(5610))], actions);
    }

    [Fact]
    public void M2_HigherPriority_GoesBackup_ReleasesVips_AdoptsInterval()
    {
        var m = Master();
        var actions = m.Handle(Rx(150, intervalCs: 50), Ms(4000));
        Assert.Equal(VrrpState.Backup, m.State);
        Assert.Contains(new A.RemoveVips(), actions);
        Assert.Contains(new A.CancelTimer(VrrpTimer.Advertisement), actions);
        Assert.Equal(50, m.MasterAdverIntervalCentiseconds);
        Assert.Equal(Ms(4000) + Ms(1500) + Ms(304.6875), DownTimer(actions));
        Assert.DoesNotContain(actions, a => a is A.SendAdvert);
    }

    [Fact]
    public void M3_EqualPriorityFromHigherAddress_GoesBackup()
    {
        var m = Master();
        m.Handle(Rx(100, Higher), Ms(4000));
        Assert.Equal(VrrpState.Backup, m.State);
    }

    [Fact]
    public void M4_EqualPriorityFromLowerAddress_StaysAdvertisesAtOnceAndAnnouncesAgain()
    {
        var m = Master();
        var actions = m.Handle(Rx(100, Lower), Ms(4000));
        Assert.Equal(VrrpState.Master, m.State);
        Assert.Equal([new A.SendAdvert(100), new A.SetTimer(VrrpTimer.Advertisement, Ms(5000)),
            new A.ReannounceVips($"advert from {Lower} with priority 100 while MASTER (local 100)")], actions);
    }

    [Fact]
    public void M5_LowerPriority_Rfc9568_DiscardsAdvertisesAtOnceAndAnnouncesAgain()
    {
        var m = Master();
        var actions = m.Handle(Rx(50, Higher), Ms(4000));
        Assert.Equal(VrrpState.Master, m.State);
        Assert.Equal([new A.SendAdvert(100), new A.SetTimer(VrrpTimer.Advertisement, Ms(5000)),
            new A.ReannounceVips($"advert from {Higher} with priority 50 while MASTER (local 100)")], actions);
    }

    [Fact]
    public void M6_PriorityZero_SendsAdvertAndResetsTimer()
    {
        var m = Master();
        var actions = m.Handle(Rx(0, Higher), Ms(4000));
        Assert.Equal([new A.SendAdvert(100), new A.SetTimer(VrrpTimer.Advertisement, Ms(5000))], actions);
    }

    [Fact]
    public void M7_Shutdown_SendsPriorityZero_ReleasesVips_NotifiesStop()
    {
        var m = Master();
        var actions = m.Handle(new E.Shutdown(), Ms(5000));
        Assert.Equal(VrrpState.Initialize, m.State);
        Assert.Equal(new A.CancelTimer(VrrpTimer.Advertisement), actions[0]);
        Assert.Equal(new A.SendAdvert(0), actions[1]);
        Assert.Equal(new A.RemoveVips(), actions[2]);
        Assert.Contains(actions, a => a is A.Notify { Stopped: true });
    }

    [Fact]
    public void M8_PublicLinkDown_GoesFault_SendsPriorityZero_ReleasesVips()
    {
        var m = Master();
        var actions = m.Handle(new E.PublicLinkChanged(false), Ms(5000));
        Assert.Equal(VrrpState.Fault, m.State);
        Assert.Contains(new A.SendAdvert(0), actions);
        Assert.Contains(new A.RemoveVips(), actions);
        Assert.Contains(new A.CancelTimer(VrrpTimer.Advertisement), actions);
    }

    [Fact]
    public void M9_OperatorFailover_HandsOverAndDoesNotPreemptBack()
    {
        var m = Master(Config(priority: 200));
        var actions = m.Handle(new E.OperatorFailover(), Ms(5000));
        Assert.Equal(VrrpState.Backup, m.State);
        Assert.Equal(new A.SendAdvert(0), actions[0]);
        Assert.Contains(new A.RemoveVips(), actions);
        // The new, lower-priority master's adverts keep this node BACKUP despite preempt.
        var rx = m.Handle(Rx(100, Lower), Ms(5100));
        Assert.Single(rx.OfType<A.SetTimer>());
        // If the peer then dies, this node takes over again and preempts normally afterwards.
        m.Handle(new E.TimerFired(VrrpTimer.MasterDown), Ms(9000));
        Assert.Equal(VrrpState.Master, m.State);
    }

    [Fact]
    public void M10_HeartbeatCarrier_NeverFaults_AdvertisesWhenItReturns()
    {
        var m = Master();
        Assert.Empty(m.Handle(new E.HeartbeatCarrierChanged(false), Ms(4000)));
        Assert.Equal(VrrpState.Master, m.State);
        var back = m.Handle(new E.HeartbeatCarrierChanged(true), Ms(4100));
        Assert.Equal([new A.SendAdvert(100), new A.SetTimer(VrrpTimer.Advertisement, Ms(5100))], back);
    }

    [Fact]
    public void M11_OperatorFailoverInBackup_DoesNothing()
    {
        var (m, _) = Backup();
        Assert.Empty(m.Handle(new E.OperatorFailover(), Ms(1)));
    }

    // ---- Fault ----

    [Fact]
    public void F1_PublicLinkUp_GoesBackupNotMaster()
    {
        var (m, _) = Backup();
        m.Handle(new E.PublicLinkChanged(false), Ms(10));
        var actions = m.Handle(new E.PublicLinkChanged(true), Ms(20));
        Assert.Equal(VrrpState.Backup, m.State);
        Assert.Equal(Ms(20) + m.MasterDownInterval, DownTimer(actions));
        Assert.DoesNotContain(actions, a => a is A.AddVips);
    }

    [Fact]
    public void F2_FaultIgnoresAdvertsTimersAndOperator()
    {
        var (m, _) = Backup();
        m.Handle(new E.PublicLinkChanged(false), Ms(10));
        Assert.Empty(m.Handle(Rx(50), Ms(20)));
        Assert.Empty(m.Handle(new E.TimerFired(VrrpTimer.MasterDown), Ms(20)));
        Assert.Empty(m.Handle(new E.OperatorFailover(), Ms(20)));
        Assert.Empty(m.Handle(new E.HeartbeatCarrierChanged(false), Ms(20)));
        Assert.Equal(VrrpState.Fault, m.State);
    }

    [Fact]
    public void F3_ShutdownInFault_NotifiesStop()
    {
        var (m, _) = Backup();
        m.Handle(new E.PublicLinkChanged(false), Ms(10));
        var actions = m.Handle(new E.Shutdown(), Ms(20));
        Assert.Equal(VrrpState.Initialize, m.State);
        Assert.Contains(actions, a => a is A.Notify { Stopped: true });
        Assert.DoesNotContain(actions, a => a is A.SendAdvert or A.RemoveVips);
    }

    // ---- configuration ----

    [Fact]
    public void C1_InvalidConfigurations_AreRefusedWithTheReason()
    {
        Assert.Contains("priority", Assert.Throws<ArgumentException>(() => new VrrpMachine(Config(priority: 0), Local)).Message);
        Assert.Contains("IPv4 only", Assert.Throws<ArgumentException>(() => new VrrpMachine(Config(version: VrrpVersion.V2) with { VirtualAddresses = [VirtualAddress.Parse("2001:db8::1/64")] }, Local)).Message);
        Assert.Contains("whole seconds", Assert.Throws<ArgumentException>(() => new VrrpMachine(Config(intervalCs: 10, version: VrrpVersion.V2), Local)).Message);
        Assert.Contains("advert_int", Assert.Throws<ArgumentException>(() => new VrrpMachine(Config(intervalCs: 5000), Local)).Message);
    }

    [Fact]
    public void C2_AddressComparison_IsUnsignedNetworkOrder()
    {
        Assert.True(VrrpMachine.Compare(IPAddress.Parse("10.0.0.200"), IPAddress.Parse("10.0.0.3")) > 0);
        Assert.True(VrrpMachine.Compare(IPAddress.Parse("9.255.255.255"), IPAddress.Parse("10.0.0.0")) < 0);
        Assert.Equal(0, VrrpMachine.Compare(Local, IPAddress.Parse("10.0.0.2")));
    }
}
