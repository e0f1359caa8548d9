using System.Net;

namespace Appliance.Vrrp;

/// <summary>
/// The VRRP state machine of one instance, RFC 5798 §6.4 with the RFC 9568 changes, as a pure core:
/// <see cref="Handle"/> takes an event and the monotonic time and returns actions; it performs no I/O and
/// reads no clock. Owned by the event loop (not thread-safe).
/// </summary>
public sealed class VrrpMachine
{
    private readonly VrrpInstanceConfig _config;
    private readonly IPAddress _localAddress;
    private readonly List<VrrpAction> _actions = [];
    private TimeSpan _startedAt;
    private bool _publicUp = true;
    private bool _takeoverPermitted = true;
    private bool _takeoverPending;
    private bool _yielded;
    private TimeSpan _downDeadline;
    // The sync catch-up gate (PreemptionGateChanged): off until the first verdict; then closed at every BACKUP entry.
    private bool _preemptionGated;
    private bool _preemptionHeld;
    private bool _holdReported;
    private TimeSpan _backupSince;
    private string _gateReason = "";

    /// <param name="config">The validated instance.</param>
    /// <param name="localAddress">This node's primary address on the heartbeat NIC: the source of its adverts, compared on equal priority (RFC 5798 §6.4.3).</param>
    public VrrpMachine(VrrpInstanceConfig config, IPAddress localAddress)
    {
        var errors = config.Validate();
        if (errors.Count > 0) throw new ArgumentException(string.Join("; ", errors), nameof(config));
        _config = config;
        _localAddress = localAddress;
        MasterAdverIntervalCentiseconds = config.AdvertIntervalCentiseconds;
    }

    public VrrpInstanceConfig Config => _config;
    public VrrpState State { get; private set; } = VrrpState.Initialize;

    /// <summary>True after Shutdown: the instance has stopped for good.</summary>
    public bool Stopped { get; private set; }

    public byte Priority => _config.Priority;

    /// <summary>Master_Adver_Interval (RFC 5798 §6.1): the interval learned from the MASTER (v3) or the configured one.</summary>
    public int MasterAdverIntervalCentiseconds { get; private set; }

    public bool HeartbeatCarrierUp { get; private set; } = true;
    public bool TakeoverPending => _takeoverPending;

    /// <summary>True while the catch-up gate keeps this BACKUP from preempting a live lower-priority master.</summary>
    public bool PreemptionHeld => _preemptionHeld && State == VrrpState.Backup;

    /// <summary>The catch-up gate's latest reason (empty until a gate spoke).</summary>
    public string PreemptionGateReason => _gateReason;

    /// <summary>Skew_Time: v3 ((256 - Priority) * Master_Adver_Interval) / 256 (RFC 5798 §6.1); v2 (256 - Priority) / 256 s (RFC 3768 §6.1).</summary>
    public TimeSpan SkewTime => _config.Version == VrrpVersion.V3
        ? TimeSpan.FromTicks((256 - Priority) * Centiseconds(MasterAdverIntervalCentiseconds).Ticks / 256)
        : TimeSpan.FromTicks((256 - Priority) * TimeSpan.TicksPerSecond / 256);

    /// <summary>Master_Down_Interval = 3 * Master_Adver_Interval + Skew_Time.</summary>
    public TimeSpan MasterDownInterval => 3 * Centiseconds(MasterAdverIntervalCentiseconds) + SkewTime;

    public TimeSpan AdvertisementInterval => Centiseconds(_config.AdvertIntervalCentiseconds);

    public static TimeSpan Centiseconds(int cs) => TimeSpan.FromMilliseconds(cs * 10);

    public IReadOnlyList<VrrpAction> Handle(VrrpEvent e, TimeSpan now)
    {
        _actions.Clear();
        if (Stopped) return [];
        switch (e)
        {
            case VrrpEvent.Startup: OnStartup(now); break;
            case VrrpEvent.Shutdown: OnShutdown(); break;
            case VrrpEvent.AdvertReceived a: OnAdvert(a.Source, a.Advert, now); break;
            case VrrpEvent.TimerFired t: OnTimer(t.Timer, now); break;
            case VrrpEvent.HeartbeatCarrierChanged c: OnHeartbeatCarrier(c.Up, now); break;
            case VrrpEvent.PublicLinkChanged p: OnPublicLink(p.Up, now); break;
            case VrrpEvent.TakeoverPermissionChanged p: OnPermission(p.Permitted, now); break;
            case VrrpEvent.OperatorFailover: OnOperatorFailover(now); break;
            case VrrpEvent.GroupTransition g: OnGroupTransition(g.Target, g.Reason, now); break;
            case VrrpEvent.PreemptionGateChanged p: OnPreemptionGate(p.Open, p.WaitingSince, p.Reason); break;
        }
        return _actions.ToArray();
    }

