using System.Net;
using System.Net.Sockets;
using Appliance.Core;
using Appliance.Logging;
using Appliance.PeerLink;
using Appliance.Takeover;
using Appliance.Vrrp;

namespace Appliance.Arbiter;

/// <summary>What the guard needs to know about this node's network.</summary>
public sealed record GuardOptions
{
    public required string HeartbeatInterface { get; init; }
    public required string PublicInterface { get; init; }
    /// <summary>Our own address on the public NIC (the sender of the probe's ARP requests); null: the first IPv4 address of the public NIC that is not a VIP, looked up at each probe.</summary>
    public IPAddress? PublicAddress { get; init; }
    /// <summary>The peer's own address on the public NIC (what the probe asks for; not a VIP); null: no probe, <see cref="ProbeResult.NotConfigured"/>.</summary>
    public IPAddress? PeerPublicAddress { get; init; }
    public required uint NodeId { get; init; }
    public TimeSpan Period { get; init; } = TimeSpan.FromMilliseconds(20);
    /// <summary>How long a probe result stands before the probe is repeated while the peer is suspect (B7 must notice a peer that dies later).</summary>
    public TimeSpan ProbeValidity { get; init; } = TimeSpan.FromMilliseconds(300);
    public ArpProbeTiming ProbeTiming { get; init; } = new();
}

/// <summary>The guard's last decision, the evidence it came from, and since when that decision stands (monotonic).</summary>
public sealed record GuardSnapshot(Decision Decision, Evidence Evidence, TimeSpan Since);

/// <summary>
/// The shell around <see cref="SplitBrainArbiter"/>: every <see cref="GuardOptions.Period"/> it
/// gathers the evidence (VRRP machine, carriers from sysfs, the serial link's snapshot, the ARP
/// probe), decides, and carries out the verdict through the VRRP service's narrow hooks:
/// takeover permission, failover (step down), and the serial link's report and commands.
/// <see cref="Run"/> turns from daemon start; until <see cref="VrrpHost"/> attaches a started
/// service (a NIC may be late) it only reports INITIALIZE over the serial link.
///
/// TODO (one event loop): this runs on its own thread and reads the VRRP machine's state
/// across threads (two enum/bool reads, racy by at most one period); once the daemon's single
/// event loop hosts VRRP and the peer link, the guard becomes one more timer of that loop.
/// </summary>
public sealed class SplitBrainGuard : ITakeoverAuthority, IDisposable
{
    private const string Component = "arbiter";
    private readonly GuardOptions _options;
    private readonly CarrierSensor _heartbeatCarrier;
    private readonly CarrierSensor _publicCarrier;
    private readonly Lock _attachLock = new();
    private VrrpService? _vrrp;
    private RtnetlinkAddressClient? _addresses;
    private readonly PeerLinkEndpoint? _peerLink;
    private readonly ILog _log;
    private readonly IClock _clock;
    private ArpProbe? _probe;
    private ProbeResult _probeResult = ProbeResult.NotProbed;
    private TimeSpan _probedAt;
    private bool? _permitted;
    private Decision? _last;
    private GuardSnapshot? _published;
    private bool _releaseNotified;
    private bool _steppedDown;
    private volatile LocalStatus _local = LocalStatus.Initial;

    private readonly Action<Decision>? _frontPanel;

    /// <summary><paramref name="frontPanel"/> is told, on the guard's thread, of every decision whose front-panel fault indication differs from the previous one.</summary>
    public SplitBrainGuard(GuardOptions options, PeerLinkEndpoint? peerLink, ILog log, IClock clock, Action<Decision>? frontPanel = null)
    {
        _frontPanel = frontPanel;
        _options = options;
        _heartbeatCarrier = new CarrierSensor(options.HeartbeatInterface);
        _publicCarrier = new CarrierSensor(options.PublicInterface);
        _peerLink = peerLink;
        _log = log;
        _clock = clock;
    }

    /// <summary>What the serial link reports about us; read by the peer link's loop.</summary>
    public LocalStatus LocalStatus => _local;

