using System.Diagnostics;
using System.Threading.Channels;
using Appliance.Core;
using Appliance.Health.Checkers;
using Appliance.Logging;

namespace Appliance.Health;

/// <summary>Tuning of the checker shell.</summary>
public sealed record HealthMonitorOptions
{
    /// <summary>
    /// Most probes in flight at once. Each holds one socket (or one child process). When the bound
    /// is reached, due checks wait in the timer queue and start late (the lateness statistics show
    /// it) instead of exhausting file descriptors. 4,096 covers 10,000 servers at a 1 s delay_loop
    /// with healthy answers in milliseconds; a mass outage with a 3 s connect_timeout saturates it
    /// by design.
    /// </summary>
    public int MaxConcurrentChecks { get; init; } = 4096;

    /// <summary>Builds the probe for a server; tests may count or wrap probes.</summary>
    public Func<CheckSettings, IChecker> CreateChecker { get; init; } = CheckerFactory.Create;

    /// <summary>Runs a notify hook (notify_up/down, quorum_up/down); the daemon passes <c>c => _ = notify.Run("notify hook", c)</c> (<see cref="Core.NotifyRunner"/>). Null: hooks are only logged (the one-shot verb).</summary>
    public Action<string>? RunNotify { get; init; }
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
/// The shell around <see cref="HealthCore"/>: one asynchronous loop owns the core, a timer queue
/// of due checks, and the checkers. Probes run concurrently as async I/O (no thread per check);
/// their results come back through a channel and are applied one at a time, in order, by the
/// loop. Reloads and status queries go through the same channel, so nothing is locked.
/// </summary>
public sealed class HealthMonitor
{
    private readonly HealthCore _core;
    private readonly IClock _clock;
    private readonly ILog _log;
    private readonly HealthMonitorOptions _options;
    private readonly Action<HealthTable>? _onTable;
    private readonly Channel<Event> _events = Channel.CreateUnbounded<Event>(new UnboundedChannelOptions { SingleReader = true });
    private readonly PriorityQueue<RealServerKey, TimeSpan> _timers = new();
    private readonly Dictionary<RealServerKey, TimeSpan> _due = new();
    private readonly Dictionary<RealServerKey, (CheckSettings Settings, IChecker Checker)> _checkers = new();
    private int _inFlight;
    private bool _tableDirty;
    private CancellationToken _stopping;

    public HealthMonitor(HealthCore core, IClock clock, ILog log, HealthMonitorOptions? options = null, Action<HealthTable>? onTable = null)
    {
        _core = core;
        _clock = clock;
        _log = log;
        _options = options ?? new HealthMonitorOptions();
        _onTable = onTable;
    }

    /// <summary>Lateness of every check start; read it only after <see cref="RunAsync"/> returned or via <see cref="QueryAsync"/> ordering.</summary>
    public LatenessStats Lateness { get; } = new();
    public long ChecksStarted { get; private set; }
    public long ChecksCompleted { get; private set; }
    public int PeakInFlight { get; private set; }

    /// <summary>Hands a new model to the loop (reload). Health state of servers that still exist is kept.</summary>
    public void Reload(HealthModel model) => _events.Writer.TryWrite(new ReloadEvent(model));

    /// <summary>Asks the loop for the state of every real server.</summary>
    public Task<HealthReport> QueryAsync()
    {
        var reply = new TaskCompletionSource<HealthReport>(TaskCreationOptions.RunContinuationsAsynchronously);
        if (!_events.Writer.TryWrite(new QueryEvent(reply)))
            reply.SetException(new InvalidOperationException("querying the health checker: it has stopped"));
        return reply.Task;
    }

    /// <summary>Clears the lateness statistics on the loop (so no start is counted half-way); for benchmarks.</summary>
    public Task ResetStatsAsync()
    {
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _events.Writer.TryWrite(new ResetEvent(done));
        return done.Task;
    }