    // RFC 5798 §6.4.1: the address owner goes straight to MASTER, everyone else waits as BACKUP.
    // A restarted appliance therefore never holds a VIP it has not won.
    private void OnStartup(TimeSpan now)
    {
        if (State != VrrpState.Initialize) return;
        _startedAt = now;
        if (!_publicUp) EnterFault(now, "start-up with a tracked public interface down");
        else if (_config.IsAddressOwner) EnterMaster(now, "start-up as address owner (priority 255)");
        else EnterBackup(now, "start-up");
    }

    // RFC 5798 §6.4.2/§6.4.3 Shutdown; a MASTER sends priority 0 so a BACKUP takes over after Skew_Time only.
    private void OnShutdown()
    {
        var from = State;
        if (from == VrrpState.Master)
        {
            _actions.Add(new VrrpAction.CancelTimer(VrrpTimer.Advertisement));
            _actions.Add(new VrrpAction.SendAdvert(0));
            _actions.Add(new VrrpAction.RemoveVips());
        }
        else if (from == VrrpState.Backup)
        {
            _actions.Add(new VrrpAction.CancelTimer(VrrpTimer.MasterDown));
        }
        State = VrrpState.Initialize;
        Stopped = true;
        _actions.Add(new VrrpAction.StateChanged(from, VrrpState.Initialize, "shutdown"));
        _actions.Add(new VrrpAction.Notify(VrrpState.Initialize, true, 0));
    }

    private void OnAdvert(IPAddress source, VrrpAdvert advert, TimeSpan now)
    {
        switch (State)
        {
            case VrrpState.Backup: BackupReceives(source, advert, now); break;
            case VrrpState.Master: MasterReceives(source, advert, now); break;
            // Initialize and FAULT ignore adverts.
        }
    }

    // RFC 5798 §6.4.2 "If an ADVERTISEMENT is received", with RFC 9568's Skew recomputation.
    private void BackupReceives(IPAddress source, VrrpAdvert advert, TimeSpan now)
    {
        if (advert.Priority == 0)
        {
            if (_config.PeerIsAppliance)
            {
                // Planned handover between two appliances: the stopping master asks for an immediate takeover.
                TryTakeOver(now, $"planned handover: appliance master {source} sent priority 0");
                return;
            }
            SetDownTimer(now + SkewTime);
            return;
        }
        bool inPreemptDelay = now < _startedAt + Centiseconds(_config.PreemptDelayCentiseconds);
        if (!_config.Preempt || _yielded || inPreemptDelay || advert.Priority >= Priority)
        {
            if (_config.Version == VrrpVersion.V3)
                MasterAdverIntervalCentiseconds = advert.IntervalCentiseconds; // Skew and Master_Down follow (properties)
            _takeoverPending = false;
            SetDownTimer(now + MasterDownInterval);
        }
        else if (_preemptionHeld)
        {
            // Preemption, not takeover: the lower-priority master is alive and forwards every connection,
            // so it keeps the VIPs until this node's connection table has caught up (docs/sync.md "Failback").
            // Treated as B7 meanwhile; if its adverts stop, the Master_Down_Timer takes over at once (B1).
            if (!_holdReported)
            {
                _holdReported = true;
                _actions.Add(new VrrpAction.PreemptionHeld($"preemption of master {source} (priority {advert.Priority} < local {Priority}) held: {_gateReason}"));
            }
            if (_config.Version == VrrpVersion.V3)
                MasterAdverIntervalCentiseconds = advert.IntervalCentiseconds;
            _takeoverPending = false;
            SetDownTimer(now + MasterDownInterval);
        }
        // else: preempt; discard, the Master_Down_Timer fires and this node takes over.
    }

