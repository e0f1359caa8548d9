using System.Net;
using System.Net.Sockets;
using System.Threading.Channels;
using Appliance.Core;
using Appliance.Logging;
using Appliance.Takeover;

namespace Appliance.Vrrp;

/// <summary>
/// The VRRP shell: one event loop that owns the machines (one sync group by default), the timers, the
/// raw sockets, VIP takeover and notify scripts. Everything arrives as an item in one channel and is
/// applied in order; the machines decide, this class only carries out their actions.
/// The daemon's composition root (<c>appliance run</c>) builds one of these from the configuration;
/// <c>appliance vrrp run</c> does the same from command-line options.
/// </summary>
public sealed class VrrpService : IDisposable
{
    private const string Component = "vrrp";
    private static readonly TimeSpan LinkPollInterval = TimeSpan.FromMilliseconds(20);

    private readonly ILog _log;
    private readonly IClock _clock;
    private readonly IAddressTable _addresses;
    private readonly VrrpSyncGroup[] _groups;
    private readonly (int Group, int Index)[] _place;
    private readonly Member[] _members;
    private readonly Dictionary<(string, AddressFamily), VrrpTransport> _transports = [];
    private readonly Dictionary<string, Announcer> _announcers = [];
    private readonly Dictionary<(int, VrrpTimer), TimeSpan> _timers = [];
    private readonly List<(TimeSpan At, int Member, int Generation, int Left)> _announcements = [];
    private readonly Channel<Item> _inbox = Channel.CreateUnbounded<Item>(new UnboundedChannelOptions { SingleReader = false });
    private readonly NotifyRunner _notify;
    private readonly ManualResetEventSlim _wake = new(false);
    private readonly Func<VrrpInstanceConfig, IPAddress> _localAddress;
    private readonly string _heartbeatInterface;
    private readonly CarrierSensor _heartbeatCarrier;
    /// <summary>The public NICs and track_interface NICs of every instance, each once.</summary>
    private readonly CarrierSensor[] _trackedCarriers;
    private bool? _heartbeatUp;
    private bool? _publicUp;
    private TimeSpan _nextLinkPoll;

    private sealed class Member
    {
        public required VrrpMachine Machine { get; init; }
        public required int PublicIndex { get; init; }
        public VrrpTransport Transport { get; set; } = null!;
        public VrrpCounters Counters { get; } = new();
        public int AnnounceGeneration { get; set; }
        // For the operator's snapshot only (QueryAsync); the machine decides nothing from these.
        public TimeSpan? Since { get; set; }
        public string? Reason { get; set; }
        public IPAddress? LastAdvertFrom { get; set; }
        public byte LastAdvertPriority { get; set; }
    }

    private abstract record Item
    {
        public sealed record Packet(VrrpTransport Transport, ReadOnlyMemory<byte> Bytes, IPAddress? Source, IPAddress? Destination, int HopLimit) : Item;
        public sealed record Command(VrrpEvent Event) : Item;
        public sealed record Query(TaskCompletionSource<IReadOnlyList<VrrpInstanceSnapshot>> Reply) : Item;
    }

