using Appliance.Arbiter;
using Appliance.Daemon;
using Appliance.PeerLink;
using Xunit;

namespace Appliance.Tests.Control;

public sealed class ArbiterStatusTests
{
    [Fact]
    public void Arbiter_section_names_the_verdict_its_rule_the_alarms_and_how_long_it_stands()
    {
        // Heartbeat cut, peer alive on serial: the arbiter withholds takeover and raises an alarm (B2).
        var evidence = new Evidence(OwnRole.Backup, VrrpEvidence.AdvertsStale, Carrier.Down, SerialEvidence.PeerAlive, Carrier.Up,
            ProbeResult.NotProbed, PeerReport.Master, Precedence.WeWin);
        var decision = SplitBrainArbiter.Decide(evidence);
        var lines = ArbiterStatus.Lines(new GuardSnapshot(decision, evidence, TimeSpan.FromSeconds(10)), TimeSpan.FromSeconds(22.5));

        Assert.Equal($"{decision.Verdict} by rule {decision.Rule} for 12.5 s: {decision.Reason}", lines[0]);
        Assert.Equal(Verdict.StayBackup, decision.Verdict);
        Assert.Contains("HeartbeatLinkDown", lines[1]);
        Assert.Contains("front panel shows a fault", lines[1]);
        Assert.Equal($"evidence: {evidence}", lines[2]);
    }

    [Fact]
    public void Arbiter_section_before_VRRP_started_says_so()
    {
        Assert.Equal(["no decision yet (VRRP has not started)"], ArbiterStatus.Lines(null, TimeSpan.Zero));
    }

    [Fact]
    public void Peer_link_section_shows_port_liveness_last_heard_and_counters()
    {
        var counters = new PeerLinkCounters();
        counters.CountSent(40);
        counters.CountRejected(RejectReason.BadMac);
        var status = new PeerLinkStatus("/dev/ttyS1", PortState.Open, "reading /dev/ttyS1: EIO", PeerAlive: false, HandshakePending: true,
            LastMessage: null, LastHeard: TimeSpan.FromSeconds(3), counters);

        var lines = PeerLinkStatusSection.Lines(status, TimeSpan.FromSeconds(5.5));

        Assert.Equal("/dev/ttyS1: port open, peer silent, last heard 2.5 s ago, handshake pending", lines[0]);
        Assert.Equal("last error: reading /dev/ttyS1: EIO", lines[1]);
        Assert.StartsWith("counters: sent 1 accepted 0 bytes-in 0 bytes-out 40", lines[2]);
        Assert.Contains("rejected-bad-mac 1", lines[2]);
    }

    [Fact]
    public void Peer_link_section_without_serial_heartbeat()
    {
        Assert.Equal(["not configured ([serial_heartbeat] disabled or no key)"], PeerLinkStatusSection.Lines(null, TimeSpan.Zero));
    }
}

public sealed class FailbackGateStatusTests
{
    [Fact]
    public void Held_gate_shows_how_long_the_count_and_the_reason()
    {
        var s = new Appliance.Sync.SyncStatusSnapshot(true, Appliance.Sync.DirectorRole.Backup,
            new Appliance.Sync.SyncCatchUpSnapshot(true, TimeSpan.FromSeconds(41), 1200, "entries still growing", false,
                TimeSpan.FromSeconds(20), TimeSpan.FromSeconds(600)), null, []);
        Assert.Equal(
        [
            "preemption held after 41.0 s: entries still growing",
            "synced entries 1200; settle window 20.0 s, maximum wait 600.0 s",
        ], FailbackGateStatus.Lines(s));
    }

    [Fact]
    public void Master_or_disabled_sync_say_why_nothing_is_held()
    {
        Assert.Equal(["not waiting (director MASTER; the gate runs while BACKUP)", "reading the connection table: no IPVS"],
            FailbackGateStatus.Lines(new Appliance.Sync.SyncStatusSnapshot(true, Appliance.Sync.DirectorRole.Master, null, "no IPVS", [])));
        Assert.Equal(["off ([sync] disabled): preemption is not held"],
            FailbackGateStatus.Lines(new Appliance.Sync.SyncStatusSnapshot(false, Appliance.Sync.DirectorRole.Backup, null, null, [])));
    }
}