    private void OnPreemptionGate(bool open, TimeSpan waitingSince, string reason)
    {
        _preemptionGated = true;
        if (!open)
        {
            // Closing is always honoured; while BACKUP the next lower-priority advert is held (P1).
            _preemptionHeld = true;
            _gateReason = reason;
            return;
        }
        // A verdict whose wait began before this BACKUP period measured a table this node may have lost since (P3).
        if (State == VrrpState.Backup && waitingSince < _backupSince) return;
        bool was = _preemptionHeld;
        _preemptionHeld = false;
        _gateReason = reason;
        if (State == VrrpState.Backup && was)
            _actions.Add(new VrrpAction.PreemptionReleased(reason, _holdReported));
    }

    // RFC 5798 §6.4.3 "If an ADVERTISEMENT is received"; RFC 9568 adds: a lower-priority one is discarded
    // and answered with an immediate advert, so a healed split brain converges at once.
    private void MasterReceives(IPAddress source, VrrpAdvert advert, TimeSpan now)
    {
        if (advert.Priority == 0)
        {
            SendAdvertNow(now);
            return;
        }
        bool peerWins = advert.Priority > Priority || (advert.Priority == Priority && Compare(source, _localAddress) > 0);
        if (peerWins)
        {
            if (_config.Version == VrrpVersion.V3)
                MasterAdverIntervalCentiseconds = advert.IntervalCentiseconds;
            EnterBackup(now, $"advert from {source} with priority {advert.Priority} (local {Priority})");
            return;
        }
        SendAdvertNow(now);
        // The sender believed it was master: it may have announced the VIPs with its own MAC.
        _actions.Add(new VrrpAction.ReannounceVips($"advert from {source} with priority {advert.Priority} while MASTER (local {Priority})"));
    }

    private void OnTimer(VrrpTimer timer, TimeSpan now)
    {
        if (State == VrrpState.Master && timer == VrrpTimer.Advertisement)
            SendAdvertNow(now);
        else if (State == VrrpState.Backup && timer == VrrpTimer.MasterDown)
            TryTakeOver(now, HeartbeatCarrierUp ? "master down timer expired" : "master down timer expired, heartbeat carrier lost");
        // A timer of another state is stale (the shell raced a cancel): ignored.
    }

    private void TryTakeOver(TimeSpan now, string reason)
    {
        if (!_takeoverPermitted)
        {
            _takeoverPending = true;
            _actions.Add(new VrrpAction.TakeoverWithheld($"{reason}; the arbiter does not permit takeover"));
            return;
        }
        EnterMaster(now, reason);
    }

    private void OnPermission(bool permitted, TimeSpan now)
    {
        _takeoverPermitted = permitted;
        if (permitted && _takeoverPending && State == VrrpState.Backup)
            EnterMaster(now, "the arbiter permits the withheld takeover");
    }

    private void OnHeartbeatCarrier(bool up, TimeSpan now)
    {
        bool was = HeartbeatCarrierUp;
        HeartbeatCarrierUp = up;
        // Never FAULT for the heartbeat cable. When it comes back, a MASTER advertises at once so that two
        // MASTERs (if the arbiter allowed it) resolve within one round trip instead of one interval.
        if (up && !was && State == VrrpState.Master) SendAdvertNow(now);
        // Carrier lost on the direct cable: the master's NIC is gone (power loss) or the cable is cut. No advert
        // can arrive any more, so waiting the full 3 intervals adds no evidence; one interval of silence plus
        // Skew_Time is enough to ride out a flap. Whether taking over is safe is the arbiter's call (B2).
        if (!up && was && State == VrrpState.Backup)
        {
            var at = now + Centiseconds(MasterAdverIntervalCentiseconds) + SkewTime;
            if (at < _downDeadline) SetDownTimer(at);
        }
    }

    private void OnPublicLink(bool up, TimeSpan now)
    {
        _publicUp = up;
        if (!up && State is VrrpState.Backup or VrrpState.Master)
            EnterFault(now, "tracked public interface down");
        else if (up && State == VrrpState.Fault)
            EnterBackup(now, "tracked public interface up again");
    }

    private void OnOperatorFailover(TimeSpan now)
    {
        if (State != VrrpState.Master) return;
        // Hand over: priority 0 tells the peer to take over (immediately if it is an appliance), and this
        // node does not preempt it back until it becomes MASTER again by its own Master_Down_Timer.
        _actions.Add(new VrrpAction.SendAdvert(0));
        _yielded = true;
        EnterBackup(now, "operator failover");
    }