    /// <param name="instances">Validated instances; all share the heartbeat interface of the first.</param>
    /// <param name="syncGroup">True (the appliance's default): all instances move together.</param>
    /// <param name="log">Log sink.</param>
    /// <param name="clock">Monotonic clock.</param>
    /// <param name="addresses">rtnetlink address table.</param>
    /// <param name="localAddress">Resolves an instance's own address on the heartbeat NIC.</param>
    public VrrpService(IReadOnlyList<VrrpInstanceConfig> instances, bool syncGroup, ILog log, IClock clock, IAddressTable addresses, Func<VrrpInstanceConfig, IPAddress> localAddress)
    {
        if (instances.Count == 0) throw new ArgumentException("no vrrp_instance configured", nameof(instances));
        _log = log;
        _clock = clock;
        _addresses = addresses;
        _localAddress = localAddress;
        _heartbeatInterface = instances[0].Interface;
        _notify = new NotifyRunner(log, Component, NotifyRunner.DefaultTimeout);
        _members = instances.Select(c => new Member
        {
            Machine = new VrrpMachine(c, localAddress(c)),
            PublicIndex = NetworkInterfaces.Index(c.PublicInterface),
        }).ToArray();
        _heartbeatCarrier = new CarrierSensor(_heartbeatInterface);
        var tracked = new List<string>();
        foreach (var m in _members)
        {
            foreach (var name in m.Machine.Config.TrackInterfaces) if (!tracked.Contains(name)) tracked.Add(name);
            if (!tracked.Contains(m.Machine.Config.PublicInterface)) tracked.Add(m.Machine.Config.PublicInterface);
        }
        _trackedCarriers = new CarrierSensor[tracked.Count];
        for (int i = 0; i < tracked.Count; i++) _trackedCarriers[i] = new CarrierSensor(tracked[i]);
        // group_failover (default yes): one sync group of every instance; otherwise a group per instance.
        // Plain loops, not LINQ over int: LINQ over value types costs NativeAOT megabytes (docs/benchmarks.md, Binary size).
        int[][] groups;
        if (syncGroup)
        {
            var all = new int[_members.Length];
            for (int i = 0; i < all.Length; i++) all[i] = i;
            groups = [all];
        }
        else
        {
            groups = new int[_members.Length][];
            for (int i = 0; i < groups.Length; i++) groups[i] = [i];
        }
        _groups = new VrrpSyncGroup[groups.Length];
        for (int n = 0; n < groups.Length; n++)
        {
            var machines = new VrrpMachine[groups[n].Length];
            for (int k = 0; k < machines.Length; k++) machines[k] = _members[groups[n][k]].Machine;
            _groups[n] = new VrrpSyncGroup(syncGroup ? "director" : instances[n].Name, machines);
        }
        _place = new (int, int)[_members.Length];
        for (int g = 0; g < groups.Length; g++)
            for (int k = 0; k < groups[g].Length; k++) _place[groups[g][k]] = (g, k);
    }

    private List<(int Member, VrrpAction Action)> HandleAll(VrrpEvent e, TimeSpan now)
    {
        var result = new List<(int, VrrpAction)>();
        foreach (var g in _groups) AddMapped(result, g, g.HandleAll(e, now));
        return result;
    }

    private List<(int Member, VrrpAction Action)> Handle(int member, VrrpEvent e, TimeSpan now)
    {
        var (gi, k) = _place[member];
        var g = _groups[gi];
        var result = new List<(int Member, VrrpAction Action)>();
        AddMapped(result, g, g.Handle(k, e, now));
        return result;
    }

    // Group member index -> service member index.
    private void AddMapped(List<(int Member, VrrpAction Action)> result, VrrpSyncGroup g, IReadOnlyList<(int Member, VrrpAction Action)> actions)
    {
        foreach (var a in actions) result.Add((IndexOf(g.Members[a.Member]), a.Action));
    }

    private int IndexOf(VrrpMachine machine)
    {
        for (int i = 0; i < _members.Length; i++)
            if (_members[i].Machine == machine) return i;
        throw new InvalidOperationException($"VRRP machine {machine.Config.Name} is not a member of this service");
    }

    /// <summary>
    /// Called on the VRRP loop thread after each instance's state change (the daemon posts it into its
    /// own loop: sync daemons, LEDs). Must not block; set before <see cref="Start"/>.
    /// </summary>
    public Action<VrrpStateChange>? StateChanged { get; init; }

    /// <summary>Called on the VRRP loop thread after every turn of its loop (the watchdog's progress evidence). Set before the loop runs.</summary>
    public Action<TimeSpan>? LoopTurn { get; init; }

    /// <summary>
    /// True when an outside arbiter (the split-brain guard, src/Arbiter) must permit every takeover:
    /// the machines start with takeover withheld, before their first timer can run, so there is no
    /// window in which a freshly started BACKUP claims MASTER on its own (<see cref="SetTakeoverPermitted"/>).
    /// </summary>
    public bool TakeoverNeedsPermission { get; init; }

    public IReadOnlyList<VrrpMachine> Machines => _members.Select(m => m.Machine).ToArray();
    public VrrpCounters Counters(int member) => _members[member].Counters;

    /// <summary>Operator <c>failover</c>: the MASTER hands over now.</summary>
    public void RequestFailover() => Post(new Item.Command(new VrrpEvent.OperatorFailover()));

