using System.Diagnostics;
using System.Globalization;
using System.Net;
using Appliance.Core;
using Appliance.Health;
using Appliance.Logging;

namespace Appliance.Cli;

/// <summary>
/// <c>appliance health bench</c>: the health checker alone against N real servers that someone
/// else serves (tests/Appliance.Tests/Health/bench/health-bench.sh starts them), reporting
/// whether every check started on time, CPU of one core and peak RSS. Not part of <c>make test</c>.
/// </summary>
public sealed class HealthBenchVerb : IVerb
{
    public string Name => "health bench";
    public string Summary => "benchmark the health checker against N local real servers (see docs/benchmarks.md)";
    public string Usage =>
        "appliance health bench --servers N --from ADDRESS --port PORT [--kind http|tcp] [--delay-loop S] [--connect-timeout S] [--warm S] [--seconds S]\n" +
        "  real servers are ADDRESS, ADDRESS+1, ... (host octets .0 and .255 skipped), all on PORT; defaults: http, 1, 3, 3, 30";

    public int Run(IReadOnlyList<string> args, VerbContext context)
    {
        int servers = 0, port = 0;
        IPAddress? from = null;
        var kind = CheckKind.Http;
        double delayLoop = 1, timeout = 3, warm = 3, seconds = 30;
        for (var i = 0; i + 1 < args.Count || (i < args.Count && Fail()); i += 2)
        {
            var v = args[i + 1];
            var ok = args[i] switch
            {
                "--servers" => int.TryParse(v, out servers) && servers > 0,
                "--port" => int.TryParse(v, out port) && port is > 0 and < 65536,
                "--from" => IPAddress.TryParse(v, out from),
                "--kind" => v is "http" or "tcp" && (kind = v == "http" ? CheckKind.Http : CheckKind.Tcp) == kind,
                "--delay-loop" => Seconds(v, out delayLoop),
                "--connect-timeout" => Seconds(v, out timeout),
                "--warm" => Seconds(v, out warm),
                "--seconds" => Seconds(v, out seconds),
                _ => false,
            };
            if (!ok) return Usage_($"bad option '{args[i]} {v}'");
        }
        if (servers == 0 || from is null || port == 0) return Usage_("--servers, --from and --port are required");
        return Bench(servers, from, port, kind, TimeSpan.FromSeconds(delayLoop), TimeSpan.FromSeconds(timeout),
            TimeSpan.FromSeconds(warm), TimeSpan.FromSeconds(seconds), context).GetAwaiter().GetResult();

        bool Fail() => throw new ArgumentException("option without value");
        int Usage_(string why)
        {
            context.Error.WriteLine($"appliance health bench: {why}\nusage: {Usage}");
            return CommandLine.UsageError;
        }
        static bool Seconds(string s, out double v) => double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out v) && v > 0;
    }

    internal static IEnumerable<IPAddress> Addresses(IPAddress first)
    {
        var a = (uint)IPAddress.NetworkToHostOrder(BitConverter.ToInt32(first.GetAddressBytes()));
        for (; ; a++)
        {
            if ((a & 0xff) is 0 or 255) continue;
            yield return new IPAddress(BitConverter.GetBytes(IPAddress.HostToNetworkOrder((int)a)));
        }
    }

    private static async Task<int> Bench(int count, IPAddress from, int port, CheckKind kind, TimeSpan delayLoop, TimeSpan timeout,
        TimeSpan warm, TimeSpan seconds, VerbContext context)
    {
        var vs = VirtualServerKey.Tcp(IPEndPoint.Parse("192.0.2.100:80"));
        var real = Addresses(from).Take(count).Select(a => new IPEndPoint(a, port)).Select(ep => new RealServerSpec
        {
            Address = ep,
            Check = new CheckSettings
            {
                Kind = kind, Target = ep, DelayLoop = delayLoop, ConnectTimeout = timeout, Retry = 1,
                DelayBeforeRetry = delayLoop, Warmup = delayLoop,
                Http = kind == CheckKind.Http ? new HttpCheckSettings { Path = "/health" } : null,
            },
        }).ToList();
        var model = new HealthModel([new VirtualServerSpec { Key = vs, RealServers = real }]);
        var log = new CountingLog();
        var clock = new MonotonicClock();
        var monitor = new HealthMonitor(new HealthCore(1), clock, log);
        using var stop = new CancellationTokenSource();
        var run = monitor.RunAsync(model, stop.Token);

        await Task.Delay(warm).ConfigureAwait(false);
        await monitor.ResetStatsAsync().ConfigureAwait(false);
        var self = Process.GetCurrentProcess();
        self.Refresh();
        var cpu0 = self.TotalProcessorTime;
        var user0 = self.UserProcessorTime;
        var t0 = clock.Now;
        var started0 = monitor.ChecksStarted;
        var completed0 = monitor.ChecksCompleted;
        var downs0 = log.Downs;
        await Task.Delay(seconds).ConfigureAwait(false);
        var report = await monitor.QueryAsync().ConfigureAwait(false);
        self.Refresh();
        var cpu = self.TotalProcessorTime - cpu0;
        var user = self.UserProcessorTime - user0;
        var elapsed = clock.Now - t0;
        var lateness = monitor.Lateness;
        var started = monitor.ChecksStarted - started0;
        var completed = monitor.ChecksCompleted - completed0;
        var failures = report.Servers.Sum(s => s.Failures);
        var down = report.Servers.Count(s => !s.Up);
        stop.Cancel();
        await run.ConfigureAwait(false);

        var inv = CultureInfo.InvariantCulture;
        string Ms(TimeSpan t) => t.TotalMilliseconds.ToString("0.0", inv);
        context.Out.WriteLine($"health bench: {count} real servers ({kind}, {from}.. port {port}), delay_loop {delayLoop.TotalSeconds.ToString(inv)} s, connect_timeout {timeout.TotalSeconds.ToString(inv)} s, measured {elapsed.TotalSeconds.ToString("0.0", inv)} s after {warm.TotalSeconds.ToString(inv)} s warm-up");
        context.Out.WriteLine($"checks started {started} ({(started / elapsed.TotalSeconds).ToString("0", inv)}/s, due {(count / delayLoop.TotalSeconds).ToString("0", inv)}/s), completed {completed}, failed checks (whole run) {failures}, servers down at end {down}, wrongly removed during measurement {log.Downs - downs0}");
        context.Out.WriteLine($"lateness of check starts (ms): p50 {Ms(lateness.Quantile(0.5))} p90 {Ms(lateness.Quantile(0.9))} p99 {Ms(lateness.Quantile(0.99))} p99.9 {Ms(lateness.Quantile(0.999))} max {Ms(lateness.Max)}; later than 100 ms: {lateness.CountOver(TimeSpan.FromMilliseconds(100))}, later than 1 s: {lateness.CountOver(TimeSpan.FromSeconds(1))}");
        context.Out.WriteLine($"cpu {cpu.TotalSeconds.ToString("0.00", inv)} s over {elapsed.TotalSeconds.ToString("0.0", inv)} s = {(100 * cpu / elapsed).ToString("0.0", inv)}% of one core (user {user.TotalSeconds.ToString("0.00", inv)} s, system {(cpu - user).TotalSeconds.ToString("0.00", inv)} s; {(cpu.TotalMicroseconds / Math.Max(1, completed)).ToString("0.0", inv)} µs per check); peak RSS {(PeakRssKb() / 1024.0).ToString("0.0", inv)} MB; peak checks in flight {monitor.PeakInFlight}");
        return 0;
    }

    /// <summary>VmHWM: the process's peak resident set, from the kernel.</summary>
    internal static long PeakRssKb()
    {
        foreach (var line in File.ReadLines("/proc/self/status"))
            if (line.StartsWith("VmHWM:", StringComparison.Ordinal))
                return long.Parse(line.AsSpan(6).Trim().TrimEnd("kB").Trim(), CultureInfo.InvariantCulture);
        return -1;
    }

    private sealed class CountingLog : ILog
    {
        private long _downs;
        public long Downs => Interlocked.Read(ref _downs);
        public bool IsEnabled(LogLevel level) => level <= LogLevel.Warning;
        public void Write(LogLevel level, string component, string message)
        {
            if (message.Contains(" is DOWN", StringComparison.Ordinal)) Interlocked.Increment(ref _downs);
        }
    }
}
