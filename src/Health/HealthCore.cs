using System.Net;

namespace Appliance.Health;

/// <summary>Outcome of one probe as the checker saw it.</summary>
public enum CheckStatus { Success, Failure }

/// <summary>
/// One finished check. <see cref="Reason"/> is the operator's sentence ("HTTP 503 from
/// 10.0.0.12:80 after 12 ms"); <see cref="Weight"/> carries a MISC_CHECK dynamic weight.
/// </summary>
public readonly record struct CheckResult
{
    private readonly string _text;
    private readonly bool _timed;

    public CheckResult(CheckStatus status, string reason, TimeSpan duration, int? weight = null)
        : this(status, reason, false, duration, weight) { }

    private CheckResult(CheckStatus status, string text, bool timed, TimeSpan duration, int? weight)
    {
        Status = status;
        _text = text;
        _timed = timed;
        Duration = duration;
        Weight = weight;
    }

    public CheckStatus Status { get; }
    public TimeSpan Duration { get; }
    public int? Weight { get; }

    /// <summary>
    /// The sentence. A result made with <see cref="After"/> keeps its parts and joins them when
    /// read: thousands of checks a second are judged, and only state changes, the status display
    /// and debug logging read the sentence.
    /// </summary>
    public string Reason => _timed ? string.Concat(_text, Checkers.Probe.Ms(Duration)) : _text;

    public static CheckResult Ok(string reason, TimeSpan duration, int? weight = null) => new(CheckStatus.Success, reason, duration, weight);
    public static CheckResult Failed(string reason, TimeSpan duration) => new(CheckStatus.Failure, reason, duration);

    /// <summary>A result whose reason is <paramref name="prefix"/> followed by the duration ("HTTP 200 from 10.0.0.12:80 after " + "1.2 ms").</summary>
    public static CheckResult After(CheckStatus status, string prefix, TimeSpan duration) => new(status, prefix, true, duration, null);

    public bool Succeeded => Status == CheckStatus.Success;
}

/// <summary>What the core asks its shell to do. Actions are data; the shell carries them out.</summary>
public abstract record HealthAction;

/// <summary>Start the next check of <paramref name="Server"/> at monotonic time <paramref name="At"/> (replaces any earlier schedule).</summary>
public sealed record ScheduleCheck(RealServerKey Server, TimeSpan At) : HealthAction;

/// <summary>A real server changed state; <paramref name="Notify"/> is its notify_up/notify_down hook, if any.</summary>
public sealed record ServerStateChanged(RealServerKey Server, bool Up, string Reason, string? Notify) : HealthAction;

/// <summary>A virtual service gained or lost its quorum; <paramref name="Notify"/> is quorum_up/quorum_down, if any.</summary>
public sealed record QuorumChanged(VirtualServerKey Service, bool Up, int HealthyWeight, string? Notify) : HealthAction;

/// <summary>The desired table (<see cref="HealthCore.Desired"/>) differs from the one last handed out.</summary>
public sealed record TableChanged : HealthAction
{
    public static readonly TableChanged Instance = new();
}

/// <summary>What an operator sees of one real server (<c>appliance health</c>).</summary>
public sealed record RealServerStatus(
    RealServerKey Key,
    bool Up,
    bool Checked,
    TimeSpan Since,
    int ConsecutiveFailures,
    int ConsecutiveSuccesses,
    long Successes,
    long Failures,
    CheckResult? Last,
    int EffectiveWeight,
    bool InTable,
    TimeSpan? NextCheck);

/// <summary>
/// The health hysteresis, free of I/O and of the clock: every method takes <c>now</c> (monotonic)
/// and returns the actions to carry out. One event loop owns an instance; nothing here is shared.
///
/// Semantics (docs/health.md has the full table):
/// - a healthy server is marked down after max(retry+1, fall) consecutive failed checks; after each
///   earlier failure the next check comes delay_before_retry after the failed one ended;
/// - a failed server is marked up after <c>rise</c> consecutive successes (default 1);
/// - otherwise the next check is due delay_loop after the previous one was due;
/// - without alpha a server starts up (keepalived); with alpha it starts down until its first success;
/// - quorum: the sum of the effective weights of healthy servers; gained at quorum + hysteresis,
///   lost below quorum - hysteresis; while lost, the real servers leave the table and the sorry
///   server (if any) enters it.
/// </summary>
public sealed class HealthCore
{
    /// <summary>Without <c>warmup</c>, first checks are spread over at most this long (never longer than delay_loop).</summary>
    public static readonly TimeSpan DefaultSpread = TimeSpan.FromSeconds(1);