    /// <summary>Runs the loop until <paramref name="stopping"/> fires, then applies shutdown (omega).</summary>
    public async Task RunAsync(HealthModel model, CancellationToken stopping)
    {
        // Probes in flight at shutdown are abandoned at once (scripts killed), not run to their timeout.
        _stopping = stopping;
        Apply(_core.Load(model, _clock.Now));
        PublishTable();
        var reader = _events.Reader;
        Task<bool>? readable = null;
        Task? timer = null;
        var timerTarget = TimeSpan.MaxValue;
        try
        {
            while (!stopping.IsCancellationRequested)
            {
                while (reader.TryRead(out var ev)) Handle(ev);
                PublishTable();
                StartDueChecks();

                readable ??= reader.WaitToReadAsync(stopping).AsTask();
                if (readable.IsCompleted) { readable = null; continue; }
                var next = NextDue();
                if (next is { } due && _inFlight < _options.MaxConcurrentChecks)
                {
                    if (timer is null || timer.IsCompleted || timerTarget > due)
                    {
                        var wait = due - _clock.Now;
                        // Round up: a delay truncated to 0 ms would spin until the check is due.
                        var ms = wait <= TimeSpan.Zero ? 0 : (long)Math.Ceiling(wait.TotalMilliseconds);
                        timer = Task.Delay(TimeSpan.FromMilliseconds(ms), stopping);
                        timerTarget = due;
                    }
                    await Task.WhenAny(readable, timer).ConfigureAwait(false);
                }
                else
                    await readable.ConfigureAwait(false);
                if (readable.IsCompleted) readable = null;
            }
        }
        catch (OperationCanceledException) when (stopping.IsCancellationRequested) { }
        finally
        {
            _events.Writer.TryComplete();
            Apply(_core.Shutdown(_clock.Now));
            PublishTable();
            while (reader.TryRead(out var ev))
                if (ev is QueryEvent q) q.Reply.TrySetException(new InvalidOperationException("querying the health checker: it has stopped"));
        }
    }

    private TimeSpan? NextDue()
    {
        while (_timers.TryPeek(out var key, out var at))
        {
            if (_due.TryGetValue(key, out var current) && current == at) return at;
            _timers.Dequeue(); // superseded or removed by a reload
        }
        return null;
    }

    private void StartDueChecks()
    {
        var now = _clock.Now;
        while (_inFlight < _options.MaxConcurrentChecks && NextDue() is { } due && due <= now)
        {
            var key = _timers.Dequeue();
            _due.Remove(key);
            if (_core.SettingsOf(key) is not { } settings) continue;
            if (!_checkers.TryGetValue(key, out var entry) || !ReferenceEquals(entry.Settings, settings))
            {
                entry = (settings, _options.CreateChecker(settings));
                _checkers[key] = entry;
            }
            Lateness.Add(now - due);
            ChecksStarted++;
            _inFlight++;
            if (_inFlight > PeakInFlight) PeakInFlight = _inFlight;
            _core.OnStarted(key);
            _ = RunCheckAsync(key, entry.Checker, now - due);
        }
    }

    private async Task RunCheckAsync(RealServerKey key, IChecker checker, TimeSpan late)
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
        _events.Writer.TryWrite(new ResultEvent(key, result, late));
    }

    private void Handle(Event ev)
    {
        switch (ev)
        {
            case ResultEvent r:
                _inFlight--;
                ChecksCompleted++;
                if (_log.IsEnabled(LogLevel.Debug))
                    _log.Write(LogLevel.Debug, "health", $"check of {r.Key.Address} of {r.Key.Service} (started {r.Late.TotalMilliseconds:0} ms after due, took {r.Result.Duration.TotalMilliseconds:0} ms): {(r.Result.Succeeded ? "ok" : "failed")}: {r.Result.Reason}");
                Apply(_core.OnResult(r.Key, r.Result, _clock.Now));
                break;
            case ReloadEvent l:
                try
                {
                    Apply(_core.Load(l.Model, _clock.Now));
                    // Loops, not LINQ over the struct key: LINQ over value types costs NativeAOT megabytes (docs/benchmarks.md, Binary size).
                    var live = new HashSet<RealServerKey>();
                    foreach (var s in _core.Snapshot()) live.Add(s.Key);
                    var gone = new List<RealServerKey>();
                    foreach (var k in _checkers.Keys) if (!live.Contains(k)) gone.Add(k);
                    foreach (var k in gone) _checkers.Remove(k);
                    gone.Clear();
                    foreach (var k in _due.Keys) if (!live.Contains(k)) gone.Add(k);
                    foreach (var k in gone) _due.Remove(k);
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
                    _due[s.Server] = s.At;
                    _timers.Enqueue(s.Server, s.At);
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

    private abstract record Event;
    private sealed record ResultEvent(RealServerKey Key, CheckResult Result, TimeSpan Late) : Event;
    private sealed record ReloadEvent(HealthModel Model) : Event;
    private sealed record ResetEvent(TaskCompletionSource Done) : Event;
    private sealed record QueryEvent(TaskCompletionSource<HealthReport> Reply) : Event;
}
