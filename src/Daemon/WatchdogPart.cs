using Appliance.Config;
using Appliance.Logging;
using Appliance.Watchdog;

namespace Appliance.Daemon;

/// <summary>The watchdog as the operator sees it; <paramref name="Problem"/> says why it is not armed or why feeding is withheld.</summary>
public sealed record WatchdogPartStatus(bool Armed, string? Device, string? Identity, int TimeoutSeconds, long Feeds, long Withheld, string? Problem, IReadOnlyList<string> Loops);

/// <summary>Time to consider feeding the hardware watchdog (a timer of the daemon loop).</summary>
public sealed record WatchdogTick : LoopEvent;

/// <summary>
/// The hardware watchdog ([watchdog]): armed with the first configuration, fed from a timer of
/// the daemon loop itself (so a hung daemon loop stops feeding by construction), and only while
/// every loop registered in the <see cref="WatchdogGate"/> made progress within its bound — the
/// composition root registers the VRRP loop thread. A reload does not re-open the device:
/// the timeout in force is the one read at start-up.
/// </summary>
public sealed class WatchdogPart(EventLoop loop, ILog log, WatchdogGate gate) : IDaemonPart, IDisposable
{
    public const string Component = "watchdog";
    private WatchdogDevice? _device;
    private WatchdogFeeder? _feeder;
    private MonitoredLoop? _daemonLoop;
    private TimeSpan _interval;
    private bool _disarmOnStop;
    private bool _stopped;
    private string? _notArmed;

    /// <summary>The watchdog for the operator's status, read on the loop thread.</summary>
    public WatchdogPartStatus Status(TimeSpan now)
    {
        if (_device is null || _feeder is null) return new WatchdogPartStatus(false, null, null, 0, 0, 0, _notArmed ?? "disabled in [watchdog]", []);
        var loops = new List<string>();
        foreach (var l in gate.Loops) loops.Add($"{l.Name} {(now - l.LastProgress).TotalMilliseconds:0} ms ago (bound {l.Bound.TotalMilliseconds:0} ms)");
        var stalled = gate.Check(now);
        return new WatchdogPartStatus(true, _device.Path, _device.Identity.ToString(), _device.TimeoutSeconds, _feeder.Feeds, _feeder.Withheld,
            stalled.Feed ? null : string.Join("; ", stalled.Stalled), loops);
    }

    /// <summary>How long a loop may go without progress: half the timeout leaves two feeds' margin.</summary>
    public static TimeSpan ProgressBound(WatchdogSettings s) => s.Timeout / 2;

    public void OnConfiguration(ApplianceConfig config, TimeSpan now)
    {
        var s = config.Watchdog;
        if (_device is not null || !s.Enabled) return;
        try
        {
            _device = WatchdogDevice.Open(s.Device, (int)s.Timeout.TotalSeconds);
        }
        catch (Exception e) when (e is IOException or ArgumentException)
        {
            log.Error(Component, $"not armed: {e.Message}");
            _notArmed = $"not armed: {e.Message}";
            return;
        }
        _disarmOnStop = !s.NoWayOut;
        _interval = new WatchdogOptions { TimeoutSeconds = _device.TimeoutSeconds }.FeedInterval;
        _daemonLoop = gate.Register("daemon", ProgressBound(s), now);
        _feeder = new WatchdogFeeder(gate, _device.Keepalive, log);
        log.Info(Component, $"armed {_device.Path}: {_device.Identity}, timeout {_device.TimeoutSeconds} s, fed every {_interval.TotalMilliseconds:0} ms while {string.Join(" and ", gate.Loops.Select(l => l.Name))} make progress");
        loop.ScheduleAfter(_interval, new WatchdogTick());
    }

    public void Handle(LoopEvent e, TimeSpan now)
    {
        if (e is not WatchdogTick || _feeder is null || _stopped) return;
        _daemonLoop!.Progress(now);
        try { _feeder.Tick(now); }
        catch (IOException ex) { log.Error(Component, ex.Message); }
        loop.ScheduleAfter(_interval, new WatchdogTick());
    }

    public void OnStop() => _stopped = true;

    public void Dispose()
    {
        if (_device is null) return;
        try
        {
            _device.Close(_disarmOnStop);
            log.Info(Component, _disarmOnStop ? "disarmed (orderly stop)" : "closed with nowayout: the timer runs on");
        }
        catch (IOException e) { log.Error(Component, e.Message); }
    }
}
