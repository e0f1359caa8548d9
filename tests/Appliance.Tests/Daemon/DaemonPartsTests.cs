using Appliance.Config;
using Appliance.Daemon;
using Appliance.Logging;
using Appliance.Tests.Logging;
using Xunit;

namespace Appliance.Tests.Daemon;

/// <summary>How the daemon drives its parts: configurations that became current, other events, stop.</summary>
public sealed class DaemonPartsTests : IDisposable
{
    private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("appliance-parts-");
    private readonly string _path;
    private readonly Logger _log = new(new RecordingSink(), LogLevel.Debug, TimeProvider.System);
    private readonly EventLoop _loop;
    private readonly RecordingPart _part = new();

    public DaemonPartsTests()
    {
        _path = Path.Combine(_dir.FullName, "appliance.ini");
        File.Copy(Repo.FactoryIni, _path);
        _loop = new EventLoop(new FakeClock(), _log);
    }

    public void Dispose() => _dir.Delete(recursive: true);

    private sealed record Ping : LoopEvent;

    private sealed class RecordingPart : IDaemonPart
    {
        public List<string> Calls { get; } = [];
        public void OnConfiguration(ApplianceConfig config, TimeSpan now) => Calls.Add($"config prio {config.VrrpInstances[0].Priority}");
        public void Handle(LoopEvent e, TimeSpan now) => Calls.Add($"event {e.GetType().Name}");
        public void OnStop() => Calls.Add("stop");
    }

    [Fact]
    public void Start_and_accepted_reloads_reach_the_parts_a_rejected_reload_does_not()
    {
        var daemon = new ApplianceDaemon(_path, ConfigLoader.Load, _loop, _log, null, [_part]);
        Assert.Equal(StartResult.Started, daemon.Start());
        Assert.Equal(["config prio 150"], _part.Calls);

        File.WriteAllText(_path, File.ReadAllText(Repo.FactoryIni).Replace("priority = 150", "priority = 0"));
        _loop.Post(new ReloadRequested("SIGHUP"));
        Eventually.True(() => { _loop.RunPending(daemon); return daemon.RejectedReloads == 1; }, "the bad reload to be rejected");
        Assert.Equal(["config prio 150"], _part.Calls);

        File.WriteAllText(_path, File.ReadAllText(Repo.FactoryIni).Replace("priority = 150", "priority = 120"));
        _loop.Post(new ReloadRequested("SIGHUP"));
        Eventually.True(() => { _loop.RunPending(daemon); return daemon.Reloads == 1; }, "the reload to be applied");
        Assert.Equal(["config prio 150", "config prio 120"], _part.Calls);
    }

    [Fact]
    public void Other_events_go_to_the_parts_and_stop_reaches_them_before_the_loop_ends()
    {
        var daemon = new ApplianceDaemon(_path, ConfigLoader.Load, _loop, _log, null, [_part]);
        daemon.Start();
        _loop.Post(new Ping());
        _loop.Post(new StopRequested("SIGTERM"));
        _loop.RunPending(daemon);
        Assert.Equal(["config prio 150", "event Ping", "stop"], _part.Calls);
        Assert.True(_loop.IsStopping);
    }
}