    private readonly ulong _seed;
    private readonly Dictionary<RealServerKey, Server> _servers = new();
    private readonly Dictionary<VirtualServerKey, Service> _services = new();
    private readonly List<Service> _order = new();
    private bool _shutDown;

    /// <param name="seed">Seeds the warmup spread; any value, a fixed one in tests.</param>
    public HealthCore(ulong seed) => _seed = seed;

    public CheckSettings? SettingsOf(RealServerKey key) => _servers.TryGetValue(key, out var s) ? s.Spec.Check : null;

    public int Count => _servers.Count;

    /// <summary>
    /// Installs a model (the first one, or a reload). Servers whose key still exists keep their
    /// state, counters and schedule; new ones start per alpha with a spread first check; removed
    /// ones are forgotten (a late result for them is ignored).
    /// </summary>
    public IReadOnlyList<HealthAction> Load(HealthModel model, TimeSpan now)
    {
        var actions = new List<HealthAction>();
        var oldServers = new Dictionary<RealServerKey, Server>(_servers);
        var oldServices = new Dictionary<VirtualServerKey, Service>(_services);
        _servers.Clear();
        _services.Clear();
        _order.Clear();
        foreach (var vs in model.VirtualServers)
        {
            if (_services.ContainsKey(vs.Key))
                throw new ArgumentException($"loading the health model: virtual server {vs.Key} is listed twice");
            oldServices.TryGetValue(vs.Key, out var oldService);
            var service = new Service(vs) { QuorumUp = oldService?.QuorumUp ?? false };
            _services.Add(vs.Key, service);
            _order.Add(service);
            foreach (var rs in vs.RealServers)
            {
                var key = new RealServerKey(vs.Key, rs.Address);
                if (_servers.ContainsKey(key))
                    throw new ArgumentException($"loading the health model: real server {rs.Address} is listed twice in {vs.Key}");
                Server server;
                if (oldServers.TryGetValue(key, out var old))
                {
                    server = old;
                    server.Spec = rs;
                    if (rs.Check is null && !server.Up)
                        SetState(server, true, now, "no checker configured", actions);
                    else if (rs.Check is not null && server.NextCheck is null && !server.InFlight)
                        Schedule(server, now + FirstDelay(key, rs.Check), actions);
                    else if (rs.Check is not null && server.NextCheck is { } pending && pending > now + rs.Check.DelayLoop)
                        Schedule(server, now + FirstDelay(key, rs.Check), actions); // delay_loop was shortened: do not wait out the old one
                }
                else
                {
                    // keepalived adds checked servers as alive unless alpha is set; unchecked ones are always alive.
                    var up = rs.Check is null || !vs.Alpha;
                    server = new Server(key, rs, up, now);
                    if (rs.Check is not null)
                        Schedule(server, now + FirstDelay(key, rs.Check), actions);
                }
                service.Servers.Add(server);
                _servers.Add(key, server);
            }
            if (oldService is null)
            {
                var sum = service.HealthyWeight();
                service.QuorumUp = sum >= vs.Quorum;
                if (!service.QuorumUp) actions.Add(new QuorumChanged(vs.Key, false, sum, vs.QuorumDown));
            }
            else
                EvaluateQuorum(service, actions);
        }
        actions.Add(TableChanged.Instance);
        return actions;
    }

