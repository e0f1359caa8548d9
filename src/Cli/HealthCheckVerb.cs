using Appliance.Config;
using Appliance.Core;
using Appliance.Health;
using Appliance.Health.Checkers;
using Appliance.Health.Engine;
using Appliance.Logging;

namespace Appliance.Cli;

/// <summary>
/// <c>appliance health check</c>: runs the configured checks of every real server from this
/// process and prints the operator's table. The running daemon's own view (<c>appliance health</c>)
/// needs the control socket and is not here yet.
/// </summary>
public sealed class HealthCheckVerb : IVerb
{
    public const int SomeDown = 3;

    public string Name => "health check";
    public string Summary => "check every configured real server now and print their health";
    public string Usage =>
        $"appliance health check [--config PATH] [--once | --duration SECONDS]\n" +
        $"  --config PATH   configuration file (default {ConfigLoader.DefaultPath})\n" +
        "  --once          one probe per real server, nothing counts as up until it answered (alpha); the default\n" +
        "  --duration S    run the full hysteresis (retry, delay_before_retry, rise) for S seconds, printing the table every delay_loop\n" +
        "exit 0 every real server up, 3 some down, 1 configuration invalid, 2 unreadable";

    public int Run(IReadOnlyList<string> args, VerbContext context)
    {
        var path = ConfigLoader.DefaultPath;
        double? duration = null;
        for (var i = 0; i < args.Count; i++)
        {
            switch (args[i])
            {
                case "--config" when i + 1 < args.Count: path = args[++i]; break;
                case "--once": duration = null; break;
                case "--duration" when i + 1 < args.Count && double.TryParse(args[i + 1], System.Globalization.CultureInfo.InvariantCulture, out var d) && d > 0:
                    duration = d; i++; break;
                default:
                    context.Error.WriteLine($"appliance health check: unexpected '{args[i]}'\nusage: {Usage}");
                    return CommandLine.UsageError;
            }
        }
        var loaded = ConfigLoader.Load(path);
        if (loaded.Config is null)
        {
            foreach (var e in loaded.Errors) context.Error.WriteLine(e);
            return loaded.Unreadable ? CheckConfigVerb.Unreadable : CheckConfigVerb.Invalid;
        }
        var model = HealthConfigMapping.FromConfig(loaded.Config);
        var report = duration is { } seconds
            ? RunFor(model, TimeSpan.FromSeconds(seconds), context).GetAwaiter().GetResult()
            : Once(model).GetAwaiter().GetResult();
        context.Out.Write(HealthReportFormatter.Format(report));
        return report.Servers.All(s => s.Up) ? 0 : SomeDown;
    }

    /// <summary>
    /// One probe per real server, all concurrently (at most 256 at a time), through the same core
    /// with alpha forced: a server is reported up only if its own probe succeeded just now.
    /// </summary>
    internal static async Task<HealthReport> Once(HealthModel model)
    {
        var clock = new MonotonicClock();
        var core = new HealthCore(0);
        var alpha = new HealthModel(model.VirtualServers.Select(v => v with
        {
            Alpha = true,
            RealServers = v.RealServers.Select(r => r.Check is null ? r : r with { Check = r.Check with { Warmup = TimeSpan.Zero } }).ToList(),
        }).ToList());
        core.Load(alpha, clock.Now);
        using var gate = new SemaphoreSlim(256);
        using var runner = new ProbeRunner();
        var probes = core.Snapshot().Where(s => core.SettingsOf(s.Key) is not null).Select(async s =>
        {
            await gate.WaitAsync().ConfigureAwait(false);
            var settings = core.SettingsOf(s.Key)!;
            try
            {
                var result = NativeProbe.Supports(settings)
                    ? await runner.CheckAsync(settings).ConfigureAwait(false)
                    : await CheckerFactory.Create(settings).CheckAsync(CancellationToken.None).ConfigureAwait(false);
                return (s.Key, Result: result);
            }
            finally { gate.Release(); }
        }).ToList();
        foreach (var (key, result) in await Task.WhenAll(probes).ConfigureAwait(false))
            core.OnResult(key, result, clock.Now);
        return new HealthReport(clock.Now, core.Snapshot(), core.Desired());
    }

    private static async Task<HealthReport> RunFor(HealthModel model, TimeSpan duration, VerbContext context)
    {
        var clock = new MonotonicClock();
        var monitor = new HealthMonitor(new HealthCore((ulong)Environment.ProcessId), clock, new TextLog(context.Error));
        using var stop = new CancellationTokenSource();
        var run = monitor.RunAsync(model, stop.Token);
        // A loop, not Select into TimeSpan: LINQ over value types costs NativeAOT megabytes (docs/benchmarks.md, Binary size).
        var every = TimeSpan.MaxValue;
        bool any = false;
        foreach (var v in model.VirtualServers)
            foreach (var r in v.RealServers)
            {
                any = true;
                var d = r.Check?.DelayLoop ?? TimeSpan.MaxValue;
                if (d < every) every = d;
            }
        if (!any) every = TimeSpan.FromSeconds(1);
        if (every < TimeSpan.FromSeconds(1) || every == TimeSpan.MaxValue) every = TimeSpan.FromSeconds(1);
        var end = clock.Now + duration;
        HealthReport report;
        while (true)
        {
            var left = end - clock.Now;
            await Task.Delay(left < every ? (left > TimeSpan.Zero ? left : TimeSpan.Zero) : every).ConfigureAwait(false);
            report = await monitor.QueryAsync().ConfigureAwait(false);
            if (clock.Now >= end) break;
            context.Out.Write(HealthReportFormatter.Format(report));
            context.Out.WriteLine();
        }
        stop.Cancel();
        await run.ConfigureAwait(false);
        return report;
    }

    /// <summary>State changes go to stderr while the table goes to stdout.</summary>
    internal sealed class TextLog(TextWriter writer) : ILog
    {
        public bool IsEnabled(LogLevel level) => level <= LogLevel.Notice;
        public void Write(LogLevel level, string component, string message)
        {
            if (IsEnabled(level)) writer.WriteLine($"{component}: {message}");
        }
    }
}
