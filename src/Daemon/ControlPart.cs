using Appliance.Config;
using Appliance.Control;
using Appliance.Health;
using Appliance.Sync;
using Appliance.Vrrp;

namespace Appliance.Daemon;

/// <summary>An operator's request from the control socket, answered on the loop.</summary>
public sealed record ControlRequested(ControlTopic Topic, TaskCompletionSource<ControlReply> Reply) : LoopEvent;

/// <summary>
/// Answers the control socket (<see cref="ControlServer"/>) from the daemon's own state. The server's
/// I/O tasks post a <see cref="ControlRequested"/>; here, on the loop thread, each part's state is
/// read where it is owned. State owned by another loop is asked of that loop through its own queue
/// (the health checker's <see cref="HealthMonitor.QueryAsync"/>, the VRRP thread's
/// <see cref="VrrpService.QueryAsync"/>) and the kernel's sync state is read off the loop; the
/// reply is formatted from immutable snapshots once they are all in, never on the loop.
/// </summary>
public sealed class ControlPart(EventLoop loop, IpvsPart ipvs, DirectorStatePart director, WatchdogPart watchdog, SyncShell sync) : IDaemonPart
{
    /// <summary>How long one subsystem may take to answer before the status says so instead of waiting.</summary>
    public static readonly TimeSpan PartTimeout = TimeSpan.FromSeconds(2);

    private readonly List<IStatusContributor> _contributors = [];
    private ApplianceConfig? _config;
    private TimeSpan? _started;
    private ApplianceDaemon? _daemon;
    private VrrpHost? _vrrp;
    private ControlServer? _server;

    /// <summary>Registers a section of <c>appliance status</c> (arbiter, peer link). Before the loop runs.</summary>
    public void Add(IStatusContributor contributor) => _contributors.Add(contributor);

    /// <summary>What the composition root builds after the parts: the daemon (reload counts), VRRP (own thread), the socket (counters). Before the loop runs.</summary>
    public void Attach(ApplianceDaemon daemon, VrrpHost? vrrp, ControlServer? server)
    {
        _daemon = daemon;
        _vrrp = vrrp;
        _server = server;
    }

    /// <summary>The control server's <c>answer</c>: posts the request into the loop; any thread.</summary>
    public Task<ControlReply> Ask(ControlTopic topic)
    {
        if (loop.IsStopping) return Task.FromResult(ControlReply.Failure("the daemon is stopping"));
        var reply = new TaskCompletionSource<ControlReply>(TaskCreationOptions.RunContinuationsAsynchronously);
        if (!loop.Post(new ControlRequested(topic, reply))) return Task.FromResult(ControlReply.Failure("the daemon is stopping"));
        return reply.Task;
    }

    public void OnConfiguration(ApplianceConfig config, TimeSpan now)
    {
        _config = config;
        _started ??= now;
    }

    public void Handle(LoopEvent e, TimeSpan now)
    {
        if (e is not ControlRequested request) return;
        Task<ControlReply> answer;
        try
        {
            // Everything loop-owned is read here, synchronously; the async methods only await other owners.
            answer = request.Topic switch
            {
                ControlTopic.Status => StatusAsync(CaptureStatus(now)),
                ControlTopic.Health => HealthAsync(ipvs.QueryHealth()),
                ControlTopic.Sync => SyncAsync(director.Sync, director.Role, director.SyncRetryPending),
                ControlTopic.Vrrp => VrrpAsync(now),
                _ => Task.FromResult(ControlReply.Failure($"unhandled request {request.Topic}")),
            };
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            answer = Task.FromResult(ControlReply.Failure($"answering '{ControlProtocol.Word(request.Topic)}' failed: {ex.Message}"));
        }
        answer.ContinueWith(t => request.Reply.TrySetResult(t.IsCompletedSuccessfully ? t.Result
            : ControlReply.Failure($"answering '{ControlProtocol.Word(request.Topic)}' failed: {t.Exception?.InnerException?.Message ?? "cancelled"}")),
            CancellationToken.None, TaskContinuationOptions.None, TaskScheduler.Default);
    }

    public void OnStop() { }

