using Appliance.Config;
using Appliance.FrontPanel;
using Appliance.Logging;
using Appliance.Sync;
using Appliance.Vrrp;

namespace Appliance.Daemon;

/// <summary>A VRRP instance changed state (posted from the VRRP loop thread).</summary>
public sealed record VrrpStateChanged(VrrpStateChange Change) : LoopEvent;

/// <summary>Retry the sync plan after a failed command.</summary>
public sealed record SyncRetryDue : LoopEvent;

/// <summary>Time for the catch-up gate's next reading of the connection table.</summary>
public sealed record CatchUpSampleDue : LoopEvent;

/// <summary>The split-brain arbiter's front-panel fault indication changed (src/Arbiter; posted from its thread).</summary>
public sealed record ArbiterAlarmChanged(bool Fault, string Reason) : LoopEvent;

/// <summary>
/// What follows the director's VRRP state: the IPVS connection-sync daemons (plan of
/// src/Sync, executed through its netlink shell; sysctls set at start-up), the sync catch-up
/// gate and the front-panel LEDs. The instances move together by default (group_failover), so
/// the director's state is that of the last instance to change.
/// Catch-up gate (docs/sync.md "Failback"): whenever an instance enters BACKUP, the pure
/// <see cref="SyncCatchUp"/> is restarted and fed the number of SYNC entries of this node's own
/// kernel table once a second; each verdict goes to the VRRP thread through
/// <see cref="PreemptionGate"/> (a post, no shared state), until one says "caught up".
/// </summary>
public sealed class DirectorStatePart(EventLoop loop, ILog log, SyncShell sync, LedPanel panel) : IDaemonPart
{
    public const string Component = "director";
    private static readonly TimeSpan SyncRetry = TimeSpan.FromSeconds(5);

    private SyncConfiguration? _sync;
    private FrontPanelLeds _leds = new(null, null, null);
    private DirectorRole _role = DirectorRole.Init;
    private bool _alarm;
    private TimerId? _retry;
    private IReadOnlyList<string> _lastErrors = [];
    private SyncCatchUp? _catchUp;
    private TimeSpan _catchUpSince;
    private TimerId? _sample;
    private CatchUpVerdict? _verdict;
    private bool _released;
    private string? _tableError;
    private TimeSpan _nextProgressLog;

    public DirectorRole Role => _role;

    /// <summary>
    /// Delivers a catch-up verdict (open, waiting since, reason) to VRRP; false when VRRP is not running yet
    /// (the table is read and the verdict sent again 100 ms later). Null: nobody preempts here (no VRRP instance).
    /// Set before the loop runs (<c>appliance run</c>: <see cref="VrrpHost.TrySetPreemptionGate"/>).
    /// </summary>
    public Func<bool, TimeSpan, string, bool>? PreemptionGate { get; set; }

    /// <summary>The sync part of the operator's status as the loop knows it (loop thread only; a snapshot for the control socket).</summary>
    public SyncStatusSnapshot SyncStatus(TimeSpan now) => new(
        _sync is not null, _role,
        _catchUp is null ? null : new SyncCatchUpSnapshot(!_released, now - _catchUpSince, _catchUp.LatestCount,
            _verdict?.Reason ?? "no reading yet", _verdict?.ByMaximumWait ?? false, _catchUp.Options.SettleWindow, _catchUp.Options.MaximumWait),
        _tableError, _lastErrors);

    /// <summary>The sync settings in force (null: [sync] disabled or no configuration yet); loop thread.</summary>
    public SyncConfiguration? Sync => _sync;

    /// <summary>A failed sync command waits for its retry; loop thread.</summary>
    public bool SyncRetryPending => _retry is not null;

    public void OnConfiguration(ApplianceConfig config, TimeSpan now)
    {
        _sync = SyncConfiguration.FromConfig(config);
        _leds = config.Leds;
        ApplySync();
        panel.Show(PanelFor(_role), _leds, _alarm);
    }

    public void Handle(LoopEvent e, TimeSpan now)
    {
        switch (e)
        {
            case VrrpStateChanged changed:
                _role = RoleFor(changed.Change.To);
                log.Info(Component, $"director is {_role.ToString().ToUpperInvariant()} ({changed.Change.Instance}: {changed.Change.Reason})");
                ApplySync();
                panel.Show(PanelFor(_role), _leds, _alarm);
                // Every instance's entry into BACKUP closes its gate (VrrpMachine): restart the wait for each.
                if (changed.Change.To == VrrpState.Backup) StartCatchUp(now);
                else if (_role != DirectorRole.Backup) StopCatchUp();
                break;
            case ArbiterAlarmChanged alarm:
                _alarm = alarm.Fault;
                log.Notice(Component, alarm.Fault ? $"front panel shows a fault: {alarm.Reason}" : "front panel fault cleared");
                panel.Show(PanelFor(_role), _leds, _alarm);
                break;
            case SyncRetryDue:
                _retry = null;
                ApplySync();
                break;
            case CatchUpSampleDue:
                _sample = null;
                SampleCatchUp(now);
                break;
        }
    }