    /// <summary>The arbiter's hook (issue 6): whether a BACKUP whose Master_Down_Timer fired may take over.</summary>
    public void SetTakeoverPermitted(bool permitted) => Post(new Item.Command(new VrrpEvent.TakeoverPermissionChanged(permitted)));

    /// <summary>
    /// True: a sync catch-up gate will speak (connection sync is on). Every BACKUP period then starts with
    /// preemption held until <see cref="SetPreemptionGate"/> opens it. Set before <see cref="Start"/>.
    /// </summary>
    public bool PreemptionGated { get; init; }

    /// <summary>The sync catch-up gate's verdict (docs/sync.md "Failback"); posted from the daemon loop, applied on the VRRP thread.</summary>
    public void SetPreemptionGate(bool open, TimeSpan waitingSince, string reason) =>
        Post(new Item.Command(new VrrpEvent.PreemptionGateChanged(open, waitingSince, reason)));

    /// <summary>
    /// Asks the VRRP loop for a snapshot of every instance (the control socket's view). Answered on the
    /// loop thread, so the state is read where it is owned; completes once the loop turns.
    /// </summary>
    public Task<IReadOnlyList<VrrpInstanceSnapshot>> QueryAsync()
    {
        var reply = new TaskCompletionSource<IReadOnlyList<VrrpInstanceSnapshot>>(TaskCreationOptions.RunContinuationsAsynchronously);
        Post(new Item.Query(reply));
        return reply.Task;
    }

    private IReadOnlyList<VrrpInstanceSnapshot> Snapshot()
    {
        var list = new VrrpInstanceSnapshot[_members.Length];
        for (int i = 0; i < list.Length; i++)
        {
            var m = _members[i];
            var machine = m.Machine;
            var c = machine.Config;
            var local = m.Transport?.LocalAddress ?? _localAddress(c);
            (IPAddress? master, byte? masterPriority) = machine.State switch
            {
                VrrpState.Master => (local, machine.Priority),
                VrrpState.Backup when m.LastAdvertFrom is not null && m.LastAdvertPriority > 0 => (m.LastAdvertFrom, m.LastAdvertPriority),
                _ => ((IPAddress?)null, (byte?)null),
            };
            var drops = new List<string>();
            foreach (var r in Enum.GetValues<VrrpDropReason>())
                if (r != VrrpDropReason.None && m.Counters[r] != 0) drops.Add($"{r} {m.Counters[r]}");
            list[i] = new VrrpInstanceSnapshot(c.Name, c.VirtualRouterId, c.Version, c.Interface, c.PublicInterface, machine.State, machine.Priority,
                machine.AdvertisementInterval, local, master, masterPriority, m.Since, m.Reason, machine.TakeoverPending,
                string.Join(", ", c.VirtualAddresses), m.Counters.Sent, m.Counters.Received, m.Counters.Accepted, m.Counters.TotalDropped, m.Counters.SendErrors,
                string.Join(", ", drops));
        }
        return list;
    }

    // Producers (receive threads, signal handler, operator) post and wake the loop thread directly: a
    // failover must not wait for a thread-pool continuation (measured: tens of ms under load).
    private void Post(Item item)
    {
        _inbox.Writer.TryWrite(item);
        _wake.Set();
    }

    /// <summary>Runs the loop on a dedicated thread until <paramref name="stop"/>; then shuts down gracefully.</summary>
    public Task RunAsync(CancellationToken stop) => Task.Factory.StartNew(() => Run(stop), CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);

    /// <summary>Runs the loop on the calling thread until <paramref name="stop"/>; then shuts down gracefully (priority 0, VIPs released, notify STOP).</summary>
    public void Run(CancellationToken stop)
    {
        using var wakeOnStop = stop.Register(() => _wake.Set());
        Start();
        while (!stop.IsCancellationRequested)
        {
            FireDue(_clock.Now);
            while (_inbox.Reader.TryRead(out var item)) Apply(item);
            LoopTurn?.Invoke(_clock.Now);
            var due = NextDue() - _clock.Now;
            if (due > TimeSpan.Zero)
            {
                // Round up so a timer never fires a fraction of a millisecond early and spins.
                _wake.Wait(TimeSpan.FromMilliseconds(Math.Ceiling(due.TotalMilliseconds)));
                _wake.Reset();
            }
        }
        Shutdown();
    }