    /// <summary>Applies one finished check to the server's hysteresis.</summary>
    public IReadOnlyList<HealthAction> OnResult(RealServerKey key, CheckResult result, TimeSpan now)
    {
        if (_shutDown || !_servers.TryGetValue(key, out var server) || server.Spec.Check is not { } check)
            return [];
        var actions = new List<HealthAction>(2);
        server.Last = result;
        server.Checked = true;
        var dueAt = server.NextCheck ?? now;
        server.NextCheck = null;
        // delay_loop counts from when the check was due, so a server is probed at a steady
        // cadence whatever its response time; a check longer than delay_loop is followed at once.
        var regular = dueAt + check.DelayLoop;
        if (regular < now) regular = now;

        if (result.Succeeded)
        {
            server.Successes++;
            server.ConsecutiveFailures = 0;
            server.ConsecutiveSuccesses++;
            var oldWeight = server.EffectiveWeight;
            server.DynamicWeight = result.Weight;
            if (!server.Up && server.ConsecutiveSuccesses >= Math.Max(1, check.Rise))
                SetState(server, true, now, result.Reason, actions);
            else if (server.Up && oldWeight != server.EffectiveWeight)
            {
                EvaluateQuorum(_services[key.Service], actions);
                actions.Add(TableChanged.Instance);
            }
            Schedule(server, regular, actions);
        }
        else
        {
            server.Failures++;
            server.ConsecutiveSuccesses = 0;
            server.ConsecutiveFailures++;
            if (server.Up && server.ConsecutiveFailures >= check.FailuresToDown)
            {
                SetState(server, false, now, result.Reason, actions);
                Schedule(server, regular, actions);
            }
            else if (server.Up)
                Schedule(server, now + check.DelayBeforeRetry, actions);
            else
                Schedule(server, regular, actions);
        }
        return actions;
    }

    /// <summary>Marks a check as started (for the status display); the shell calls it when it launches the probe.</summary>
    public void OnStarted(RealServerKey key)
    {
        if (_servers.TryGetValue(key, out var server)) server.InFlight = true;
    }

    /// <summary>
    /// Daemon shutdown: every real server leaves the table. With omega, the notify_down hooks of
    /// servers still up and the quorum_down hooks of services still in quorum are run.
    /// </summary>
    public IReadOnlyList<HealthAction> Shutdown(TimeSpan now)
    {
        var actions = new List<HealthAction>();
        if (_shutDown) return actions;
        _shutDown = true;
        foreach (var service in _order)
        {
            if (!service.Spec.Omega) continue;
            foreach (var server in service.Servers)
                if (server.Up) actions.Add(new ServerStateChanged(server.Key, false, "shutting down (omega)", server.Spec.NotifyDown));
            if (service.QuorumUp)
                actions.Add(new QuorumChanged(service.Spec.Key, false, 0, service.Spec.QuorumDown));
        }
        actions.Add(TableChanged.Instance);
        return actions;
    }

    /// <summary>The table IPVS should hold now: a plain value for the reconciler.</summary>
    public HealthTable Desired()
    {
        var services = new List<ServiceHealth>(_order.Count);
        foreach (var service in _order)
        {
            var dests = new List<DestinationHealth>(service.Servers.Count + 1);
            foreach (var server in service.Servers)
            {
                var (present, weight, why) = Placement(service, server);
                dests.Add(new DestinationHealth(server.Spec.Address, present, weight, false, why));
            }
            if (service.Spec.SorryServer is { } sorry)
            {
                var present = !_shutDown && !service.QuorumUp;
                dests.Add(new DestinationHealth(sorry.Address, present, sorry.Weight, true,
                    present ? "sorry server: quorum lost" : "sorry server: quorum held"));
            }
            services.Add(new ServiceHealth(service.Spec.Key, service.QuorumUp && !_shutDown, dests));
        }
        return new HealthTable(services);
    }

    public IReadOnlyList<RealServerStatus> Snapshot()
    {
        var list = new List<RealServerStatus>(_servers.Count);
        foreach (var service in _order)
            foreach (var s in service.Servers)
            {
                var (present, _, _) = Placement(service, s);
                list.Add(new RealServerStatus(s.Key, s.Up, s.Checked, s.Since, s.ConsecutiveFailures, s.ConsecutiveSuccesses,
                    s.Successes, s.Failures, s.Last, s.EffectiveWeight, present, s.NextCheck));
            }
        return list;
    }

    public RealServerStatus Status(RealServerKey key) =>
        Snapshot().FirstOrDefault(s => s.Key == key) ?? throw new KeyNotFoundException($"no real server {key}");

    public bool QuorumUp(VirtualServerKey key) => _services[key].QuorumUp;

    private (bool Present, int Weight, string Why) Placement(Service service, Server server)
    {
        if (_shutDown) return (false, 0, "shut down");
        var inhibit = server.Spec.InhibitOnFailure;
        if (!server.Up)
            return inhibit ? (true, 0, "down, inhibited (weight 0)") : (false, 0, "down");
        if (!service.QuorumUp)
            return inhibit ? (true, 0, "quorum lost, inhibited (weight 0)") : (false, 0, "quorum lost");
        return (true, server.EffectiveWeight, "up");
    }

