using System.Reflection;
using Appliance.Arbiter;
using Appliance.Config;
using Appliance.Control;
using Appliance.Core;
using Appliance.Daemon;
using Appliance.FrontPanel;
using Appliance.Ipvs;
using Appliance.Sync;
using Appliance.Vrrp;
using Appliance.Watchdog;
using Appliance.Logging;

namespace Appliance.Cli;

/// <summary>
/// <c>appliance run</c>: the daemon. Loads and validates the configuration (refusing to start
/// on any error), then runs the event loop until SIGTERM/SIGINT; SIGHUP reloads.
/// Exit 0 after an orderly stop, 1 invalid configuration, 2 unreadable, 64 bad options.
/// </summary>
public sealed class RunVerb : IVerb
{
    public const int Invalid = 1;
    public const int Unreadable = 2;

    public string Name => "run";
    public string Summary => "run the director daemon (SIGHUP reloads the configuration, SIGTERM stops)";
    public string Usage =>
        $"appliance run [--config PATH] [--log-level LEVEL] [--log-target auto|stderr|kmsg|syslog]\n" +
        $"  --config PATH      configuration file (default {ConfigLoader.DefaultPath})\n" +
        $"  --log-level LEVEL  {LogLevels.Accepted}; overrides the file's log_level\n" +
        "  --log-target T     auto (default): stderr plus /dev/log when a syslogd listens, else /dev/kmsg";

    /// <summary>Options of one invocation.</summary>
    public sealed record Options(string ConfigPath, LogLevel? Level, LogTarget Target);

    /// <summary>Parses the options; null with a message in <paramref name="error"/> when they are wrong.</summary>
    public static Options? Parse(IReadOnlyList<string> args, out string? error)
    {
        string path = ConfigLoader.DefaultPath;
        LogLevel? level = null;
        var target = LogTarget.Auto;
        error = null;
        for (var i = 0; i < args.Count; i++)
        {
            var (name, inline) = args[i].IndexOf('=') is var eq and > 0 && args[i].StartsWith("--", StringComparison.Ordinal)
                ? (args[i][..eq], args[i][(eq + 1)..])
                : (args[i], null);
            string? Value()
            {
                if (inline is not null) return inline;
                if (i + 1 < args.Count) return args[++i];
                return null;
            }
            switch (name)
            {
                case "--config":
                    var p = Value();
                    if (string.IsNullOrEmpty(p)) { error = "--config needs a file path"; return null; }
                    path = p;
                    break;
                case "--log-level":
                    var l = Value();
                    if (!LogLevels.TryParse(l, out var parsed)) { error = $"--log-level '{l}': expected one of {LogLevels.Accepted}"; return null; }
                    level = parsed;
                    break;
                case "--log-target":
                    var t = Value();
                    LogTarget? tt = t switch
                    {
                        "auto" => LogTarget.Auto,
                        "stderr" => LogTarget.Stderr,
                        "kmsg" => LogTarget.Kmsg,
                        "syslog" => LogTarget.Syslog,
                        _ => null,
                    };
                    if (tt is null) { error = $"--log-target '{t}': expected auto, stderr, kmsg or syslog"; return null; }
                    target = tt.Value;
                    break;
                default:
                    error = $"unknown option '{args[i]}'";
                    return null;
            }
        }
        return new Options(path, level, target);
    }

    public int Run(IReadOnlyList<string> args, VerbContext context)
    {
        var options = Parse(args, out var error);
        if (options is null)
        {
            context.Error.WriteLine($"appliance run: {error}\nusage: {Usage}");
            return CommandLine.UsageError;
        }

        var (log, sinks) = Logger.Create(options.Target, options.Level ?? LogLevel.Info, context.Error, TimeProvider.System);
        using (log)
        {
            var version = typeof(RunVerb).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "unknown";
            log.Info(ApplianceDaemon.Component, $"appliance {version} starting, pid {Environment.ProcessId}; {sinks}");

            // The composition root: every subsystem is built here, once, and owned by this frame.
            var loop = new EventLoop(new MonotonicClock(), log);
            // Per-daemon state under /run (IPVS ownership, sync status); two daemons in one box (the lab's two directors) get their own.
            var runDir = Environment.GetEnvironmentVariable("APPLIANCE_RUN_DIR") ?? "/run/appliance";
            using var ipvs = new IpvsPart(loop, loop.Clock, log, new IpvsDaemonHook(log, new IpvsOwnershipStore(Path.Combine(runDir, "ipvs-owned"))));
            var panel = new LedPanel(new SysfsLedDriver(), message => log.Warning("leds", message));
            var director = new DirectorStatePart(loop, log, SyncShell.ForThisNamespace(), panel);
            var gate = new WatchdogGate();
            using var watchdog = new WatchdogPart(loop, log, gate);
            var control = new ControlPart(loop, ipvs, director, watchdog, SyncShell.ForThisNamespace());
            var daemon = new ApplianceDaemon(options.ConfigPath, ConfigLoader.Load, loop, log, options.Level, [ipvs, director, watchdog, control]);
            using var signals = new SignalHandling(loop);
            switch (daemon.Start())
            {
                case StartResult.Invalid: return Invalid;
                case StartResult.Unreadable: return Unreadable;
            }

            // VRRP runs its own loop thread (src/Vrrp/VrrpHost); its state changes are posted into
            // the daemon loop (sync daemons, LEDs). Disposing it after the daemon loop ends is the
            // graceful stop (priority 0, VIPs released).
            var config = daemon.Config!;
            // Every thread the daemon depends on vouches for itself to the watchdog by turning its own loop.
            Action<TimeSpan>? Vouch(string thread) => config.Watchdog.Enabled
                ? gate.Register(thread, WatchdogPart.ProgressBound(config.Watchdog), loop.Clock.Now).Progress
                : null;
            // The split-brain arbiter (serial heartbeat + guard; src/Arbiter) runs before VRRP starts:
            // VRRP takes over only with its permission. Disposed after VRRP: STOPPING goes over the
            // serial link once the VIPs are released; "stopped" is logged when both are done.
            using (var arbiter = ArbiterHost.Start(config, log, loop.Clock, Vouch,
                d => loop.Post(new ArbiterAlarmChanged(d.FrontPanelFault, d.ToString()))))
            // Started after the daemon's first configuration; a NIC not ready yet is retried inside.
            using (var vrrp = VrrpHost.Start(config, log, loop.Clock, change => loop.Post(new VrrpStateChanged(change)),
                config.VrrpInstances.Count > 0 ? Vouch("vrrp") : null, arbiter?.Authority))
            // The operators' view (appliance status, health, sync status): $APPLIANCE_RUN_DIR/control.
            using (var controlSocket = ControlServer.Start(Path.Combine(runDir, "control"), control.Ask, log))
            {
                if (vrrp is not null) director.PreemptionGate = vrrp.TrySetPreemptionGate;
                control.Add(new FailbackGateStatus(director.SyncStatus));
                if (arbiter is not null)
                {
                    control.Add(new ArbiterStatus(() => arbiter.Guard));
                    control.Add(new PeerLinkStatusSection(() => arbiter.PeerLink));
                }
                control.Attach(daemon, vrrp, controlSocket);
                loop.RunAsync(daemon, CancellationToken.None).GetAwaiter().GetResult();
            }
            log.Info(ApplianceDaemon.Component, "stopped");
        }
        return 0;
    }
}