    private bool _started;

    /// <summary>Opens sockets, removes leftover VIPs and starts the machines. Called by <see cref="Run"/> if not before; call it first to see start-up errors on the caller's thread.</summary>
    public void Start()
    {
        if (_started) return;
        _started = true;
        for (int i = 0; i < _members.Length; i++)
        {
            var m = _members[i];
            var c = m.Machine.Config;
            _log.Info(Component, $"instance {c}");
            var removed = new VipManager(_addresses).RemoveLeftovers(m.PublicIndex, c.VirtualAddresses);
            foreach (var vip in removed)
                _log.Warning(Component, $"{c.Name}: removed VIP {vip} left on {c.PublicInterface} by a previous run (not won yet)");
            var key = (c.Interface, c.Family);
            if (!_transports.TryGetValue(key, out var t))
            {
                var local = _localAddress(c);
                VrrpTransport? created = null;
                created = new VrrpTransport(c.Interface, local, c.UnicastPeer, (bytes, src, dst, hops) =>
                    Post(new Item.Packet(created!, bytes, src, dst, hops)));
                _transports[key] = t = created;
                _log.Info(Component, $"listening on {c.Interface} as {local} for {c.Family} adverts");
            }
            m.Transport = t;
            if (!_announcers.TryGetValue(c.PublicInterface, out var announcer)) _announcers[c.PublicInterface] = announcer = new Announcer(c.PublicInterface);
            announcer.Prepare([c.Family]);
        }
        PollLinks(_clock.Now);
        if (TakeoverNeedsPermission) Execute(HandleAll(new VrrpEvent.TakeoverPermissionChanged(false), _clock.Now));
        // Before Startup, so the very first BACKUP period already holds preemption: a rebooted ex-master
        // must not win the election within one Master_Down_Interval, long before its table could arrive.
        if (PreemptionGated)
            Execute(HandleAll(new VrrpEvent.PreemptionGateChanged(false, _clock.Now, "no reading of the connection table yet"), _clock.Now));
        Execute(HandleAll(new VrrpEvent.Startup(), _clock.Now));
    }

    private void Shutdown()
    {
        while (_inbox.Reader.TryRead(out var dropped))
            if (dropped is Item.Query q) q.Reply.TrySetException(new InvalidOperationException("VRRP is stopping"));
        Execute(HandleAll(new VrrpEvent.Shutdown(), _clock.Now));
        foreach (var m in _members)
            _log.Info(Component, $"{m.Machine.Config.Name}: stopped; {m.Counters}");
    }

    private void Apply(Item item)
    {
        var now = _clock.Now;
        switch (item)
        {
            case Item.Command c:
                Execute(HandleAll(c.Event, now));
                break;
            case Item.Packet p:
                Receive(p, now);
                break;
            case Item.Query q:
                q.Reply.TrySetResult(Snapshot());
                break;
        }
    }

    private void Receive(Item.Packet p, TimeSpan now)
    {
        VrrpReceived received;
        VrrpDropReason reason;
        bool ok = p.Source is null
            ? VrrpPacket.TryReadIPv4(p.Bytes.Span, out received, out reason)
            : VrrpPacket.TryReadIPv6(p.Bytes.Span, p.Source, p.Destination ?? VrrpAdvert.MulticastV6, p.HopLimit, out received, out reason);
        var candidates = new List<(Member m, int i)>();
        for (int i = 0; i < _members.Length; i++)
            if (_members[i].Transport == p.Transport) candidates.Add((_members[i], i));
        if (candidates.Count == 0) return;
        if (!ok)
        {
            candidates[0].m.Counters.CountDrop(reason);
            _log.Debug(Component, $"dropped a packet on {p.Transport.LocalAddress}: {reason}");
            return;
        }
        if (received.Source.Equals(p.Transport.LocalAddress)) { candidates[0].m.Counters.CountDrop(VrrpDropReason.OwnPacket); return; }
        (Member m, int i) target = default;
        foreach (var x in candidates)
            if (x.m.Machine.Config.VirtualRouterId == received.Advert.Vrid) { target = x; break; }
        if (target.m is null) { candidates[0].m.Counters.CountDrop(VrrpDropReason.UnknownVrid); return; }
        target.m.Counters.CountReceived();
        var check = VrrpAdvertCheck.Check(received, target.m.Machine.Config);
        if (check != VrrpDropReason.None)
        {
            target.m.Counters.CountDrop(check);
            _log.Debug(Component, $"{target.m.Machine.Config.Name}: dropped {received.Advert} from {received.Source}: {check}");
            return;
        }
        target.m.Counters.CountAccepted();
        target.m.LastAdvertFrom = received.Source;
        target.m.LastAdvertPriority = received.Advert.Priority;
        Execute(Handle(target.i, new VrrpEvent.AdvertReceived(received.Source, received.Advert), now));
    }

