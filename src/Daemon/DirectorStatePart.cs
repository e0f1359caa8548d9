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

/// <summary>The split-brain arbiter's front-panel fault indication changed (src/Arbiter; posted from its thread).</summary>
public sealed record ArbiterAlarmChanged(bool Fault, string Reason) : LoopEvent;

/// <summary>
/// What follows the director's VRRP state: the IPVS connection-sync daemons (plan of
/// src/Sync, executed through its netlink shell; sysctls set at start-up) and the front-panel LEDs.
/// The instances move together by default (group_failover), so the director's state is that of
/// the last instance to change.
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

    public DirectorRole Role => _role;

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
        }
    }

    public void OnStop()
    {
        if (_retry is { } r) loop.Cancel(r);
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
        foreach (var line in result.Done) log.Info("sync", line);
        foreach (var line in result.Errors) log.Error("sync", line);
        return result.Errors.Count > 0;
    }
}
