using Appliance.Config;
using Appliance.Daemon;
using Appliance.Logging;
using Appliance.Tests.Logging;
using Xunit;

namespace Appliance.Tests.Daemon;

/// <summary>The daemon in process: real configuration files, the real loader, a fake clock, a recording log.</summary>
public class ApplianceDaemonTests : IDisposable
{
    private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("appliance-daemon-");
    private readonly string _path;
    private readonly RecordingSink _sink = new();
    private readonly Logger _log;
    private readonly EventLoop _loop;

    public ApplianceDaemonTests()
    {
        _path = Path.Combine(_dir.FullName, "appliance.ini");
        File.Copy(Repo.FactoryIni, _path);
        _log = new Logger(_sink, LogLevel.Debug, TimeProvider.System);
        _loop = new EventLoop(new FakeClock(), _log);
    }

    public void Dispose() => _dir.Delete(recursive: true);

    private ApplianceDaemon NewDaemon(LogLevel? levelOverride = null) => new(_path, ConfigLoader.Load, _loop, _log, levelOverride);

    private List<string> Lines(LogLevel? level = null) =>
        _sink.Records.Where(r => level is null || r.Level == level).Select(r => r.Message).ToList();

    private static string Factory => File.ReadAllText(Repo.FactoryIni);

    /// <summary>Turns the loop until the condition holds (the reload reads the file on another thread).</summary>
    private void TurnUntil(ApplianceDaemon daemon, Func<bool> condition, string what) =>
        Eventually.True(() => { _loop.RunPending(daemon); return condition(); }, what);

    [Fact]
    public void Start_logs_the_exact_line_the_lab_waits_for_and_the_summary()
    {
        var daemon = NewDaemon();
        Assert.Equal(StartResult.Started, daemon.Start());

        Assert.Contains(_sink.Records, r => r.Level == LogLevel.Info && r.Message == $"loaded configuration from {_path}");
        Assert.Contains(Lines(LogLevel.Info), l => l.StartsWith("vrrp_instance VI_1: VRRPv3 IPv4, vrid 51", StringComparison.Ordinal));
        Assert.Equal(150, daemon.Config!.VrrpInstances[0].Priority);
        Assert.Equal(LogLevel.Info, _log.Minimum); // the file's log_level
    }

    [Fact]
    public void Warnings_of_a_valid_file_are_logged_without_the_secret()
    {
        Assert.Equal(StartResult.Started, NewDaemon().Start());
        var warning = Assert.Single(Lines(LogLevel.Warning));
        Assert.StartsWith($"{_path}:", warning);
        Assert.Contains("factory default key", warning);
        Assert.DoesNotContain("factory-key-change-me", warning);
    }

    [Fact]
    public void An_invalid_file_refuses_start_and_logs_every_error()
    {
        File.WriteAllText(_path, Factory.Replace("priority = 150", "priority = 300").Replace("virtual_router_id = 51", "virtual_router_id = 0"));
        var daemon = NewDaemon();

        Assert.Equal(StartResult.Invalid, daemon.Start());

        var errors = Lines(LogLevel.Error);
        Assert.Contains(errors, e => e.StartsWith($"{_path}:", StringComparison.Ordinal) && e.Contains("priority"));
        Assert.Contains(errors, e => e.StartsWith($"{_path}:", StringComparison.Ordinal) && e.Contains("virtual_router_id"));
        Assert.Equal($"refusing to start: 2 errors in {_path}", errors[^1]);
        Assert.Null(daemon.Config);
    }

    [Fact]
    public void A_missing_file_is_unreadable()
    {
        File.Delete(_path);
        Assert.Equal(StartResult.Unreadable, NewDaemon().Start());
        Assert.Equal($"refusing to start: cannot read the configuration {_path}", Lines(LogLevel.Error)[^1]);
    }

    [Fact]
    public void A_bad_reload_keeps_the_last_good_configuration()
    {
        var daemon = NewDaemon();
        daemon.Start();
        var before = daemon.Config;
        File.WriteAllText(_path, Factory.Replace("priority = 150", "priority = 0"));

        _loop.Post(new ReloadRequested("SIGHUP"));
        TurnUntil(daemon, () => daemon.RejectedReloads == 1, "the bad reload to be rejected");

        Assert.Same(before, daemon.Config);
        var errors = Lines(LogLevel.Error);
        Assert.Contains(errors, e => e.StartsWith($"{_path}:", StringComparison.Ordinal) && e.Contains("priority"));
        Assert.Equal($"reload rejected: 1 error in {_path}; keeping the previous configuration", errors[^1]);
        Assert.Equal(0, daemon.Reloads);
    }

