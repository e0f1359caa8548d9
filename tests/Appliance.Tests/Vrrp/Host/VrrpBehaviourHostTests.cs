using Xunit;

namespace Appliance.Tests.Vrrp.Host;

/// <summary>The product path (INI file), IPv6 against keepalived, FAULT on the public NIC, GARP and notify, with the published binary.</summary>
[Trait("Category", "Host")]
public class VrrpBehaviourHostTests
{
    private static readonly TimeSpan Within = TimeSpan.FromSeconds(15);

    private static string Ini(VrrpLab lab, string notifyFile) => $"""
        [global]
        node_name = director-a
        node_id = 1
        public_interface = {lab.PubA}
        heartbeat_interface = {lab.HbA}

        [vrrp_instance VI_1]
        virtual_router_id = 51
        priority = 150
        advert_int = 0.1
        virtual_ipaddress = {VrrpLab.Vip}/24 dev {lab.PubA}
        track_interface = {lab.PubA}
        notify = /bin/sh -c "echo $* >> {notifyFile}" notify

        [serial_heartbeat]
        enabled = no
        """;

    [Fact]
    public void FromIniFile_MasterOverKeepalived_NotifyGetsKeepalivedArguments_GarpReachesThePeer()
    {
        using var lab = new VrrpLab();
        // Let B learn neighbours from gratuitous ARP (Linux ignores unsolicited ARP for unknown entries otherwise).
        VrrpLab.Sh("ip", $"netns exec {lab.B} sysctl -qw net.ipv4.conf.all.arp_accept=1 net.ipv4.conf.{lab.PubB}.arp_accept=1");
        lab.StartKeepalived('B', 3, 100, "0.1");
        var notify = lab.TempPath("notify.log");
        var a = lab.StartApplianceArgs('A', $"vrrp run --config {lab.TempFile("a.ini", Ini(lab, notify))}");
        lab.AssertSoleHolder('A', Within, TimeSpan.FromSeconds(1), "appliance from the INI file is MASTER over keepalived (100)");
        lab.WaitFor(() => File.Exists(notify) && File.ReadAllText(notify).Contains("INSTANCE VI_1 MASTER 150"), Within, "notify INSTANCE VI_1 MASTER 150");
        Assert.Contains("INSTANCE VI_1 BACKUP 150", File.ReadAllText(notify));
        var mac = lab.PublicMac('A');
        lab.WaitFor(() => VrrpLab.Sh("ip", $"-n {lab.B} neigh show {VrrpLab.Vip} dev {lab.PubB}").Contains(mac), Within, $"B's neighbour entry {VrrpLab.Vip} -> {mac} from the gratuitous ARP");
        lab.Stop(a);
        lab.WaitFor(() => File.ReadAllText(notify).Contains("INSTANCE VI_1 STOP 0"), Within, "notify STOP");
        lab.AssertSoleHolder('B', Within, TimeSpan.FromSeconds(0.5), "keepalived takes over after the graceful stop");
    }

    [Fact]
    public void FrozenMaster_HearsTheLowerBackupThatTookOver_AnnouncesItsVipsAgain_AndStays()
    {
        // A master the host starved (here: SIGSTOP) misses its adverts; keepalived takes over and
        // announces the VIP with its MAC. When the master runs again it is still MASTER, hears the
        // lower-priority adverts (M5) and must move the neighbours' caches back to itself.
        using var lab = new VrrpLab();
        lab.StartKeepalived('B', 3, 100, "0.1");
        var a = lab.StartAppliance('A', $"--virtual-router-id 51 --advert-int 0.1 --priority 150 --virtual-ipaddress {VrrpLab.Vip}/24");
        lab.AssertSoleHolder('A', Within, TimeSpan.FromSeconds(0.5), "appliance (150) is MASTER over keepalived (100)");
        VrrpLab.Sh("kill", $"-STOP {a.Process.Id}");
        try
        {
            lab.WaitFor(() => lab.Holds('B'), Within, "keepalived takes over from the frozen master");
        }
        finally
        {
            VrrpLab.Sh("kill", $"-CONT {a.Process.Id}");
        }
        lab.WaitFor(() => a.Text.Contains("announcing the VIPs again: advert from 10.10.0.2 with priority 100 while MASTER (local 150)"), Within,
            "the resumed master announces its VIPs again on keepalived's lower-priority advert");
        lab.AssertSoleHolder('A', Within, TimeSpan.FromSeconds(0.5), "the higher-priority master stays, keepalived steps back");
    }

