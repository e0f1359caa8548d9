namespace Appliance.Arbiter;

/// <summary>
/// The split-brain decision table of docs/split-brain.md as a pure function: rules are tried in
/// order and the first match decides. The principle, from F5's hardwired failover and Cisco
/// ASA's interface tests: take over only on positive evidence that the peer does not hold the
/// VIPs — it said so over an authenticated link, or it is silent on the heartbeat link, the
/// serial link AND its public address. Silence on one channel alone is an alarm, not a reason.
/// </summary>
public static class SplitBrainArbiter
{
    public static Decision Decide(in Evidence e) =>
        e.Own == OwnRole.Master ? DecideAsMaster(e) : DecideAsBackup(e);

    private static Decision DecideAsBackup(in Evidence e)
    {
        bool serialAlive = e.Serial == SerialEvidence.PeerAlive;
        var alarms = CommonAlarms(e);

        if (e.PublicCarrier == Carrier.Down)
            return Make(Verdict.StayBackup, alarms, "B1", "our public link is down: we cannot serve the VIPs");

        if (serialAlive && e.PeerReport == PeerReport.Master)
        {
            if (e.Vrrp == VrrpEvidence.AdvertsStale && e.HeartbeatCarrier == Carrier.Up) alarms |= Alarm.HeartbeatPathFailed;
            if (e.Probe == ProbeResult.PeerSilent) alarms |= Alarm.PeerPublicUnreachable;
            return Make(Verdict.StayBackup, alarms, "B2", e.Vrrp == VrrpEvidence.AdvertsStale
                ? "the peer is alive and master on the serial link although its adverts are lost"
                : "the peer is master");
        }

        if (serialAlive && e.PeerReport is PeerReport.Stopping or PeerReport.Fault)
        {
            if (e.PeerReport == PeerReport.Fault) alarms |= Alarm.PeerFault;
            return Make(Verdict.TakeOver, alarms, "B3", e.PeerReport == PeerReport.Stopping
                ? "the peer is stopping and has released its VIPs (planned handover)"
                : "the peer reports a fault and has released its VIPs");
        }

        if (e.Vrrp == VrrpEvidence.AdvertsFresh)
            return Make(Verdict.StayBackup, alarms, "B4", "VRRP adverts are fresh (Master_Down_Interval has not elapsed since the last one, or since start-up)");

        if (serialAlive)
            return e.Precedence == Precedence.WeWin
                ? Make(Verdict.TakeOver, alarms, "B5", "no master anywhere and the peer, alive on the serial link, is backup: we have precedence")
                : Make(Verdict.StayBackup, alarms, "B5", "no master anywhere and the peer, alive on the serial link, is backup: it has precedence");

        // Silent on the heartbeat link and on the serial link (or serial not configured):
        // the peer may be dead, or only the links may be cut. Ask the public NIC.
        return e.Probe switch
        {
            ProbeResult.NotProbed => Make(Verdict.StayBackup, alarms, "B6", "the peer is silent on the heartbeat links: probing its public address", requestProbe: true),
            ProbeResult.PeerAnswers => Make(Verdict.StayBackup, alarms | Alarm.PeerAnswersOnPublicOnly, "B7",
                "the heartbeat links are silent but the peer answers on the public NIC and the VIP is held: links cut, not taking over"),
            ProbeResult.NotConfigured => Make(Verdict.TakeOver, alarms | Alarm.PeerLost, "B8",
                "the peer is silent on the heartbeat links (no peer_public_address to probe on the public NIC)"),
            // Nobody holds the VIPs, yet the peer is alive: both nodes are starting (no serial link
            // to agree on precedence), or the peer is backup. With heartbeat carrier the VRRP adverts
            // settle a simultaneous takeover by priority within one advert; without it the two
            // nodes could not see each other, so neither moves.
            ProbeResult.PeerAnswersVipFree => e.HeartbeatCarrier == Carrier.Up
                ? Make(Verdict.TakeOver, alarms, "B9", "no master anywhere: the peer answers on the public NIC but nobody holds the VIPs; the heartbeat link has carrier, so VRRP settles a race by priority")
                : Make(Verdict.StayBackup, alarms | Alarm.PeerAnswersOnPublicOnly, "B9",
                    "no master anywhere, but the heartbeat links are down while the peer answers on the public NIC: without a link to agree on who takes over, neither does"),
            _ => Make(Verdict.TakeOver, alarms | Alarm.PeerLost, "B8", "the peer is silent on the heartbeat links and on the public NIC"),
        };
    }

    private static Decision DecideAsMaster(in Evidence e)
    {
        bool serialAlive = e.Serial == SerialEvidence.PeerAlive;
        var alarms = CommonAlarms(e);

        if (e.PublicCarrier == Carrier.Down)
            return Make(Verdict.Release, alarms, "M1", "our public link is down: releasing the VIPs and handing over", notifyPeer: true);

        if (serialAlive && e.PeerReport == PeerReport.Master)
            return TieBreak(e, alarms | Alarm.SplitBrain, "M2", "the peer is master too (serial link)");

        bool peerSaysNotMaster = serialAlive && e.PeerReport is not PeerReport.Unknown;
        if (e.Vrrp == VrrpEvidence.AdvertsFresh && !peerSaysNotMaster)
            return TieBreak(e, alarms | Alarm.SplitBrain, "M3", "the peer advertises as master on the heartbeat link");

        // VRRP preemption between two appliances, break before make: the preempting backup says
        // so over the serial link and the master releases first (priority 0, VIPs removed); the
        // backup then takes over by B5. Plain VRRP would have both hold the VIPs for one advert.
        if (serialAlive && e.PeerReport == PeerReport.BackupWantsMaster && e.Precedence == Precedence.PeerWins)
            return Make(Verdict.StepDown, alarms, "M4", "the peer, backup with precedence, wants to take over (preemption): handing over first");

        if (serialAlive && e.PeerReport == PeerReport.Fault) alarms |= Alarm.PeerFault;
        return Make(Verdict.StayMaster, alarms, "M5", "no other master");
    }

    private static Decision TieBreak(in Evidence e, Alarm alarms, string rule, string what) =>
        e.Precedence == Precedence.PeerWins
            ? Make(Verdict.StepDown, alarms, rule, what + ": it has precedence, stepping down")
            : Make(Verdict.StayMaster, alarms, rule, what + ": we have precedence, keeping the VIPs");

    private static Alarm CommonAlarms(in Evidence e)
    {
        var a = Alarm.None;
        if (e.PublicCarrier == Carrier.Down) a |= Alarm.PublicLinkDown;
        if (e.HeartbeatCarrier == Carrier.Down) a |= Alarm.HeartbeatLinkDown;
        if (e.Serial is SerialEvidence.PortFailed or SerialEvidence.PeerSilent) a |= Alarm.SerialLinkFailed;
        return a;
    }

    /// <summary>The front panel shows a fault for every alarm except a failed serial link alone (the issue: "serial cut, heartbeat fine: alarm only").</summary>
    private static Decision Make(Verdict v, Alarm alarms, string rule, string reason, bool requestProbe = false, bool notifyPeer = false) =>
        new(v, alarms, (alarms & ~Alarm.SerialLinkFailed) != Alarm.None, requestProbe, notifyPeer, rule, reason);
}
