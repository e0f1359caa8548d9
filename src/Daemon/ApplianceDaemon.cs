using System.Text;
using Appliance.Config;
using Appliance.Logging;

namespace Appliance.Daemon;

/// <summary>SIGTERM/SIGINT (or an operator command): stop in order and exit 0.</summary>
public sealed record StopRequested(string Reason) : LoopEvent;

/// <summary>SIGHUP: read the configuration file again.</summary>
public sealed record ReloadRequested(string Reason) : LoopEvent;

/// <summary>A reload's file read and validation finished (off the loop); the loop applies or rejects it.</summary>
public sealed record ConfigReloaded(string Path, ConfigLoadResult Result) : LoopEvent;

/// <summary>
/// The composition root's state owner: holds the last good configuration, applies reloads, and
/// stops on request. Later subsystems (VRRP, IPVS, peer link) are built here from the validated
/// configuration and receive their events through <see cref="Handle"/>.
/// </summary>
public sealed class ApplianceDaemon : ILoopHandler
{
    public const string Component = "daemon";

    private readonly string _path;
    private readonly Func<string, ConfigLoadResult> _load;
    private readonly EventLoop _loop;
    private readonly Logger _log;
    private readonly LogLevel? _levelOverride;
    private readonly IReadOnlyList<IDaemonPart> _parts;
    private bool _reloadInFlight, _reloadPending;

    /// <param name="path">The configuration file (<see cref="ConfigLoader.DefaultPath"/> unless --config).</param>
    /// <param name="load">Reads and validates a file: <see cref="ConfigLoader.Load"/>.</param>
    /// <param name="loop">The loop this daemon's events run on (it posts reload results back to it).</param>
    /// <param name="log">The daemon's logger; its level follows the configuration unless overridden.</param>
    /// <param name="levelOverride">--log-level; null lets the file's log_level decide.</param>
    /// <param name="parts">Subsystems told of every configuration that becomes current and of every other event.</param>
    public ApplianceDaemon(string path, Func<string, ConfigLoadResult> load, EventLoop loop, Logger log, LogLevel? levelOverride, IReadOnlyList<IDaemonPart>? parts = null)
    {
        _parts = parts ?? [];
        _path = path;
        _load = load;
        _loop = loop;
        _log = log;
        _levelOverride = levelOverride;
    }

    /// <summary>The configuration in force: the last one that was valid.</summary>
    public ApplianceConfig? Config { get; private set; }

    public int Reloads { get; private set; }
    public int RejectedReloads { get; private set; }

    /// <summary>Why the last rejected reload was refused (first error), null if none was.</summary>
    public string? LastRejection { get; private set; }

    /// <summary>Loads the configuration at start-up. False (errors logged) when the daemon must not start.</summary>
    public StartResult Start()
    {
        var result = _load(_path);
        if (result.Config is null)
        {
            foreach (var e in result.Errors) _log.Error(Component, e.ToString());
            _log.Error(Component, result.Unreadable
                ? $"refusing to start: cannot read the configuration {_path}"
                : $"refusing to start: {Count(result.Errors.Count)} in {_path}");
            return result.Unreadable ? StartResult.Unreadable : StartResult.Invalid;
        }
        Apply(result.Config, () =>
        {
            _log.Info(Component, $"loaded configuration from {_path}");
            LogSummary(result.Config);
            LogWarnings(result);
        });
        return StartResult.Started;
    }

    /// <summary>The configuration the daemon started with: what VRRP, the arbiter and the watchdog run on.</summary>
    private ApplianceConfig? _startedWith;

    public void Handle(LoopEvent e, TimeSpan now)
    {
        switch (e)
        {
            case StopRequested stop:
                _log.Notice(Component, $"{stop.Reason}: stopping");
                foreach (var part in _parts) part.OnStop();
                _loop.Stop();
                break;
            case ReloadRequested reload:
                _log.Notice(Component, $"{reload.Reason}: reloading configuration from {_path}");
                if (_reloadInFlight) _reloadPending = true; // read again once the running read ends
                else StartReload();
                break;
            case ConfigReloaded done:
                _reloadInFlight = false;
                Finish(done);
                if (_reloadPending)
                {
                    _reloadPending = false;
                    StartReload();
                }
                break;
            default:
                foreach (var part in _parts) part.Handle(e, now);
                break;
        }
    }

