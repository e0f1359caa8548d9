using System.Diagnostics;
using System.Collections.Concurrent;
using Appliance.Core;
using Appliance.Health.Checkers;
using Appliance.Health.Engine;
using Appliance.Logging;

namespace Appliance.Health;

/// <summary>Tuning of the checker shell.</summary>
public sealed record HealthMonitorOptions
{
    /// <summary>
    /// Most probes in flight at once, whatever the governor allows. Each holds one socket (or one
    /// child process). When the bound is reached, due checks wait in the timer queue and start
    /// late (the lateness statistics show it) instead of exhausting file descriptors.
    /// </summary>
    public int MaxConcurrentChecks { get; init; } = 4096;

    /// <summary>
    /// The in-flight limit the governor starts from and never goes below (<see cref="InFlightGovernor"/>);
    /// it grows while checks answer fast and shrinks when healthy servers answer slowly or the loop lags.
    /// </summary>
    public int MinConcurrentChecks { get; init; } = 64;

    /// <summary>Builds the probe of SSL_GET, MISC_CHECK and DNS_CHECK (TCP_CHECK and HTTP_GET run on the loop's epoll engine); tests may wrap them.</summary>
    public Func<CheckSettings, IChecker> CreateChecker { get; init; } = CheckerFactory.Create;

    /// <summary>Runs a notify hook (notify_up/down, quorum_up/down); the daemon passes <c>c => _ = notify.Run("notify hook", c)</c> (<see cref="Core.NotifyRunner"/>). Null: hooks are only logged (the one-shot verb).</summary>
    public Action<string>? RunNotify { get; init; }

    /// <summary>Sees every finished check on the health loop's thread (key, start, end on the monitor's clock, result); for tests and benchmarks. Must not block.</summary>
    public Action<RealServerKey, TimeSpan, TimeSpan, CheckResult>? OnProbeFinished { get; init; }
}

/// <summary>Lateness of check starts against their due time, in 100 µs bins up to 10 s.</summary>
public sealed class LatenessStats
{
    private const int BinTicks = 1000; // 100 µs
    private readonly long[] _bins = new long[100_001];
    public long Count { get; private set; }
    public TimeSpan Max { get; private set; }

    public void Add(TimeSpan lateness)
    {
        if (lateness < TimeSpan.Zero) lateness = TimeSpan.Zero;
        _bins[Math.Min(_bins.Length - 1, lateness.Ticks / BinTicks)]++;
        Count++;
        if (lateness > Max) Max = lateness;
    }

    /// <summary>Upper edge of the bin holding the given quantile (0..1).</summary>
    public TimeSpan Quantile(double q)
    {
        if (Count == 0) return TimeSpan.Zero;
        var rank = (long)Math.Ceiling(q * Count);
        long seen = 0;
        for (var i = 0; i < _bins.Length; i++)
        {
            seen += _bins[i];
            if (seen >= rank) return TimeSpan.FromTicks((i + 1L) * BinTicks);
        }
        return Max;
    }

    public long CountOver(TimeSpan bound)
    {
        long n = 0;
        for (var i = (int)Math.Min(_bins.Length - 1, bound.Ticks / BinTicks); i < _bins.Length; i++) n += _bins[i];
        return n;
    }

    public void Reset() { Array.Clear(_bins); Count = 0; Max = TimeSpan.Zero; }
}

/// <summary>What <c>appliance health</c> shows: every real server at one instant.</summary>
public sealed record HealthReport(TimeSpan Now, IReadOnlyList<RealServerStatus> Servers, HealthTable Table);

/// <summary>
/// The shell around <see cref="HealthCore"/>: one thread owns the core, the timer queue of due
/// checks and an epoll <see cref="ProbeEngine"/> that runs TCP_CHECK and HTTP_GET probes as
/// non-blocking sockets. It sleeps in epoll_wait until the next due check, the next probe
/// deadline, a ready socket, or a wake-up from another thread (a reload, a status query, the
/// result of an SSL_GET / MISC_CHECK / DNS_CHECK, which run as tasks). Results are applied to the
/// core on this thread, in order; nothing is locked, nothing else touches the core.
/// </summary>
public sealed class HealthMonitor
{
    private readonly HealthCore _core;
    private readonly IClock _clock;
    private readonly ILog _log;
    private readonly HealthMonitorOptions _options;
    private readonly Action<HealthTable>? _onTable;
    private readonly ConcurrentQueue<Event> _inbox = new();
    private readonly object _gate = new(); // orders "closed" against posting, so no query is left unanswered
    /// <summary>Due checks: each server's entry with the time it is due; an entry whose <see cref="Server.Due"/> changed since is stale and skipped.</summary>
    private readonly PriorityQueue<Server, TimeSpan> _timers = new();
    private readonly Dictionary<RealServerKey, Server> _servers = new();
    private readonly InFlightGovernor _governor;
    private ProbeEngine? _engine;
    private bool _closed;
    private int _inFlight;
    private bool _tableDirty;
    private CancellationToken _stopping;
    private long _shortages;
    private long _waitFailures;