    /// <summary>The loop-owned half of the status, plus the pending answers of the other owners.</summary>
    private sealed record Capture(string Node, int NodeId, DirectorRole Role, TimeSpan Now, TimeSpan Uptime, Task<VrrpView> Vrrp,
        IReadOnlyList<StatusSection> Sections, IpvsPartStatus Ipvs, Task<HealthView> Health, Task<SyncView> Sync,
        WatchdogPartStatus Watchdog, ConfigStatus Config, string Control);

    private Capture CaptureStatus(TimeSpan now)
    {
        var sections = new List<StatusSection>();
        foreach (var c in _contributors)
        {
            try { sections.Add(new StatusSection(c.Section, c.StatusLines(now))); }
            catch (Exception ex) when (ex is not OutOfMemoryException) { sections.Add(new StatusSection(c.Section, [$"unavailable: {ex.Message}"])); }
        }
        var config = new ConfigStatus(_config?.SourceFile ?? "(none)", _daemon?.Reloads ?? 0, _daemon?.RejectedReloads ?? 0, _daemon?.LastRejection, _daemon?.RestartNeededFor);
        return new Capture(_config?.Global.NodeName ?? "director", _config?.Global.NodeId ?? 0, director.Role, now, now - (_started ?? now),
            QueryVrrp(), sections, ipvs.Status(), QueryHealth(ipvs.QueryHealth()), ReadSync(director.Sync, director.Role, director.SyncRetryPending),
            watchdog.Status(now), config, _server?.Counters.ToString() ?? "not serving");
    }

    private static async Task<ControlReply> StatusAsync(Capture c)
    {
        var status = new DirectorStatus(c.Node, c.NodeId, c.Role, c.Now, c.Uptime, await c.Vrrp.ConfigureAwait(false), c.Sections, c.Ipvs,
            await c.Health.ConfigureAwait(false), await c.Sync.ConfigureAwait(false), c.Watchdog, c.Config, c.Control);
        return ControlReply.Success(StatusFormatter.Status(status));
    }

    private static async Task<ControlReply> HealthAsync(Task<HealthReport>? query)
    {
        var view = await QueryHealth(query).ConfigureAwait(false);
        return view.Report is { } report ? ControlReply.Success(HealthReportFormatter.Format(report)) : ControlReply.Failure(view.Problem!);
    }

    private async Task<ControlReply> SyncAsync(SyncConfiguration? config, DirectorRole role, bool retry) =>
        ControlReply.Success(StatusFormatter.Sync(await ReadSync(config, role, retry).ConfigureAwait(false)));

    private async Task<ControlReply> VrrpAsync(TimeSpan now) =>
        ControlReply.Success(StatusFormatter.Vrrp(await QueryVrrp().ConfigureAwait(false), now));

    private static async Task<HealthView> QueryHealth(Task<HealthReport>? query)
    {
        if (query is null) return new HealthView(null, "the health checker has not started");
        try { return new HealthView(await query.WaitAsync(PartTimeout).ConfigureAwait(false), null); }
        catch (TimeoutException) { return new HealthView(null, $"the health checker did not answer within {PartTimeout.TotalSeconds:0} s"); }
        catch (InvalidOperationException e) { return new HealthView(null, e.Message); }
    }

    private Task<VrrpView> QueryVrrp()
    {
        if (_config is { VrrpInstances.Count: 0 }) return Task.FromResult(new VrrpView(null, "no vrrp_instance configured"));
        if (_vrrp?.Service is not { } service)
            return Task.FromResult(new VrrpView(null, _vrrp?.StartError is { } error ? $"not started: {error} (retried every second)" : "not started yet"));
        return Ask(service);

        static async Task<VrrpView> Ask(VrrpService service)
        {
            try { return new VrrpView(await service.QueryAsync().WaitAsync(PartTimeout).ConfigureAwait(false), null); }
            catch (TimeoutException) { return new VrrpView(null, $"the VRRP thread did not answer within {PartTimeout.TotalSeconds:0} s"); }
            catch (InvalidOperationException e) { return new VrrpView(null, e.Message); }
        }
    }

    /// <summary>The kernel's side (netlink, /proc, sysctls) is read on the thread pool: the loop never waits on it.</summary>
    private Task<SyncView> ReadSync(SyncConfiguration? config, DirectorRole role, bool retry)
    {
        if (config is null) return Task.FromResult(new SyncView(false, role, retry, null));
        return Task.Run(() => new SyncView(true, role, retry, sync.Status(config)));
    }
}