    /// <summary>The last decision, published whole (a <see cref="Decision"/> is a struct: read across threads only through this).</summary>
    public Decision? LastDecision => Volatile.Read(ref _published)?.Decision;

    /// <summary>The last decision with its evidence and since when it stands; safe to read from any thread (the operator's status).</summary>
    public GuardSnapshot? Published => Volatile.Read(ref _published);

    /// <summary>The service started with takeover withheld (<see cref="VrrpService.TakeoverNeedsPermission"/>): from now on the guard decides.</summary>
    public void Attach(VrrpService service)
    {
        lock (_attachLock)
        {
            _vrrp = service;
            _permitted = false;
            _last = null;
        }
        _log.Info(Component, $"gating VRRP takeover: heartbeat {_options.HeartbeatInterface}, public {_options.PublicInterface}, " +
            $"serial {(_peerLink is null ? "not configured" : _peerLink.Status.Device)}, " +
            $"probe {(_options.PeerPublicAddress is { } p ? $"ARP for {p} from {(_options.PublicAddress?.ToString() ?? "the public NIC's own address")}" : "not configured (no peer_public_address)")}");
    }

    /// <summary>Waits for a step in progress to finish; afterwards the guard no longer touches <paramref name="service"/>.</summary>
    public void Detach(VrrpService service)
    {
        lock (_attachLock)
            if (_vrrp == service) _vrrp = null;
    }

    /// <summary>Runs until <paramref name="stop"/>; <paramref name="loopTurn"/> is told of every turn (the watchdog's evidence that the guard is alive).</summary>
    public void Run(CancellationToken stop, Action<TimeSpan>? loopTurn = null)
    {
        while (!stop.IsCancellationRequested)
        {
            lock (_attachLock)
            {
                try
                {
                    if (_vrrp is { } vrrp) Step(vrrp);
                }
                catch (Exception e) when (e is IOException or InvalidOperationException or SocketException)
                {
                    _log.Error(Component, $"evaluating the split-brain evidence: {e.Message}");
                }
            }
            loopTurn?.Invoke(_clock.Now);
            stop.WaitHandle.WaitOne(_options.Period);
        }
    }

    public void Dispose()
    {
        _probe?.Dispose();
        _addresses?.Dispose();
        _heartbeatCarrier.Dispose();
        _publicCarrier.Dispose();
    }

    /// <summary>After the VRRP service stopped (VIPs released, priority 0 sent): say STOPPING on the serial link and wait for the acknowledgement, bounded.</summary>
    public void AnnounceStop(TimeSpan bound)
    {
        _local = _local with { Role = NodeRole.Stopping };
        if (_peerLink is null) return;
        long acked = _peerLink.Status.Counters.CommandsAcknowledged;
        _peerLink.Post(now => { _peerLink.Session.Issue(PeerCommand.Stopping, now); _peerLink.SendNow(now); });
        var until = _clock.Now + bound;
        while (_clock.Now < until && _peerLink.Status.Counters.CommandsAcknowledged == acked && _peerLink.Status.PeerAlive)
            Thread.Sleep(5);
    }