    private void SetState(Server server, bool up, TimeSpan now, string reason, List<HealthAction> actions)
    {
        server.Up = up;
        server.Since = now;
        if (up) server.ConsecutiveFailures = 0; else server.ConsecutiveSuccesses = 0;
        actions.Add(new ServerStateChanged(server.Key, up, reason, up ? server.Spec.NotifyUp : server.Spec.NotifyDown));
        EvaluateQuorum(_services[server.Key.Service], actions);
        actions.Add(TableChanged.Instance);
    }

    private static void EvaluateQuorum(Service service, List<HealthAction> actions)
    {
        var sum = service.HealthyWeight();
        var spec = service.Spec;
        if (service.QuorumUp && sum < spec.Quorum - spec.Hysteresis)
        {
            service.QuorumUp = false;
            actions.Add(new QuorumChanged(spec.Key, false, sum, spec.QuorumDown));
        }
        else if (!service.QuorumUp && sum >= spec.Quorum + spec.Hysteresis)
        {
            service.QuorumUp = true;
            actions.Add(new QuorumChanged(spec.Key, true, sum, spec.QuorumUp));
        }
    }

    private static void Schedule(Server server, TimeSpan at, List<HealthAction> actions)
    {
        server.NextCheck = at;
        server.InFlight = false;
        actions.Add(new ScheduleCheck(server.Key, at));
    }

    /// <summary>
    /// A deterministic pseudo-random offset in [0, bound) per (seed, server): spreads first checks
    /// so 10,000 servers do not all connect in the same millisecond, and tests can predict it.
    /// </summary>
    private TimeSpan FirstDelay(RealServerKey key, CheckSettings check)
    {
        var bound = check.Warmup ?? (check.DelayLoop < DefaultSpread ? check.DelayLoop : DefaultSpread);
        if (bound <= TimeSpan.Zero) return TimeSpan.Zero;
        var fraction = (Mix(_seed, key) >> 11) * (1.0 / (1UL << 53));
        return TimeSpan.FromTicks((long)(bound.Ticks * fraction));
    }

    private static ulong Mix(ulong seed, RealServerKey key)
    {
        // FNV-1a over the key's text, then a SplitMix64 finaliser: stable across processes, unlike string.GetHashCode.
        var h = 14695981039346656037UL ^ seed;
        foreach (var c in key.ToString()) { h ^= c; h *= 1099511628211UL; }
        h ^= h >> 30; h *= 0xbf58476d1ce4e5b9UL;
        h ^= h >> 27; h *= 0x94d049bb133111ebUL;
        return h ^ (h >> 31);
    }

    private sealed class Service(VirtualServerSpec spec)
    {
        public VirtualServerSpec Spec { get; } = spec;
        public List<Server> Servers { get; } = new();
        public bool QuorumUp { get; set; }

        public int HealthyWeight()
        {
            var sum = 0;
            foreach (var s in Servers) if (s.Up) sum += s.EffectiveWeight;
            return sum;
        }
    }

    private sealed class Server(RealServerKey key, RealServerSpec spec, bool up, TimeSpan since)
    {
        public RealServerKey Key { get; } = key;
        public RealServerSpec Spec { get; set; } = spec;
        public bool Up { get; set; } = up;
        public bool Checked { get; set; }
        public bool InFlight { get; set; }
        public TimeSpan Since { get; set; } = since;
        public int ConsecutiveFailures { get; set; }
        public int ConsecutiveSuccesses { get; set; }
        public long Successes { get; set; }
        public long Failures { get; set; }
        public CheckResult? Last { get; set; }
        public int? DynamicWeight { get; set; }
        public TimeSpan? NextCheck { get; set; }
        public int EffectiveWeight => DynamicWeight ?? Spec.Weight;
    }
}

/// <summary>
/// The health subsystem's view of the IPVS table: for each owned virtual service, every real
/// server (and the sorry server) with whether it belongs in the kernel table and at what weight.
/// The IPVS reconciler combines it with the configured service attributes (scheduler, forwarding
/// method); docs/health.md names the adapter point.
/// </summary>
public sealed record HealthTable(IReadOnlyList<ServiceHealth> Services);

public sealed record ServiceHealth(VirtualServerKey Key, bool QuorumUp, IReadOnlyList<DestinationHealth> Destinations);

public sealed record DestinationHealth(IPEndPoint Address, bool Present, int Weight, bool IsSorryServer, string Why);