    public HealthMonitor(HealthCore core, IClock clock, ILog log, HealthMonitorOptions? options = null, Action<HealthTable>? onTable = null)
    {
        _core = core;
        _clock = clock;
        _log = log;
        _options = options ?? new HealthMonitorOptions();
        _onTable = onTable;
        _governor = new InFlightGovernor(_options.MinConcurrentChecks, _options.MaxConcurrentChecks);
    }

    /// <summary>Lateness of every check start; read it only after <see cref="RunAsync"/> returned or via <see cref="QueryAsync"/> ordering.</summary>
    public LatenessStats Lateness { get; } = new();
    public long ChecksStarted { get; private set; }
    public long ChecksCompleted { get; private set; }
    public int PeakInFlight { get; private set; }
    /// <summary>The governor's in-flight limit now, and how often it shrank.</summary>
    public int InFlightLimit => _governor.Limit;
    public long InFlightDecreases => _governor.Decreases;

    /// <summary>Hands a new model to the loop (reload). Health state of servers that still exist is kept.</summary>
    public void Reload(HealthModel model) => Post(new ReloadEvent(model));

    /// <summary>Asks the loop for the state of every real server.</summary>
    public Task<HealthReport> QueryAsync()
    {
        var reply = new TaskCompletionSource<HealthReport>(TaskCreationOptions.RunContinuationsAsynchronously);
        if (!Post(new QueryEvent(reply)))
            reply.SetException(new InvalidOperationException("querying the health checker: it has stopped"));
        return reply.Task;
    }

    /// <summary>Clears the lateness statistics on the loop (so no start is counted half-way); for benchmarks.</summary>
    public Task ResetStatsAsync()
    {
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        if (!Post(new ResetEvent(done))) done.SetResult();
        return done.Task;
    }

    /// <summary>
    /// Runs the loop on its own thread until <paramref name="stopping"/> fires, then applies
    /// shutdown (omega). Probes in flight at shutdown are abandoned at once (scripts killed), not
    /// run to their timeout.
    /// </summary>
    public Task RunAsync(HealthModel model, CancellationToken stopping)
    {
        lock (_gate)
        {
            if (_engine is not null || _closed) throw new InvalidOperationException("running the health checker: it runs once");
            _engine = new ProbeEngine(_clock);
        }
        _stopping = stopping;
        var finished = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var thread = new Thread(() =>
        {
            OsThreadName.FromManaged();
            try
            {
                Loop(model, stopping);
                finished.SetResult();
            }
            catch (Exception e)
            {
                // A bug, not a server's failure: say so loudly; the servers keep their last state.
                _log.Error("health", $"the health checker stopped on an unexpected error: {e}");
                finished.SetException(e);
            }
        }) { IsBackground = true, Name = "health" };
        thread.Start();
        return finished.Task;
    }

    private bool Post(Event ev)
    {
        lock (_gate)
        {
            if (_closed) return false;
            _inbox.Enqueue(ev);
            _engine?.Wake();
            return true;
        }
    }

    private void Loop(HealthModel model, CancellationToken stopping)
    {
        var engine = _engine!;
        var done = new List<ProbeCompletion>();
        using var wake = stopping.Register(() => { lock (_gate) if (!_closed) engine.Wake(); });
        try
        {
            var now = _clock.Now;
            Apply(_core.Load(model, now));
            PublishTable();
            // The clock is read once per wake-up (after epoll_wait) and that reading serves the
            // whole batch: starts, verdicts, durations and the next timeout.
            while (!stopping.IsCancellationRequested)
            {
                while (_inbox.TryDequeue(out var ev)) Handle(ev);
                PublishTable();
                StartDueChecks(engine, done, now);
                if (done.Count == 0)
                {
                    var wakeAt = NextWake(engine);
                    var timeout = -1;
                    if (wakeAt is { } at)
                        // Round up: a wait truncated to 0 ms would spin until the check is due.
                        timeout = at <= now ? 0 : (int)Math.Min(int.MaxValue, Math.Ceiling((at - now).TotalMilliseconds));
                    if (!engine.Wait(timeout, done, out var errno))
                    {
                        // Should never happen (EBADF, EFAULT: a bug); do not spin or flood the log if it does.
                        if (_waitFailures++ % 1000 == 0)
                            _log.Error("health", $"waiting for the checks' sockets failed ({_waitFailures} times so far): {Interop.Errno.Describe(errno)}");
                        Thread.Sleep(100);
                    }
                    now = engine.Now;
                    if (wakeAt is { } meant && now - meant > InFlightGovernor.LagBound) _governor.OnLoopLag(now - meant, now);
                    engine.Expire(now, done);
                }
                foreach (var c in done) Completed(c.Key, c.Result, c.Late, now);
                done.Clear();
            }
        }
        finally
        {
            engine.AbandonAll();
            lock (_gate)
            {
                _closed = true;
                engine.Dispose();
            }
            Apply(_core.Shutdown(_clock.Now));
            PublishTable();
            while (_inbox.TryDequeue(out var ev))
                switch (ev)
                {
                    case QueryEvent q: q.Reply.TrySetException(new InvalidOperationException("querying the health checker: it has stopped")); break;
                    case ResetEvent r: r.Done.TrySetResult(); break;
                }
        }
    }

