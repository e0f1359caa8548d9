namespace Appliance.Arbiter;

/// <summary>This node's own role as the VRRP engine has it (its instances move together).</summary>
public enum OwnRole { Backup, Master, Fault }

/// <summary>VRRP adverts of the peer on the heartbeat link: seen within Master_Down_Interval, or not.</summary>
public enum VrrpEvidence { AdvertsFresh, AdvertsStale }

/// <summary>Carrier (IFF_LOWER_UP / operstate) of a NIC.</summary>
public enum Carrier { Up, Down }

/// <summary>The serial heartbeat: not configured, our port failing (EIO, unplugged USB adapter), silent for the dead time, or the peer alive (authenticated, fresh frames).</summary>
public enum SerialEvidence { NotConfigured, PortFailed, PeerSilent, PeerAlive }

/// <summary>
/// The data-path probe: ARP for the peer's public address on the public NIC (Cisco ASA interface
/// test), and in the same run for the first VIP.
/// </summary>
public enum ProbeResult
{
    NotProbed,
    /// <summary>The peer answers and somebody answers for the VIP (or the VIP could not be asked): the peer may hold the VIPs.</summary>
    PeerAnswers,
    /// <summary>Neither the peer's address nor the VIP answers.</summary>
    PeerSilent,
    /// <summary>No peer_public_address: nothing to ask; the arbiter decides from the heartbeat channels alone, as F5's "serial and network failover both lost".</summary>
    NotConfigured,
    /// <summary>The peer answers but nobody answers for the VIP: the peer is alive and holds no VIP (both nodes starting, or the peer backup).</summary>
    PeerAnswersVipFree,
}

/// <summary>
/// The role the peer reports over the serial link; only meaningful while <see cref="SerialEvidence.PeerAlive"/>.
/// <see cref="BackupWantsMaster"/>: backup, and its VRRP engine wants to take over (it would preempt us).
/// </summary>
public enum PeerReport { Unknown, Backup, Master, Fault, Stopping, BackupWantsMaster }

/// <summary>Who wins a tie between the two nodes: higher VRRP priority, then higher node id (the same on both nodes).</summary>
public enum Precedence { PeerWins, WeWin }

/// <summary>Everything the arbiter knows at one instant.</summary>
public readonly record struct Evidence(
    OwnRole Own,
    VrrpEvidence Vrrp,
    Carrier HeartbeatCarrier,
    SerialEvidence Serial,
    Carrier PublicCarrier,
    ProbeResult Probe,
    PeerReport PeerReport,
    Precedence Precedence)
{
    public override string ToString() =>
        $"own={Own} vrrp={Vrrp} hb-carrier={HeartbeatCarrier} serial={Serial} public-carrier={PublicCarrier} probe={Probe} peer-report={PeerReport} precedence={Precedence}";
}

/// <summary>What this node must do about the VIPs.</summary>
public enum Verdict
{
    /// <summary>Do not hold the VIPs (stay BACKUP, or stay FAULT).</summary>
    StayBackup,
    /// <summary>Become MASTER now: the peer is known not to hold the VIPs.</summary>
    TakeOver,
    /// <summary>Keep the VIPs.</summary>
    StayMaster,
    /// <summary>Lost a MASTER/MASTER tie: drop the VIPs and become BACKUP.</summary>
    StepDown,
    /// <summary>Our public link failed: drop the VIPs, enter FAULT, tell the peer on both links (VRRP priority 0 and serial HANDOVER_NOW).</summary>
    Release,
}

/// <summary>Conditions shown to the operator (log, status, SNMP-style traps later).</summary>
[Flags]
public enum Alarm
{
    None = 0,
    /// <summary>Our public NIC has no carrier.</summary>
    PublicLinkDown = 1 << 0,
    /// <summary>The heartbeat NIC has no carrier.</summary>
    HeartbeatLinkDown = 1 << 1,
    /// <summary>Carrier is up but the master's adverts do not arrive although the peer says it is master (filtered protocol 112, broken path).</summary>
    HeartbeatPathFailed = 1 << 2,
    /// <summary>The serial heartbeat is configured but the peer is not heard on it (or the port fails).</summary>
    SerialLinkFailed = 1 << 3,
    /// <summary>Both heartbeat channels are silent but the peer still answers ARP on the public NIC: split brain averted, not taking over.</summary>
    PeerAnswersOnPublicOnly = 1 << 4,
    /// <summary>The peer is silent on every channel, including the public NIC: it is gone.</summary>
    PeerLost = 1 << 5,
    /// <summary>Both nodes claim MASTER.</summary>
    SplitBrain = 1 << 6,
    /// <summary>The peer says it is master but does not answer ARP on the public NIC.</summary>
    PeerPublicUnreachable = 1 << 7,
    /// <summary>The peer reports FAULT (its public link failed).</summary>
    PeerFault = 1 << 8,
}

/// <summary>The arbiter's answer. <see cref="Rule"/> names the row of the table in docs/split-brain.md.</summary>
public readonly record struct Decision(
    Verdict Verdict,
    Alarm Alarms,
    bool FrontPanelFault,
    bool RequestProbe,
    bool NotifyPeer,
    string Rule,
    string Reason)
{
    public override string ToString() =>
        $"{Verdict} (rule {Rule}: {Reason}); alarms {Alarms}{(FrontPanelFault ? "; front-panel fault" : "")}{(RequestProbe ? "; probe requested" : "")}{(NotifyPeer ? "; notify peer" : "")}";
}