    private void StartReload()
    {
        _reloadInFlight = true;
        // The boot partition may be slow (SD card): read and validate off the loop, apply on it.
        _ = Task.Run(() =>
        {
            ConfigLoadResult result;
            try
            {
                result = _load(_path);
            }
            catch (Exception ex)
            {
                result = new ConfigLoadResult(null, [new ConfigError(_path, 0, $"reading the configuration failed: {ex.Message}")], true);
            }
            _loop.Post(new ConfigReloaded(_path, result));
        });
    }

    private void Finish(ConfigReloaded done)
    {
        if (done.Result.Config is null)
        {
            RejectedReloads++;
            LastRejection = done.Result.Errors.Count > 0 ? done.Result.Errors[0].ToString() : $"cannot read {done.Path}";
            foreach (var error in done.Result.Errors) _log.Error(Component, error.ToString());
            _log.Error(Component, $"reload rejected: {(done.Result.Unreadable ? "cannot read" : Count(done.Result.Errors.Count) + " in")} {done.Path}; keeping the previous configuration");
            return;
        }
        Reloads++;
        RestartNeededFor = RestartOnlyChanges.Between(_startedWith!, done.Result.Config);
        Apply(done.Result.Config, () =>
        {
            _log.Info(Component, $"reloaded configuration from {done.Path}");
            LogSummary(done.Result.Config);
            LogWarnings(done.Result);
            if (RestartNeededFor.Count > 0)
                _log.Warning(Component, $"not applied until the daemon restarts (the running values stay): {string.Join("; ", RestartNeededFor)}");
        });
    }

    /// <summary>Sections and keys of the current file that differ from what the daemon started with and only a restart applies (<see cref="RestartOnlyChanges"/>).</summary>
    public IReadOnlyList<string> RestartNeededFor { get; private set; } = [];

    /// <summary>
    /// Makes <paramref name="config"/> current. The announcement is logged before the file's
    /// log_level takes effect: "loaded configuration from PATH" is what the lab and operators
    /// wait for, even when the file asks for warnings only from then on.
    /// </summary>
    private void Apply(ApplianceConfig config, Action announce)
    {
        _startedWith ??= config;
        Config = config;
        // Secrets print as "(secret)"; scrubbing their text too catches one pasted into a wrong key.
        foreach (var secret in Secrets(config))
            _log.AddRedaction(Encoding.UTF8.GetString(secret.Reveal()));
        announce();
        _log.Minimum = _levelOverride ?? config.Global.LogLevel;
        var now = _loop.Clock.Now;
        foreach (var part in _parts) part.OnConfiguration(config, now);
    }

    private static IEnumerable<Secret> Secrets(ApplianceConfig c)
    {
        if (c.SerialHeartbeat.Key is { } key) yield return key;
        if (c.Console.PasswordHash is { } hash) yield return hash;
        foreach (var vi in c.VrrpInstances)
            if (vi.Authentication is { } auth) yield return auth.Password;
    }

    private void LogSummary(ApplianceConfig config)
    {
        foreach (var line in config.Describe().Split('\n', StringSplitOptions.RemoveEmptyEntries))
            _log.Info(Component, line);
    }

    private void LogWarnings(ConfigLoadResult result)
    {
        foreach (var warning in result.Warnings ?? []) _log.Warning(Component, warning.ToString());
    }

    private static string Count(int errors) => errors == 1 ? "1 error" : $"{errors} errors";
}

/// <summary>How start-up went; <see cref="Cli.RunVerb"/> turns it into the exit code.</summary>
public enum StartResult
{
    Started,
    Invalid,
    Unreadable,
}