    private TimeSpan NextDue()
    {
        var next = _nextLinkPoll;
        foreach (var at in _timers.Values) if (at < next) next = at;
        foreach (var a in _announcements) if (a.At < next) next = a.At;
        return next;
    }

    private void FireDue(TimeSpan now)
    {
        if (now >= _nextLinkPoll) PollLinks(now);
        var due = new List<((int, VrrpTimer) Key, TimeSpan At)>();
        foreach (var t in _timers)
            if (t.Value <= now) due.Add((t.Key, t.Value));
        // Stable by time, as OrderBy was: equal deadlines keep dictionary order.
        var order = new int[due.Count];
        for (int n = 0; n < order.Length; n++) order[n] = n;
        Array.Sort(order, (a, b) => due[a].At != due[b].At ? due[a].At.CompareTo(due[b].At) : a.CompareTo(b));
        foreach (var n in order)
        {
            var (key, at) = due[n];
            if (!_timers.TryGetValue(key, out var still) || still != at) continue; // cancelled or re-armed meanwhile
            _timers.Remove(key);
            Execute(Handle(key.Item1, new VrrpEvent.TimerFired(key.Item2), now));
        }
        for (int k = _announcements.Count - 1; k >= 0; k--)
        {
            var a = _announcements[k];
            if (a.At > now) continue;
            _announcements.RemoveAt(k);
            var m = _members[a.Member];
            if (a.Generation != m.AnnounceGeneration || m.Machine.State != VrrpState.Master) continue;
            Announce(a.Member);
            var c = m.Machine.Config;
            if (a.Left > 1) _announcements.Add((now + TimeSpan.FromMilliseconds(Math.Max(c.GarpIntervalMilliseconds, 1)), a.Member, a.Generation, a.Left - 1));
            else if (c.GarpMasterRefreshSeconds > 0) _announcements.Add((now + TimeSpan.FromSeconds(c.GarpMasterRefreshSeconds), a.Member, a.Generation, Math.Max(1, c.GarpMasterRefreshRepeat)));
        }
    }

    // Carrier from sysfs every 20 ms, one pread per NIC (CarrierSensor says why not RTMGRP_LINK).
    private void PollLinks(TimeSpan now)
    {
        _nextLinkPoll = now + LinkPollInterval;
        bool hb = _heartbeatCarrier.Read();
        if (hb != _heartbeatUp)
        {
            if (_heartbeatUp is not null) _log.Notice(Component, $"heartbeat link {_heartbeatInterface} carrier {(hb ? "up" : "down (the peer may be dead; not a fault)")}");
            _heartbeatUp = hb;
            Execute(HandleAll(new VrrpEvent.HeartbeatCarrierChanged(hb), now));
        }
        bool pub = true;
        foreach (var sensor in _trackedCarriers)
            if (!sensor.Read()) { pub = false; break; }
        if (pub != _publicUp)
        {
            if (_publicUp is not null || !pub) _log.Notice(Component, $"tracked public interfaces {(pub ? "up" : "down: FAULT")}");
            _publicUp = pub;
            Execute(HandleAll(new VrrpEvent.PublicLinkChanged(pub), now));
        }
    }

    /// <summary>Gratuitous ARPs / NAs now, garp_master_repeat in all, and again after garp_master_delay; a newer start supersedes the pending ones.</summary>
    private void StartAnnouncing(int i)
    {
        var m = _members[i];
        var c = m.Machine.Config;
        m.AnnounceGeneration++;
        Announce(i);
        if (c.GarpMasterRepeat > 1)
            _announcements.Add((_clock.Now + TimeSpan.FromMilliseconds(Math.Max(c.GarpIntervalMilliseconds, 1)), i, m.AnnounceGeneration, c.GarpMasterRepeat - 1));
        if (c.GarpMasterDelaySeconds > 0)
            _announcements.Add((_clock.Now + TimeSpan.FromSeconds(c.GarpMasterDelaySeconds), i, m.AnnounceGeneration, Math.Max(1, c.GarpMasterRepeat)));
    }

