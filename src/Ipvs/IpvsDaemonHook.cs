using Appliance.Config;
using Appliance.Logging;
using Appliance.Netlink;

namespace Appliance.Ipvs;

/// <summary>
/// What the daemon calls on the event loop each time a configuration becomes current (start-up
/// and every accepted SIGHUP reload; a rejected reload never reaches here, so the running table
/// stays as it is). The first call dumps the kernel's table; later calls read fresh and change only
/// the services whose desired state changed (<see cref="IpvsApplier"/>), and every
/// <see cref="ResyncEvery"/>-th call dumps the whole table again so that edits made behind the
/// appliance's back in services it did not need to touch are repaired too. Refusals are logged, never thrown.
/// </summary>
public sealed class IpvsDaemonHook : IDisposable
{
    public const string Component = "ipvs";
    public const int ResyncEvery = 10;

    private readonly ILog _log;
    private readonly Func<IpvsClient> _open;
    private readonly IpvsOwnershipStore _ownership;
    private IpvsClient? _client;
    private IpvsApplier? _applier;
    private int _applies;

    /// <summary>Reconciliations attempted since start (the operator's status; loop thread).</summary>
    public long Reconciliations { get; private set; }

    /// <summary>The last reconciliation's outcome, one line ("2 change(s) planned, 2 applied, 0 refused in 0.4 ms").</summary>
    public string? LastOutcome { get; private set; }

    /// <summary>The last refusal or netlink failure, null when the last reconciliation succeeded.</summary>
    public string? LastError { get; private set; }

    public IpvsDaemonHook(ILog log, IpvsOwnershipStore ownership, Func<IpvsClient>? open = null)
    {
        _log = log;
        _ownership = ownership;
        _open = open ?? IpvsClient.Open;
    }

    /// <summary>
    /// Sets the kernel's global timeouts to <c>[ipvs]</c> (ipvsadm --set) when they differ, at start-up
    /// and on every accepted reload. The sync settings are derived from these same values
    /// (docs/sync.md), so the kernel must run with them: a backup's entry lives for the kernel's
    /// timeout, not for what the file says. False (logged) when the kernel refused or is unreachable.
    /// </summary>
    public bool ApplyTimeouts(Config.IpvsTimeouts configured)
    {
        var want = new IpvsTimeouts(Seconds(configured.Tcp), Seconds(configured.TcpFin), Seconds(configured.Udp));
        try
        {
            _client ??= _open();
            var have = _client.GetTimeouts();
            if (have == want) return true;
            _client.SetTimeouts(want);
            _log.Info(Component, $"timeouts set to tcp {want.Tcp} s, tcpfin {want.TcpFin} s, udp {want.Udp} s from [ipvs] (the kernel had {have.Tcp}/{have.TcpFin}/{have.Udp})");
            return true;
        }
        catch (NetlinkException e)
        {
            _log.Error(Component, e.Message);
            LastError = e.Message;
            _applier = null;
            _client?.Dispose();
            _client = null;
            _applies = 0;
            return false;
        }

        // ipvsadm --set semantics: 0 leaves a timeout unchanged; the configuration refuses 0 and negatives.
        static uint Seconds(TimeSpan t) => (uint)Math.Max(1, Math.Round(t.TotalSeconds));
    }

    /// <summary>Reconciles the kernel with <paramref name="config"/>'s virtual servers; false if anything was refused.</summary>
    public bool OnConfiguration(ApplianceConfig config) => OnDesiredTable(IpvsDesiredFromConfig.Build(config));

    /// <summary>The same for a table the health layer derived (failed servers removed or at weight 0).</summary>
    public bool OnDesiredTable(DesiredTable desired)
    {
        Reconciliations++;
        try
        {
            _client ??= _open();
            _applier ??= new IpvsApplier(_client, _ownership);
            var incremental = _applies % ResyncEvery != 0;
            _applies++;
            var report = _applier.Apply(desired, incremental);
            foreach (var p in report.Problems) _log.Warning(Component, p);
            foreach (var e in report.Errors) _log.Error(Component, e);
            LastOutcome = $"{report.Planned.Count} change(s) planned, {report.Applied} applied, {report.Errors.Count} refused in {report.Elapsed.TotalMilliseconds:F1} ms";
            LastError = report.Errors.Count == 0 ? null : report.Errors[^1];
            _log.Info(Component, $"{LastOutcome} ({(report.FullRead ? "whole table" : "changed services")} read: {report.ServicesRead} service(s); {report.Timings})");
            if (_client.Counters.Dropped > 0) _log.Warning(Component, $"{_client.Counters.Dropped} malformed or unexpected netlink message(s) dropped so far");
            return report.Errors.Count == 0;
        }
        catch (NetlinkException e)
        {
            // A broken socket is reopened next time; the view is dropped with it.
            _log.Error(Component, e.Message);
            LastOutcome = "failed";
            LastError = e.Message;
            _applier = null;
            _client?.Dispose();
            _client = null;
            _applies = 0;
            return false;
        }
    }

    public void Dispose() => _client?.Dispose();
}