    [Fact]
    public void ProductPath_ApplianceRun_MasterOverKeepalived_GracefulStopHandsOver()
    {
        using var lab = new VrrpLab();
        lab.StartKeepalived('B', 3, 100, "0.1");
        var ini = lab.TempFile("run.ini", $"""
            [global]
            node_name = director-a
            node_id = 1
            public_interface = {lab.PubA}
            heartbeat_interface = {lab.HbA}
            peer_type = keepalived

            [vrrp_instance VI_1]
            virtual_router_id = 51
            priority = 150
            advert_int = 0.1
            virtual_ipaddress = {VrrpLab.Vip}/24 dev {lab.PubA}

            [serial_heartbeat]
            enabled = no
            """);
        var a = lab.StartApplianceArgs('A', $"run --config {ini} --log-target stderr");
        lab.AssertSoleHolder('A', Within, TimeSpan.FromSeconds(1), "appliance run: MASTER over keepalived (100)");
        lab.Stop(a);
        Assert.Equal(0, a.Process.ExitCode);
        lab.AssertSoleHolder('B', Within, TimeSpan.FromSeconds(0.5), "appliance run stopped by SIGTERM: keepalived takes over");
    }

    [Fact]
    public void PublicNicDown_Fault_ReleasesVipAndPeerTakesOverAtOnce()
    {
        using var lab = new VrrpLab();
        lab.StartKeepalived('B', 3, 100, "1");
        lab.StartAppliance('A', $"--virtual-router-id 51 --advert-int 1 --priority 150 --virtual-ipaddress {VrrpLab.Vip}/24");
        lab.AssertSoleHolder('A', Within, TimeSpan.FromSeconds(1), "appliance MASTER");
        var sw = System.Diagnostics.Stopwatch.StartNew();
        VrrpLab.Sh("ip", $"-n {lab.A} link set {lab.PubA} down");
        lab.AssertSoleHolder('B', Within, TimeSpan.Zero, "public NIC of the master down: FAULT, priority 0, keepalived takes over");
        // Priority 0 makes keepalived wait Skew_Time (0.61 s at priority 100), not Master_Down_Interval (3.6 s).
        Assert.True(sw.Elapsed < TimeSpan.FromSeconds(2.5), $"takeover after FAULT took {sw.Elapsed.TotalSeconds:0.00} s\n{lab.Logs()}");
        Assert.Contains("FAULT", lab.Logs());
        VrrpLab.Sh("ip", $"-n {lab.A} link set {lab.PubA} up");
        // Back from FAULT the appliance goes BACKUP first, then preempts keepalived by priority (the VIP never doubles).
        lab.AssertSoleHolder('A', Within, TimeSpan.FromSeconds(1), "public NIC back: the higher-priority appliance preempts again");
    }

    [Fact]
    public void Ipv6_V3_Interoperates_BothWays()
    {
        using var lab = new VrrpLab();
        const string vip6 = "2001:db8::100";
        // Both heartbeat link-local addresses must have passed DAD first: a daemon whose source is still
        // tentative cannot send, and the other side would rightly take over meanwhile.
        foreach (var (ns, dev) in new[] { (lab.A, lab.HbA), (lab.B, lab.HbB) })
            lab.WaitFor(() => VrrpLab.Sh("ip", $"-n {ns} -6 addr show dev {dev}") is var o && o.Contains("fe80") && !o.Contains("tentative"), Within, $"link-local address on {dev} ready");
        var k6 = lab.StartKeepalivedRaw('B', $$"""
            global_defs {
              router_id k6
            }
            vrrp_instance VI_6 {
              version 3
              state BACKUP
              interface {{lab.HbB}}
              dont_track_primary
              virtual_router_id 61
              priority 150
              advert_int 0.1
              virtual_ipaddress {
                {{vip6}}/64 dev {{lab.PubB}}
              }
            }
            """);
        lab.WaitFor(() => lab.Holds('B', vip6), Within, "keepalived holds the IPv6 VIP");
        var a = lab.StartAppliance('A', $"--virtual-router-id 61 --advert-int 0.1 --priority 100 --virtual-ipaddress {vip6}/64");
        lab.WaitFor(() => a.Text.Contains("BACKUP"), Within, "appliance in BACKUP");
        for (int i = 0; i < 50; i++) { Assert.False(lab.Holds('A', vip6), $"appliance took the IPv6 VIP while keepalived is master\n{lab.Logs()}"); Thread.Sleep(20); }
        lab.Stop(k6);
        lab.WaitFor(() => lab.Holds('A', vip6) && !lab.Holds('B', vip6), Within, "appliance takes the IPv6 VIP after keepalived stops");
    }
}
