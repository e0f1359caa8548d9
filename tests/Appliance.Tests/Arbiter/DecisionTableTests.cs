using Appliance.Arbiter;
using Xunit;

namespace Appliance.Tests.Arbiter;

/// <summary>
/// The decision table, exhaustively: every combination of every input enum (3*2*2*4*2*5*6*2 =
/// 5760 cases) is decided and checked against the invariants of docs/split-brain.md.
/// </summary>
public class DecisionTableTests
{
    public static IEnumerable<Evidence> All()
    {
        foreach (var own in Enum.GetValues<OwnRole>())
        foreach (var vrrp in Enum.GetValues<VrrpEvidence>())
        foreach (var hb in Enum.GetValues<Carrier>())
        foreach (var serial in Enum.GetValues<SerialEvidence>())
        foreach (var pub in Enum.GetValues<Carrier>())
        foreach (var probe in Enum.GetValues<ProbeResult>())
        foreach (var report in Enum.GetValues<PeerReport>())
        foreach (var prec in Enum.GetValues<Precedence>())
            yield return new Evidence(own, vrrp, hb, serial, pub, probe, report, prec);
    }

    private static void ForAll(Func<Evidence, Decision, bool> invariant, string name)
    {
        int n = 0;
        foreach (var e in All())
        {
            var d = SplitBrainArbiter.Decide(e);
            Assert.True(invariant(e, d), $"invariant '{name}' broken for {e} -> {d}");
            n++;
        }
        Assert.Equal(3 * 2 * 2 * 4 * 2 * 5 * 6 * 2, n);
    }

    private static bool PeerKnownMaster(Evidence e) =>
        (e.Serial == SerialEvidence.PeerAlive && e.PeerReport == PeerReport.Master)
        || (e.Vrrp == VrrpEvidence.AdvertsFresh && !(e.Serial == SerialEvidence.PeerAlive && e.PeerReport is PeerReport.Stopping or PeerReport.Fault));

    [Fact]
    public void Verdict_fits_the_own_role() => ForAll((e, d) => e.Own == OwnRole.Master
        ? d.Verdict is Verdict.StayMaster or Verdict.StepDown or Verdict.Release
        : d.Verdict is Verdict.StayBackup or Verdict.TakeOver, "verdict fits role");

    [Fact]
    public void Never_take_over_while_the_peer_is_known_alive_and_master_on_any_link() =>
        ForAll((e, d) => !(PeerKnownMaster(e) && d.Verdict == Verdict.TakeOver), "no takeover from a live master");

    [Fact]
    public void Never_take_over_while_the_peer_answers_on_the_public_NIC_and_the_serial_link_tells_nothing() =>
        ForAll((e, d) => !(e.Probe == ProbeResult.PeerAnswers && e.Serial != SerialEvidence.PeerAlive && d.Verdict == Verdict.TakeOver),
            "no takeover while the peer's kernel answers and its role is unknown");

    [Fact]
    public void Never_hold_VIPs_without_a_public_link() =>
        ForAll((e, d) => e.PublicCarrier == Carrier.Up || d.Verdict is Verdict.StayBackup or Verdict.Release, "no VIPs without public link");

    [Fact]
    public void Takeover_only_on_positive_evidence() => ForAll((e, d) => d.Verdict != Verdict.TakeOver
        || (e.Serial == SerialEvidence.PeerAlive && e.PeerReport is PeerReport.Stopping or PeerReport.Fault)
        || (e.Serial == SerialEvidence.PeerAlive && e.PeerReport is PeerReport.Backup or PeerReport.Unknown or PeerReport.BackupWantsMaster
            && e.Vrrp == VrrpEvidence.AdvertsStale && e.Precedence == Precedence.WeWin)
        || (e.Serial != SerialEvidence.PeerAlive && e.Vrrp == VrrpEvidence.AdvertsStale && e.Probe is ProbeResult.PeerSilent or ProbeResult.NotConfigured)
        || (e.Serial != SerialEvidence.PeerAlive && e.Vrrp == VrrpEvidence.AdvertsStale && e.Probe == ProbeResult.PeerAnswersVipFree && e.HeartbeatCarrier == Carrier.Up),
        "takeover needs positive evidence");