    private void StartCatchUp(TimeSpan now)
    {
        // The instances of a sync group enter BACKUP together: one log line for the director, one wait per entry.
        bool alreadyWaiting = _catchUp is not null && !_released;
        StopCatchUp();
        _catchUpSince = now;
        _released = false;
        _verdict = null;
        if (_sync is null)
        {
            // Sync switched off by a reload after VRRP started gated: nothing to wait for.
            Deliver(true, "connection sync is disabled");
            _released = true;
            return;
        }
        _catchUp = new SyncCatchUp(_sync.CatchUp, now);
        _nextProgressLog = now + ProgressLogInterval;
        if (!alreadyWaiting) log.Info("sync", $"catch-up gate: preemption of a lower-priority master waits until this node's connection table has settled " +
            $"(no growth over {Seconds(_catchUp.Options.SettleWindow)}, at least {Seconds(_catchUp.Options.MinimumWait)}, at most {Seconds(_catchUp.Options.MaximumWait)})");
        SampleCatchUp(now);
    }

    private void StopCatchUp()
    {
        if (_sample is { } t) loop.Cancel(t);
        _sample = null;
        _catchUp = null;
    }

    private static readonly TimeSpan ProgressLogInterval = TimeSpan.FromSeconds(10);

    private void SampleCatchUp(TimeSpan now)
    {
        if (_catchUp is null || _released) return;
        try
        {
            if (sync.HasConnectionTable) _catchUp.Observe(now, sync.ReadTable().Synced);
            else _catchUp.ObserveNoTable(now);
            _tableError = null;
        }
        catch (IOException e)
        {
            // Without readings the gate opens at its maximum wait; said once, not every second.
            if (_tableError != e.Message) log.Warning("sync", $"catch-up gate: {e.Message}; preemption waits the maximum of {Seconds(_catchUp.Options.MaximumWait)}");
            _tableError = e.Message;
        }
        var verdict = _catchUp.Evaluate(now);
        _verdict = verdict;
        bool delivered = Deliver(verdict.CaughtUp, verdict.Reason);
        if (verdict.CaughtUp && delivered)
        {
            _released = true;
            log.Notice("sync", $"catch-up gate open after {Seconds(now - _catchUpSince)}: {verdict.Reason}; VRRP may preempt");
            return;
        }
        if (now >= _nextProgressLog)
        {
            _nextProgressLog = now + ProgressLogInterval;
            log.Info("sync", $"catch-up gate: waiting ({verdict.Reason})");
        }
        // A verdict VRRP could not take yet (its service is still being built) is sent again soon: on a node
        // without a table to wait for, preemption should not lose a whole sample interval to start-up.
        _sample = loop.Schedule(now + (delivered ? _catchUp.Options.SampleInterval : RedeliverAfter), new CatchUpSampleDue());
    }

    private static readonly TimeSpan RedeliverAfter = TimeSpan.FromMilliseconds(100);

    private bool Deliver(bool open, string reason) => PreemptionGate is not { } post || post(open, _catchUpSince, reason);

    private static string Seconds(TimeSpan t) => $"{t.TotalSeconds:0.#} s";

    public void OnStop()
    {
        if (_retry is { } r) loop.Cancel(r);
        StopCatchUp();
        if (_sync is not null) Report(sync.Apply(_sync, DirectorRole.Stop));
        panel.Show(PanelState.Off, _leds);
    }

    public static DirectorRole RoleFor(VrrpState s) => s switch
    {
        VrrpState.Master => DirectorRole.Master,
        VrrpState.Backup => DirectorRole.Backup,
        VrrpState.Fault => DirectorRole.Fault,
        _ => DirectorRole.Init,
    };

    public static PanelState PanelFor(DirectorRole r) => r switch
    {
        DirectorRole.Master => PanelState.Master,
        DirectorRole.Backup => PanelState.Backup,
        DirectorRole.Fault => PanelState.Fault,
        _ => PanelState.Off,
    };

    private void ApplySync()
    {
        if (_sync is null) return;
        // With both daemons always running (docs/sync.md) the plan is empty on a plain role
        // change; it does work at start-up and when a daemon was stopped behind our back.
        if (Report(sync.Apply(_sync, _role)) && _retry is null)
            _retry = loop.ScheduleAfter(SyncRetry, new SyncRetryDue());
    }

    /// <summary>Logs the outcome; true when something failed and should be retried.</summary>
    private bool Report(SyncApplyResult result)
    {
        _lastErrors = result.Errors;
        foreach (var line in result.Done) log.Info("sync", line);
        foreach (var line in result.Errors) log.Error("sync", line);
        return result.Errors.Count > 0;
    }
}