    /// <summary>When the loop must look again: the next due check (if the limit lets it start) or the next probe deadline.</summary>
    private TimeSpan? NextWake(ProbeEngine engine)
    {
        TimeSpan? at = _inFlight < _governor.Limit ? NextDue() : null;
        if (engine.NextDeadline is { } deadline && (at is null || deadline < at)) at = deadline;
        return at;
    }

    private TimeSpan? NextDue()
    {
        while (_timers.TryPeek(out var server, out var at))
        {
            if (server.Due == at) return at;
            _timers.Dequeue(); // superseded, or removed by a reload
        }
        return null;
    }

    private void StartDueChecks(ProbeEngine engine, List<ProbeCompletion> done, TimeSpan now)
    {
        // Never early: delay_loop and delay_before_retry are minimums an operator can rely on.
        while (_inFlight < _governor.Limit && NextDue() is { } due && due <= now)
        {
            var server = _timers.Dequeue();
            server.Due = null;
            var key = server.Key;
            if (_core.SettingsOf(key) is not { } settings) continue;
            if (server.Probe is not { } probe || !ReferenceEquals(probe.Settings, settings))
            {
                probe = Build(settings);
                server.Probe = probe;
            }
            var late = now - due;
            if (probe.Native is { } native)
            {
                if (engine.Start(key, native, late, now, done) is { } shortage)
                {
                    // The director is short of descriptors or memory: no verdict on the server.
                    // Try again shortly; the lateness shows the delay.
                    if (_shortages++ % 1000 == 0)
                        _log.Warning("health", $"cannot start checks ({_shortages} times so far), retrying in 100 ms: {shortage}");
                    Schedule(server, now + TimeSpan.FromMilliseconds(100));
                    break;
                }
            }
            else
                _ = RunManagedAsync(key, probe.Managed!, late);
            server.Started = now;
            Lateness.Add(late);
            ChecksStarted++;
            _inFlight++;
            if (_inFlight > PeakInFlight) PeakInFlight = _inFlight;
            _core.OnStarted(key);
        }
    }

    /// <summary>The probe of a server; a check the configuration could not describe fails with the reason instead of stopping the loop.</summary>
    private ServerProbe Build(CheckSettings settings)
    {
        try
        {
            return NativeProbe.Supports(settings)
                ? new ServerProbe(settings, new NativeProbe(settings), null)
                : new ServerProbe(settings, null, _options.CreateChecker(settings));
        }
        catch (ArgumentException e)
        {
            _log.Error("health", e.Message);
            return new ServerProbe(settings, null, new Unusable(e.Message));
        }
    }

    /// <summary>A check that cannot run (its settings were refused): every probe fails with the reason.</summary>
    private sealed class Unusable(string reason) : IChecker
    {
        public Task<CheckResult> CheckAsync(CancellationToken stopping) => Task.FromResult(CheckResult.Failed(reason, TimeSpan.Zero));
    }

    private async Task RunManagedAsync(RealServerKey key, IChecker checker, TimeSpan late)
    {
        CheckResult result;
        var start = Stopwatch.GetTimestamp();
        try
        {
            result = await checker.CheckAsync(_stopping).ConfigureAwait(false);
        }
        catch (Exception e)
        {
            // Checkers turn every expected failure into a result; this is a bug, but it must not stop the loop.
            result = CheckResult.Failed($"checking {key} failed unexpectedly: {e.GetType().Name}: {e.Message}", Stopwatch.GetElapsedTime(start));
        }
        Post(new ResultEvent(key, result, late));
    }