    private void Step(VrrpService vrrpService)
    {
        var now = _clock.Now;
        var machine = vrrpService.Machines[0];
        var state = machine.State;
        var own = state switch { VrrpState.Master => OwnRole.Master, VrrpState.Fault => OwnRole.Fault, _ => OwnRole.Backup };
        var vrrp = own != OwnRole.Master && machine.TakeoverPending ? VrrpEvidence.AdvertsStale
            : own == OwnRole.Master ? VrrpEvidence.AdvertsStale : VrrpEvidence.AdvertsFresh;
        bool hbUp = _heartbeatCarrier.Read();
        bool pubUp = _publicCarrier.Read();

        var serial = SerialEvidence.NotConfigured;
        var report = PeerReport.Unknown;
        var precedence = Precedence.WeWin;
        if (_peerLink is not null)
        {
            var s = _peerLink.Status;
            serial = s.Port == PortState.Failed ? SerialEvidence.PortFailed : s.PeerAlive ? SerialEvidence.PeerAlive : SerialEvidence.PeerSilent;
            if (s.PeerAlive && s.LastMessage is { } m)
            {
                report = m.Role switch
                {
                    NodeRole.Backup => (m.Health.Flags & HealthFlags.WantsMaster) != 0 ? PeerReport.BackupWantsMaster : PeerReport.Backup,
                    NodeRole.Master => PeerReport.Master,
                    NodeRole.Fault => PeerReport.Fault, NodeRole.Stopping => PeerReport.Stopping, _ => PeerReport.Unknown,
                };
                int peerPriority = m.Instances.Count > 0 ? m.Instances.Max(i => i.Priority) : 0;
                precedence = peerPriority > machine.Priority || (peerPriority == machine.Priority && m.NodeId > _options.NodeId)
                    ? Precedence.PeerWins : Precedence.WeWin;
            }
        }

        // Probe at the first suspicion — the heartbeat carrier gone or the adverts stale, even
        // while the serial peer still counts as alive — not only when rule B6 asks: the answer is
        // then ready when the serial dead time and VRRP's Master_Down expire, and a power loss
        // costs max(Master_Down, dead time) instead of that plus the probe's 200 ms. (While the
        // heartbeat link stays cut this repeats 3 ARP requests every 300 ms: negligible.)
        bool suspicion = own != OwnRole.Master && pubUp && (!hbUp || vrrp == VrrpEvidence.AdvertsStale);
        if (!suspicion) _probeResult = ProbeResult.NotProbed;
        else if (_probeResult == ProbeResult.NotProbed || now - _probedAt > _options.ProbeValidity)
        {
            _probeResult = Probe(vrrpService);
            _probedAt = _clock.Now;
        }
        var evidence = new Evidence(own, vrrp, hbUp ? Carrier.Up : Carrier.Down, serial, pubUp ? Carrier.Up : Carrier.Down,
            _probeResult, report, precedence);
        var d = SplitBrainArbiter.Decide(evidence);
        if (d.RequestProbe)
        {
            _probeResult = Probe(vrrpService);
            _probedAt = _clock.Now;
            evidence = evidence with { Probe = _probeResult };
            d = SplitBrainArbiter.Decide(evidence);
        }

        if (_last is not { } last || last.Verdict != d.Verdict || last.Rule != d.Rule || last.Alarms != d.Alarms)
            _log.Write(d.Alarms == Alarm.None ? LogLevel.Info : LogLevel.Warning, Component, $"{d} [{evidence}]");
        if ((_last?.FrontPanelFault ?? false) != d.FrontPanelFault) _frontPanel?.Invoke(d);
        var published = _published;
        if (published is null || published.Decision != d || published.Evidence != evidence)
            Volatile.Write(ref _published, new GuardSnapshot(d, evidence, published is not null && published.Decision == d ? published.Since : now));
        _last = d;

        bool permit = d.Verdict == Verdict.TakeOver;
        if (permit != _permitted)
        {
            vrrpService.SetTakeoverPermitted(permit);
            _permitted = permit;
        }
        if (d.Verdict == Verdict.StepDown && !_steppedDown) { vrrpService.RequestFailover(); _steppedDown = true; }
        else if (d.Verdict != Verdict.StepDown) _steppedDown = false;
        if (d.Verdict == Verdict.Release && !_releaseNotified && _peerLink is { } link)
        {
            link.Post(t => { link.Session.Issue(PeerCommand.HandoverNow, t); link.SendNow(t); });
            _releaseNotified = true;
        }
        else if (d.Verdict != Verdict.Release) _releaseNotified = false;

        var role = state switch
        {
            VrrpState.Master => NodeRole.Master, VrrpState.Backup => NodeRole.Backup, VrrpState.Fault => NodeRole.Fault,
            _ => _local.Role == NodeRole.Stopping ? NodeRole.Stopping : NodeRole.Initialize,
        };
        var flags = (pubUp ? HealthFlags.PublicLinkUp : 0) | (hbUp ? HealthFlags.HeartbeatLinkUp : 0) | (d.FrontPanelFault ? HealthFlags.FrontPanelFault : 0)
            | (state == VrrpState.Backup && machine.TakeoverPending && pubUp ? HealthFlags.WantsMaster : 0);
        // A loop, not Select into the struct: LINQ over value types costs NativeAOT megabytes (docs/benchmarks.md, Binary size).
        var machines = vrrpService.Machines;
        var instances = new InstanceReport[machines.Count];
        for (int i = 0; i < instances.Length; i++)
        {
            var x = machines[i];
            instances[i] = new InstanceReport(x.Config.VirtualRouterId,
                (byte)(x.Config.Family == System.Net.Sockets.AddressFamily.InterNetwork ? 4 : 6),
                x.State switch { VrrpState.Master => InstanceState.Master, VrrpState.Backup => InstanceState.Backup, VrrpState.Fault => InstanceState.Fault, _ => InstanceState.Initialize },
                x.Priority);
        }
        if (_local.Role == NodeRole.Stopping) return;
        var previous = _local.Role;
        _local = new LocalStatus(role, new HealthSummary(flags, SyncState.Off, 0, 0), instances);
        // A role change goes out at once, not at the next interval: the peer's arbiter acts on it.
        // A master that the VRRP engine itself put into FAULT (tracked public link down, seen by
        // its own link poll before this guard's next step) hands over like rule M1.
        if (role != previous && _peerLink is { } l)
        {
            if (previous == NodeRole.Master && role == NodeRole.Fault && !_releaseNotified)
            {
                _releaseNotified = true;
                l.Post(t => { l.Session.Issue(PeerCommand.HandoverNow, t); l.SendNow(t); });
            }
            else l.Post(t => l.SendNow(t));
        }
    }

