using Appliance.Config;
using Appliance.Core;
using Appliance.Health;
using Appliance.Ipvs;
using Appliance.Logging;

namespace Appliance.Daemon;

/// <summary>The health checker published a new view of the real servers (posted from its own loop).</summary>
public sealed record HealthTableChanged(HealthTable Table) : LoopEvent;

/// <summary>
/// IPVS from the configuration and the health view: the configured table
/// (<see cref="IpvsDesiredFromConfig"/>) passed through <see cref="HealthTableAdapter"/> and
/// reconciled by <see cref="IpvsDaemonHook"/>, on start-up, on every accepted reload and on every
/// health change. The reconciler touches only what differs, so a failed real server is one
/// DEL_DEST (or SET_DEST to weight 0 with inhibit_on_failure) and nothing else moves.
/// Checks run on both directors whatever the VRRP state, so a BACKUP that takes over already
/// has the right table.
/// </summary>
/// <summary>IPVS as the daemon drives it: virtual services, real servers configured and in the desired table, the last reconciliation.</summary>
public sealed record IpvsPartStatus(int Services, int ConfiguredDestinations, int DesiredDestinations, long Reconciliations, string? LastOutcome, string? LastError);

public sealed class IpvsPart(EventLoop loop, IClock clock, ILog log, IpvsDaemonHook ipvs) : IDaemonPart, IDisposable
{
    private readonly CancellationTokenSource _stopChecks = new();
    private readonly NotifyRunner _notify = new(log, "health", NotifyRunner.DefaultTimeout);
    private HealthMonitor? _monitor;
    private Task? _checks;
    private DesiredTable? _configured;
    private HealthTable? _health;

    public void OnConfiguration(ApplianceConfig config, TimeSpan now)
    {
        _configured = IpvsDesiredFromConfig.Build(config);
        ipvs.ApplyTimeouts(config.IpvsTimeouts);
        var model = HealthConfigMapping.FromConfig(config);
        if (_monitor is null)
        {
            _monitor = new HealthMonitor(new HealthCore((ulong)Environment.ProcessId), clock, log,
                new HealthMonitorOptions { RunNotify = c => _ = _notify.Run("notify hook", c) },
                onTable: table => loop.Post(new HealthTableChanged(table)));
            // The first view (alpha servers down, the rest up) is posted before the first check:
            // the table is applied from it, so an alpha server never enters the kernel unchecked.
            _checks = _monitor.RunAsync(model, _stopChecks.Token);
            if (config.VirtualServers.Count == 0) Reconcile(); // nothing to check: still clear what a previous run owned
            return;
        }
        // Reload: apply the new configuration at once with the health view we have (servers new to
        // it pass through until their first verdict), then the monitor's next view refines it.
        _monitor.Reload(model);
        Reconcile();
    }

    public void Handle(LoopEvent e, TimeSpan now)
    {
        if (e is not HealthTableChanged changed) return;
        _health = changed.Table;
        Reconcile();
    }

    /// <summary>Asks the health checker for every real server (it answers on its own loop); null before the first configuration.</summary>
    public Task<HealthReport>? QueryHealth() => _monitor?.QueryAsync();

    /// <summary>The IPVS side for the operator's status, read on the loop thread.</summary>
    public IpvsPartStatus Status()
    {
        var desired = _configured is null ? null : _health is null ? _configured : HealthTableAdapter.Apply(_configured, _health);
        int destinations = 0, configured = 0;
        foreach (var vs in desired?.Services ?? []) destinations += vs.Destinations.Count;
        foreach (var vs in _configured?.Services ?? []) configured += vs.Destinations.Count;
        return new IpvsPartStatus(desired?.Services.Count ?? 0, configured, destinations, ipvs.Reconciliations, ipvs.LastOutcome, ipvs.LastError);
    }

    public void OnStop()
    {
        // The table stays in the kernel on stop: the peer (or this node after a restart) keeps serving.
        _stopChecks.Cancel();
    }

    private void Reconcile()
    {
        if (_configured is null) return;
        var desired = _health is null ? _configured : HealthTableAdapter.Apply(_configured, _health);
        ipvs.OnDesiredTable(desired);
    }

    public void Dispose()
    {
        _stopChecks.Cancel();
        try { _checks?.Wait(TimeSpan.FromSeconds(5)); }
        catch (AggregateException) { } // the checker logs its own failures; stopping must not throw
        _stopChecks.Dispose();
        ipvs.Dispose();
    }
}