    [Fact]
    public void Master_losing_its_public_link_releases_and_tells_the_peer() =>
        ForAll((e, d) => !(e.Own == OwnRole.Master && e.PublicCarrier == Carrier.Down)
            || (d.Verdict == Verdict.Release && d.NotifyPeer && d.Alarms.HasFlag(Alarm.PublicLinkDown) && d.FrontPanelFault),
            "master public link down -> release + notify");

    [Fact]
    public void Notify_peer_exactly_on_release() =>
        ForAll((e, d) => d.NotifyPeer == (d.Verdict == Verdict.Release), "notify iff release");

    [Fact]
    public void Two_masters_seen_on_the_serial_link_resolve_to_exactly_one() => ForAll((e, d) =>
    {
        if (e.Own != OwnRole.Master || e.PublicCarrier == Carrier.Down || !(e.Serial == SerialEvidence.PeerAlive && e.PeerReport == PeerReport.Master))
            return true;
        var mirror = SplitBrainArbiter.Decide(e with { Precedence = e.Precedence == Precedence.WeWin ? Precedence.PeerWins : Precedence.WeWin });
        return d.Alarms.HasFlag(Alarm.SplitBrain) && (d.Verdict == Verdict.StayMaster) != (mirror.Verdict == Verdict.StayMaster);
    }, "split brain resolves to one master");

    [Fact]
    public void Two_backups_with_mirrored_evidence_never_both_take_over() => ForAll((e, d) =>
    {
        if (e.Own == OwnRole.Master || e.Serial != SerialEvidence.PeerAlive || e.PeerReport is not (PeerReport.Backup or PeerReport.Unknown or PeerReport.BackupWantsMaster))
            return true;
        // The peer sees the same links and reports us as backup; only precedence is mirrored.
        var peer = SplitBrainArbiter.Decide(e with { PeerReport = PeerReport.Backup, Precedence = e.Precedence == Precedence.WeWin ? Precedence.PeerWins : Precedence.WeWin });
        return !(d.Verdict == Verdict.TakeOver && peer.Verdict == Verdict.TakeOver);
    }, "mirrored backups");

    [Fact]
    public void Peer_report_is_ignored_unless_the_serial_peer_is_alive() => ForAll((e, d) =>
        e.Serial == SerialEvidence.PeerAlive || SplitBrainArbiter.Decide(e with { PeerReport = PeerReport.Unknown }) == d, "report ignored");

    [Fact]
    public void Precedence_only_matters_in_a_tie() => ForAll((e, d) =>
    {
        var other = SplitBrainArbiter.Decide(e with { Precedence = e.Precedence == Precedence.WeWin ? Precedence.PeerWins : Precedence.WeWin });
        return other.Verdict == d.Verdict || d.Rule is "B5" or "M2" or "M3" or "M4" || other.Rule == "M4";
    }, "precedence only in ties");

    [Fact]
    public void A_probe_is_requested_exactly_when_it_would_decide() => ForAll((e, d) =>
        d.RequestProbe == (d.Rule == "B6") && (!d.RequestProbe || e.Probe == ProbeResult.NotProbed), "probe request");

    [Fact]
    public void Front_panel_fault_follows_the_alarms_and_a_serial_failure_alone_is_alarm_only() => ForAll((e, d) =>
        d.FrontPanelFault == ((d.Alarms & ~Alarm.SerialLinkFailed) != Alarm.None)
        && (e.Serial is not (SerialEvidence.PortFailed or SerialEvidence.PeerSilent) || d.Alarms.HasFlag(Alarm.SerialLinkFailed))
        && (e.HeartbeatCarrier == Carrier.Up || (d.Alarms.HasFlag(Alarm.HeartbeatLinkDown) && d.FrontPanelFault)),
        "front panel");