    private ProbeResult Probe(VrrpService vrrpService)
    {
        if (_options.PeerPublicAddress is not { } peer) return ProbeResult.NotConfigured;
        try
        {
            var source = _options.PublicAddress ?? OwnPublicAddress(vrrpService)
                ?? throw new IOException($"interface {_options.PublicInterface} has no IPv4 address of its own (other than a VIP) to send the ARP requests from; set public_address");
            _probe ??= ArpProbe.Open(_options.PublicInterface);
            return _probe.Probe(source, peer, _options.ProbeTiming, _clock, FirstIpv4Vip(vrrpService));
        }
        catch (Exception e) when (e is IOException or SocketException or InvalidOperationException)
        {
            _probe?.Dispose();
            _probe = null;
            _log.Warning(Component, $"probing {peer} on {_options.PublicInterface}: {e.Message}");
            return ProbeResult.NotProbed;
        }
    }

    /// <summary>The VIP the probe asks for besides the peer: whoever answers for it holds the VIPs (the instances move together). Null when every VIP is IPv6 (ARP cannot ask).</summary>
    private static IPAddress? FirstIpv4Vip(VrrpService vrrpService)
    {
        foreach (var m in vrrpService.Machines)
            foreach (var v in m.Config.VirtualAddresses)
                if (v.Address.AddressFamily == AddressFamily.InterNetwork) return v.Address;
        return null;
    }

    /// <summary>The public NIC's first IPv4 address that is not a VIP (VIPs move; the probe must claim the box's own address).</summary>
    private IPAddress? OwnPublicAddress(VrrpService vrrpService)
    {
        _addresses ??= new RtnetlinkAddressClient();
        int index = NetworkInterfaces.Index(_options.PublicInterface);
        foreach (var a in _addresses.List(AddressFamily.InterNetwork))
        {
            if (a.InterfaceIndex != index) continue;
            bool vip = false;
            foreach (var m in vrrpService.Machines)
                foreach (var v in m.Config.VirtualAddresses)
                    vip |= v.Address.Equals(a.Address);
            if (!vip) return a.Address;
        }
        return null;
    }
}