    private void Completed(RealServerKey key, CheckResult result, TimeSpan late, TimeSpan now)
    {
        _inFlight--;
        ChecksCompleted++;
        if (_servers.TryGetValue(key, out var server) && server.Probe is { } probe)
        {
            var waiting = NextDue() is { } due && due <= now;
            _governor.OnCompleted(result, probe.Settings.ConnectTimeout, waiting, server.Usual, now);
            if (result.Succeeded) server.Usual = InFlightGovernor.Usual(server.Usual, result.Duration);
            _options.OnProbeFinished?.Invoke(key, server.Started, now, result);
        }
        if (_log.IsEnabled(LogLevel.Debug))
            _log.Write(LogLevel.Debug, "health", $"check of {key.Address} of {key.Service} (started {late.TotalMilliseconds:0} ms after due, took {result.Duration.TotalMilliseconds:0} ms): {(result.Succeeded ? "ok" : "failed")}: {result.Reason}");
        Apply(_core.OnResult(key, result, now));
    }

    private void Handle(Event ev)
    {
        switch (ev)
        {
            case ResultEvent r:
                Completed(r.Key, r.Result, r.Late, _clock.Now);
                break;
            case ReloadEvent l:
                try
                {
                    Apply(_core.Load(l.Model, _clock.Now));
                    // Loops, not LINQ over the struct key: LINQ over value types costs NativeAOT megabytes (docs/benchmarks.md, Binary size).
                    var live = new HashSet<RealServerKey>();
                    foreach (var s in _core.Snapshot()) live.Add(s.Key);
                    var gone = new List<RealServerKey>();
                    foreach (var k in _servers.Keys) if (!live.Contains(k)) gone.Add(k);
                    // Their queued entries become stale; a probe in flight finishes and its result is ignored by the core.
                    foreach (var k in gone) if (_servers.Remove(k, out var removed)) removed.Due = null;
                    _log.Info("health", $"reloaded: {_core.Count} real servers");
                }
                catch (ArgumentException e)
                {
                    _log.Error("health", $"reload refused, keeping the running checks: {e.Message}");
                }
                break;
            case ResetEvent reset:
                Lateness.Reset();
                reset.Done.TrySetResult();
                break;
            case QueryEvent q:
                q.Reply.TrySetResult(new HealthReport(_clock.Now, _core.Snapshot(), _core.Desired()));
                break;
        }
    }

    private void Apply(IReadOnlyList<HealthAction> actions)
    {
        foreach (var action in actions)
        {
            switch (action)
            {
                case ScheduleCheck s:
                    if (!_servers.TryGetValue(s.Server, out var server))
                        _servers[s.Server] = server = new Server(s.Server);
                    Schedule(server, s.At);
                    break;
                case ServerStateChanged c:
                    _log.Notice("health", $"real server {c.Server.Address} of {c.Server.Service} is {(c.Up ? "UP" : "DOWN")}: {c.Reason}");
                    Notify(c.Notify);
                    break;
                case QuorumChanged q:
                    _log.Notice("health", $"{q.Service}: quorum {(q.Up ? "gained" : "lost")} (healthy weight {q.HealthyWeight})");
                    Notify(q.Notify);
                    break;
                case TableChanged:
                    _tableDirty = true;
                    break;
            }
        }
    }

    private void Schedule(Server server, TimeSpan at)
    {
        server.Due = at;
        _timers.Enqueue(server, at);
    }

    private void Notify(string? command)
    {
        if (command is null) return;
        if (_options.RunNotify is { } run) run(command);
        else _log.Info("health", $"notify hook not run (no runner configured): {command}");
    }

    private void PublishTable()
    {
        if (!_tableDirty) return;
        _tableDirty = false;
        _onTable?.Invoke(_core.Desired());
    }

    /// <summary>A checked server as the loop sees it: when its next check is due, how it is probed, when the last probe started.</summary>
    private sealed class Server(RealServerKey key)
    {
        public RealServerKey Key { get; } = key;
        public TimeSpan? Due { get; set; }
        public ServerProbe? Probe { get; set; }
        public TimeSpan Started { get; set; }
        /// <summary>Its usual answer time (a moving average of successes), for the governor.</summary>
        public TimeSpan? Usual { get; set; }
    }

    /// <summary>How a server is probed, built once per configuration of its check.</summary>
    private sealed class ServerProbe(CheckSettings settings, NativeProbe? native, IChecker? managed)
    {
        public CheckSettings Settings { get; } = settings;
        public NativeProbe? Native { get; } = native;
        public IChecker? Managed { get; } = managed;
    }

    private abstract record Event;
    private sealed record ResultEvent(RealServerKey Key, CheckResult Result, TimeSpan Late) : Event;
    private sealed record ReloadEvent(HealthModel Model) : Event;
    private sealed record ResetEvent(TaskCompletionSource Done) : Event;
    private sealed record QueryEvent(TaskCompletionSource<HealthReport> Reply) : Event;
}