    [Fact]
    public void Every_rule_is_reachable_and_every_reason_is_said()
    {
        var rules = new HashSet<string>();
        foreach (var e in All())
        {
            var d = SplitBrainArbiter.Decide(e);
            Assert.False(string.IsNullOrWhiteSpace(d.Reason));
            rules.Add(d.Rule);
        }
        Assert.Equal(["B1", "B2", "B3", "B4", "B5", "B6", "B7", "B8", "B9", "M1", "M2", "M3", "M4", "M5"], rules.Order());
    }

    // The cases the issue names, each as one concrete row.

    private static readonly Evidence BackupAllFine = new(OwnRole.Backup, VrrpEvidence.AdvertsFresh, Carrier.Up,
        SerialEvidence.PeerAlive, Carrier.Up, ProbeResult.NotProbed, PeerReport.Master, Precedence.PeerWins);

    [Fact]
    public void All_fine_backup_stays_backup_without_alarm()
    {
        var d = SplitBrainArbiter.Decide(BackupAllFine);
        Assert.Equal((Verdict.StayBackup, Alarm.None, false), (d.Verdict, d.Alarms, d.FrontPanelFault));
    }

    [Theory]
    [InlineData(Carrier.Down, Alarm.HeartbeatLinkDown)]
    [InlineData(Carrier.Up, Alarm.HeartbeatPathFailed)]
    public void Heartbeat_link_cut_and_peer_alive_on_serial_means_no_takeover_alarm_and_fault_light(Carrier carrier, Alarm expected)
    {
        foreach (var probe in Enum.GetValues<ProbeResult>())
        {
            var d = SplitBrainArbiter.Decide(BackupAllFine with { Vrrp = VrrpEvidence.AdvertsStale, HeartbeatCarrier = carrier, Probe = probe });
            Assert.Equal(Verdict.StayBackup, d.Verdict);
            Assert.True(d.Alarms.HasFlag(expected), d.ToString());
            Assert.True(d.FrontPanelFault);
        }
    }

    [Theory]
    [InlineData(SerialEvidence.PeerSilent)]
    [InlineData(SerialEvidence.PortFailed)]
    public void Serial_cut_with_heartbeat_fine_is_an_alarm_only(SerialEvidence serial)
    {
        var backup = SplitBrainArbiter.Decide(BackupAllFine with { Serial = serial });
        Assert.Equal((Verdict.StayBackup, Alarm.SerialLinkFailed, false), (backup.Verdict, backup.Alarms, backup.FrontPanelFault));
        var master = SplitBrainArbiter.Decide(BackupAllFine with { Own = OwnRole.Master, Vrrp = VrrpEvidence.AdvertsStale, Serial = serial });
        Assert.Equal((Verdict.StayMaster, Alarm.SerialLinkFailed, false), (master.Verdict, master.Alarms, master.FrontPanelFault));
    }

    [Fact]
    public void Both_cut_and_peer_silent_on_public_NIC_means_take_over()
    {
        var both = BackupAllFine with { Vrrp = VrrpEvidence.AdvertsStale, HeartbeatCarrier = Carrier.Down, Serial = SerialEvidence.PeerSilent };
        var first = SplitBrainArbiter.Decide(both);
        Assert.Equal(Verdict.StayBackup, first.Verdict);
        Assert.True(first.RequestProbe);
        var d = SplitBrainArbiter.Decide(both with { Probe = ProbeResult.PeerSilent });
        Assert.Equal(Verdict.TakeOver, d.Verdict);
        Assert.True(d.Alarms.HasFlag(Alarm.PeerLost));
    }

    [Fact]
    public void Both_cut_but_peer_answers_on_public_NIC_means_no_takeover_and_alarm()
    {
        var d = SplitBrainArbiter.Decide(BackupAllFine with
        { Vrrp = VrrpEvidence.AdvertsStale, HeartbeatCarrier = Carrier.Down, Serial = SerialEvidence.PeerSilent, Probe = ProbeResult.PeerAnswers });
        Assert.Equal(Verdict.StayBackup, d.Verdict);
        Assert.True(d.Alarms.HasFlag(Alarm.PeerAnswersOnPublicOnly));
        Assert.True(d.FrontPanelFault);
    }