    [Fact]
    public void A_good_reload_replaces_the_configuration_and_its_log_level()
    {
        var daemon = NewDaemon();
        daemon.Start();
        File.WriteAllText(_path, Factory.Replace("priority = 150", "priority = 120").Replace("log_level = info", "log_level = warning"));

        _loop.Post(new ReloadRequested("SIGHUP"));
        TurnUntil(daemon, () => daemon.Reloads == 1, "the reload to be applied");

        Assert.Equal(120, daemon.Config!.VrrpInstances[0].Priority);
        Assert.Equal(LogLevel.Warning, _log.Minimum);
        Assert.Contains($"reloaded configuration from {_path}", Lines(LogLevel.Info));
    }

    [Fact]
    public void A_reload_names_what_only_a_restart_applies_and_forgets_it_when_the_file_goes_back()
    {
        var daemon = NewDaemon();
        daemon.Start();
        File.WriteAllText(_path, Factory.Replace("priority = 150", "priority = 120"));
        _loop.Post(new ReloadRequested("SIGHUP"));
        TurnUntil(daemon, () => daemon.Reloads == 1, "the reload to be applied");
        Assert.Equal(["[vrrp_instance VI_1] priority"], daemon.RestartNeededFor);
        Assert.Contains("not applied until the daemon restarts (the running values stay): [vrrp_instance VI_1] priority", Lines(LogLevel.Warning));

        File.Copy(Repo.FactoryIni, _path, overwrite: true);
        _loop.Post(new ReloadRequested("SIGHUP"));
        TurnUntil(daemon, () => daemon.Reloads == 2, "the second reload to be applied");
        Assert.Empty(daemon.RestartNeededFor); // compared with what the daemon started with, not with the previous reload
    }

    [Fact]
    public void The_boot_line_is_logged_even_when_the_file_asks_for_warnings_only()
    {
        File.WriteAllText(_path, Factory.Replace("log_level = info", "log_level = warning"));
        var daemon = NewDaemon();
        Assert.Equal(StartResult.Started, daemon.Start());
        Assert.Contains($"loaded configuration from {_path}", Lines(LogLevel.Info));
        Assert.Equal(LogLevel.Warning, _log.Minimum);
        _log.Info("test", "suppressed now");
        Assert.DoesNotContain("suppressed now", Lines());
    }

    [Fact]
    public void The_command_line_level_wins_over_the_file()
    {
        var daemon = NewDaemon(levelOverride: LogLevel.Debug);
        daemon.Start();
        Assert.Equal(LogLevel.Debug, _log.Minimum);
    }

    [Fact]
    public void The_heartbeat_key_never_reaches_the_log()
    {
        var daemon = NewDaemon();
        daemon.Start();
        // A reload where the key landed in a key whose value an error message quotes.
        File.WriteAllText(_path, Factory.Replace("node_name = director-a", "node_name = factory-key-change-me-0123456789!"));
        _loop.Post(new ReloadRequested("SIGHUP"));
        TurnUntil(daemon, () => daemon.RejectedReloads == 1, "the bad reload to be rejected");
        _log.Info("test", "the key is factory-key-change-me-0123456789");

        Assert.DoesNotContain(_sink.Records, r => r.Message.Contains("factory-key-change-me-0123456789", StringComparison.Ordinal));
        Assert.Contains(_sink.Records, r => r.Message == "the key is (secret)");
        Assert.Contains(Lines(), l => l.Contains("serial heartbeat") && l.Contains("key set"));
    }

    [Fact]
    public void Reloads_requested_while_one_runs_are_coalesced_into_one_more()
    {
        var daemon = NewDaemon();
        daemon.Start();
        _loop.Post(new ReloadRequested("SIGHUP"));
        _loop.Post(new ReloadRequested("SIGHUP"));
        _loop.Post(new ReloadRequested("SIGHUP"));
        TurnUntil(daemon, () => daemon.Reloads == 2, "two reloads");
        // The loop drains: no third read is started.
        Assert.Equal(2, daemon.Reloads);
        _loop.RunPending(daemon);
        Assert.Equal(2, daemon.Reloads);
    }

    [Fact]
    public void Stop_requested_stops_the_loop()
    {
        var daemon = NewDaemon();
        daemon.Start();
        _loop.Post(new StopRequested("SIGTERM"));
        _loop.RunPending(daemon);
        Assert.True(_loop.IsStopping);
        Assert.Equal("SIGTERM: stopping", Lines(LogLevel.Notice)[^1]);
    }
}
