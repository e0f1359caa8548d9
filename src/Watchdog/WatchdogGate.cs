namespace Appliance.Watchdog;

/// <summary>
/// A loop the watchdog depends on. The loop calls <see cref="Progress"/> each time it completes
/// an iteration; the value is read by the gate on the feeder's loop, hence the volatile access.
/// </summary>
public sealed class MonitoredLoop
{
    private long _lastProgressTicks;

    internal MonitoredLoop(string name, TimeSpan bound, TimeSpan now)
    {
        Name = name;
        Bound = bound;
        _lastProgressTicks = now.Ticks;
    }

    /// <summary>Name shown when it stalls ("event loop", "peer link").</summary>
    public string Name { get; }

    /// <summary>The longest the loop may go without progress and still count as healthy.</summary>
    public TimeSpan Bound { get; }

    public TimeSpan LastProgress => TimeSpan.FromTicks(Volatile.Read(ref _lastProgressTicks));

    /// <summary>Called by the loop itself (never by a helper thread on its behalf) at <paramref name="now"/>.</summary>
    public void Progress(TimeSpan now) => Volatile.Write(ref _lastProgressTicks, now.Ticks);
}

/// <summary>One loop that made no progress within its bound.</summary>
public readonly record struct StalledLoop(string Name, TimeSpan Silent, TimeSpan Bound)
{
    public override string ToString() => $"{Name} made no progress for {Silent.TotalMilliseconds:0} ms (bound {Bound.TotalMilliseconds:0} ms)";
}

/// <summary>The gate's answer: feed, or the reasons not to.</summary>
public readonly record struct GateDecision(bool Feed, IReadOnlyList<StalledLoop> Stalled);

/// <summary>
/// The health gate in front of the hardware watchdog: feed only if every registered loop made
/// progress within its bound. Pure (the time is an argument) so it is tested with a fake clock.
///
/// The feeder must run ON the daemon's main event loop, which is itself registered: a hung event
/// loop then stops feeding by construction, and any other stalled loop stops it through the gate.
/// A separate feeder thread would keep feeding while the loop it is meant to watch hangs — the
/// exact failure (a half-dead master keeping its VIPs) the watchdog exists to end.
/// </summary>
public sealed class WatchdogGate
{
    private readonly List<MonitoredLoop> _loops = [];

    public IReadOnlyList<MonitoredLoop> Loops => _loops;

    /// <summary>Registers a loop; it counts as having made progress at <paramref name="now"/>.</summary>
    public MonitoredLoop Register(string name, TimeSpan bound, TimeSpan now)
    {
        if (bound <= TimeSpan.Zero) throw new ArgumentException($"watchdog: loop '{name}' needs a positive progress bound", nameof(bound));
        if (_loops.Any(l => l.Name == name)) throw new ArgumentException($"watchdog: a loop named '{name}' is already registered", nameof(name));
        var loop = new MonitoredLoop(name, bound, now);
        _loops.Add(loop);
        return loop;
    }

    public GateDecision Check(TimeSpan now)
    {
        List<StalledLoop>? stalled = null;
        foreach (var loop in _loops)
        {
            var silent = now - loop.LastProgress;
            if (silent > loop.Bound) (stalled ??= []).Add(new StalledLoop(loop.Name, silent, loop.Bound));
        }
        // No registered loop means nothing vouches for the daemon: do not feed.
        if (_loops.Count == 0) return new GateDecision(false, [new StalledLoop("(no loop registered)", TimeSpan.Zero, TimeSpan.Zero)]);
        return new GateDecision(stalled is null, stalled ?? (IReadOnlyList<StalledLoop>)[]);
    }
}