    private void OnGroupTransition(VrrpState target, string reason, TimeSpan now)
    {
        if (target == State) return;
        switch (target)
        {
            case VrrpState.Master when State == VrrpState.Backup: EnterMaster(now, $"sync group: {reason}"); break;
            case VrrpState.Backup when State == VrrpState.Master: EnterBackup(now, $"sync group: {reason}"); break;
            case VrrpState.Backup when State == VrrpState.Fault && _publicUp: EnterBackup(now, $"sync group: {reason}"); break;
            case VrrpState.Fault when State is VrrpState.Master or VrrpState.Backup: EnterFault(now, $"sync group: {reason}"); break;
        }
    }

    private void EnterMaster(TimeSpan now, string reason)
    {
        var from = State;
        State = VrrpState.Master;
        _takeoverPending = false;
        _yielded = false;
        MasterAdverIntervalCentiseconds = _config.AdvertIntervalCentiseconds;
        // RFC 5798 §6.4.1/§6.4.2: send an advert, announce the VIPs, start the Adver_Timer.
        _actions.Add(new VrrpAction.CancelTimer(VrrpTimer.MasterDown));
        _actions.Add(new VrrpAction.SendAdvert(Priority));
        _actions.Add(new VrrpAction.AddVips());
        _actions.Add(new VrrpAction.AnnounceVips());
        _actions.Add(new VrrpAction.SetTimer(VrrpTimer.Advertisement, now + AdvertisementInterval));
        _actions.Add(new VrrpAction.StateChanged(from, VrrpState.Master, reason));
        _actions.Add(new VrrpAction.Notify(VrrpState.Master, false, Priority));
    }

    private void EnterBackup(TimeSpan now, string reason)
    {
        var from = State;
        State = VrrpState.Backup;
        if (_preemptionGated)
        {
            // Every BACKUP period starts without the table until the gate says otherwise (P5): after a
            // restart, a FAULT (links down) or a lost election this node may have missed syncs.
            _preemptionHeld = true;
            _holdReported = false;
            _backupSince = now;
        }
        if (from == VrrpState.Master)
        {
            _actions.Add(new VrrpAction.CancelTimer(VrrpTimer.Advertisement));
            _actions.Add(new VrrpAction.RemoveVips());
        }
        SetDownTimer(now + MasterDownInterval);
        _actions.Add(new VrrpAction.StateChanged(from, VrrpState.Backup, reason));
        _actions.Add(new VrrpAction.Notify(VrrpState.Backup, false, Priority));
    }

    private void EnterFault(TimeSpan now, string reason)
    {
        var from = State;
        State = VrrpState.Fault;
        _takeoverPending = false;
        if (from == VrrpState.Master)
        {
            // Release at once and tell the peer to take over now rather than after Master_Down_Interval.
            _actions.Add(new VrrpAction.CancelTimer(VrrpTimer.Advertisement));
            _actions.Add(new VrrpAction.SendAdvert(0));
            _actions.Add(new VrrpAction.RemoveVips());
        }
        else if (from == VrrpState.Backup)
        {
            _actions.Add(new VrrpAction.CancelTimer(VrrpTimer.MasterDown));
        }
        _actions.Add(new VrrpAction.StateChanged(from, VrrpState.Fault, reason));
        _actions.Add(new VrrpAction.Notify(VrrpState.Fault, false, 0));
    }

    private void SetDownTimer(TimeSpan at)
    {
        _downDeadline = at;
        _actions.Add(new VrrpAction.SetTimer(VrrpTimer.MasterDown, at));
    }

    private void SendAdvertNow(TimeSpan now)
    {
        _actions.Add(new VrrpAction.SendAdvert(Priority));
        _actions.Add(new VrrpAction.SetTimer(VrrpTimer.Advertisement, now + AdvertisementInterval));
    }

    /// <summary>Compares addresses as unsigned numbers in network byte order (RFC 5798 §6.4.3 "primary IP address").</summary>
    public static int Compare(IPAddress a, IPAddress b)
    {
        Span<byte> x = stackalloc byte[16], y = stackalloc byte[16];
        a.TryWriteBytes(x, out int lx);
        b.TryWriteBytes(y, out int ly);
        if (lx != ly) return lx.CompareTo(ly);
        return x[..lx].SequenceCompareTo(y[..ly]);
    }
}