    private void Execute(IReadOnlyList<(int Member, VrrpAction Action)> actions)
    {
        foreach (var (i, action) in actions)
        {
            var m = _members[i];
            var c = m.Machine.Config;
            try
            {
                switch (action)
                {
                    case VrrpAction.SendAdvert s: SendAdvert(m, s.Priority); break;
                    case VrrpAction.AddVips:
                        new VipManager(_addresses).Add(m.PublicIndex, c.VirtualAddresses);
                        break;
                    case VrrpAction.RemoveVips:
                        m.AnnounceGeneration++;
                        new VipManager(_addresses).Remove(m.PublicIndex, c.VirtualAddresses);
                        break;
                    case VrrpAction.AnnounceVips:
                        StartAnnouncing(i);
                        break;
                    case VrrpAction.ReannounceVips r:
                        _log.Notice(Component, $"{c.Name}: announcing the VIPs again: {r.Reason}");
                        StartAnnouncing(i);
                        break;
                    case VrrpAction.SetTimer t: _timers[(i, t.Timer)] = t.At; break;
                    case VrrpAction.CancelTimer t: _timers.Remove((i, t.Timer)); break;
                    case VrrpAction.StateChanged s:
                        _log.Notice(Component, $"{c.Name}: {s.From.ToString().ToUpperInvariant()} -> {s.To.ToString().ToUpperInvariant()} ({s.Reason})");
                        m.Since = _clock.Now;
                        m.Reason = s.Reason;
                        StateChanged?.Invoke(new VrrpStateChange(c.Name, s.From, s.To, s.Reason));
                        break;
                    case VrrpAction.TakeoverWithheld w: _log.Warning(Component, $"{c.Name}: {w.Reason}"); break;
                    case VrrpAction.PreemptionHeld h: _log.Notice(Component, $"{c.Name}: {h.Reason}"); break;
                    case VrrpAction.PreemptionReleased r:
                        if (r.WasHolding) _log.Notice(Component, $"{c.Name}: preemption released ({r.Reason}); taking over from the lower-priority master after Master_Down_Interval");
                        else _log.Info(Component, $"{c.Name}: preemption gate open ({r.Reason})");
                        break;
                    case VrrpAction.Notify n:
                        foreach (var cmd in VrrpNotifyCommands.For(c, n.State, n.Stopped, n.Priority)) _ = _notify.Run($"{c.Name}: notify", cmd);
                        break;
                }
            }
            catch (Exception e) when (e is InvalidOperationException or SocketException or IOException or ArgumentException)
            {
                // A failed side effect is logged and counted; the machine's state stays what the protocol says.
                _log.Error(Component, $"{c.Name}: {action}: {e.Message}");
            }
        }
    }

    private void SendAdvert(Member m, byte priority)
    {
        var c = m.Machine.Config;
        var advert = c.BuildAdvert(priority);
        Span<byte> buffer = stackalloc byte[advert.Size];
        advert.WriteTo(buffer, m.Transport.LocalAddress, m.Transport.Destination, c.Ipv4PseudoHeaderChecksum);
        var error = m.Transport.Send(buffer);
        if (error == SocketError.Success) m.Counters.CountSent();
        else
        {
            m.Counters.CountSendError();
            _log.Debug(Component, $"{c.Name}: sending advert on {c.Interface}: {error}");
        }
    }

    private void Announce(int member)
    {
        var c = _members[member].Machine.Config;
        var error = _announcers[c.PublicInterface].Announce(c.VirtualAddresses);
        if (error is not null) _log.Warning(Component, $"{c.Name}: {error}");
    }

    public void Dispose()
    {
        foreach (var t in _transports.Values) t.Dispose();
        foreach (var a in _announcers.Values) a.Dispose();
        _heartbeatCarrier.Dispose();
        foreach (var c in _trackedCarriers) c.Dispose();
        _wake.Dispose();
    }
}