    [Fact]
    public void Without_a_peer_address_to_probe_both_heartbeat_channels_silent_means_take_over_without_asking()
    {
        var both = BackupAllFine with { Vrrp = VrrpEvidence.AdvertsStale, Serial = SerialEvidence.PeerSilent, Probe = ProbeResult.NotConfigured };
        var d = SplitBrainArbiter.Decide(both);
        Assert.Equal((Verdict.TakeOver, "B8", false), (d.Verdict, d.Rule, d.RequestProbe));
        Assert.True(d.Alarms.HasFlag(Alarm.PeerLost));
        // Still nothing on one channel alone: the serial peer alive and master, or fresh adverts, keep us backup.
        Assert.Equal(Verdict.StayBackup, SplitBrainArbiter.Decide(both with { Serial = SerialEvidence.PeerAlive }).Verdict);
        Assert.Equal(Verdict.StayBackup, SplitBrainArbiter.Decide(both with { Vrrp = VrrpEvidence.AdvertsFresh }).Verdict);
    }

    [Theory]
    [InlineData(Carrier.Up, Verdict.TakeOver)]
    [InlineData(Carrier.Down, Verdict.StayBackup)]
    public void Peer_alive_on_public_but_nobody_holding_the_VIP_is_taken_over_only_while_the_heartbeat_link_has_carrier(Carrier heartbeat, Verdict expected)
    {
        // Both nodes starting without a serial link: no adverts anywhere, the peer answers ARP, the VIP does not.
        var d = SplitBrainArbiter.Decide(BackupAllFine with
        { Vrrp = VrrpEvidence.AdvertsStale, HeartbeatCarrier = heartbeat, Serial = SerialEvidence.NotConfigured, PeerReport = PeerReport.Unknown, Probe = ProbeResult.PeerAnswersVipFree });
        Assert.Equal((expected, "B9"), (d.Verdict, d.Rule));
        // Somebody answering for the VIP (a live master, or one whose daemon hangs) always keeps us backup.
        var held = SplitBrainArbiter.Decide(BackupAllFine with
        { Vrrp = VrrpEvidence.AdvertsStale, HeartbeatCarrier = heartbeat, Serial = SerialEvidence.NotConfigured, PeerReport = PeerReport.Unknown, Probe = ProbeResult.PeerAnswers });
        Assert.Equal((Verdict.StayBackup, "B7"), (held.Verdict, held.Rule));
    }

    [Fact]
    public void A_backup_with_precedence_that_wants_to_preempt_makes_the_master_hand_over_first()
    {
        var master = BackupAllFine with { Own = OwnRole.Master, Vrrp = VrrpEvidence.AdvertsStale, PeerReport = PeerReport.BackupWantsMaster };
        var d = SplitBrainArbiter.Decide(master with { Precedence = Precedence.PeerWins });
        Assert.Equal((Verdict.StepDown, "M4", Alarm.None), (d.Verdict, d.Rule, d.Alarms));
        // Without precedence (lower priority: its adverts were lost, it is not preempting) the master stays.
        Assert.Equal(Verdict.StayMaster, SplitBrainArbiter.Decide(master with { Precedence = Precedence.WeWin }).Verdict);
        // The backup, seeing the former master report BACKUP, takes over by B5.
        var backup = SplitBrainArbiter.Decide(BackupAllFine with { Vrrp = VrrpEvidence.AdvertsStale, PeerReport = PeerReport.Backup, Precedence = Precedence.WeWin });
        Assert.Equal((Verdict.TakeOver, "B5"), (backup.Verdict, backup.Rule));
    }

    [Fact]
    public void Planned_handover_over_serial_is_immediate_even_while_adverts_are_still_fresh()
    {
        var d = SplitBrainArbiter.Decide(BackupAllFine with { PeerReport = PeerReport.Stopping });
        Assert.Equal(Verdict.TakeOver, d.Verdict);
        Assert.Equal(Alarm.None, d.Alarms);
    }
}
