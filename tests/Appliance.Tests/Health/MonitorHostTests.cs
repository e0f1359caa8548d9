using System.Collections.Concurrent;
using System.Net;
using Appliance.Core;
using Appliance.Health;
using Appliance.Health.Checkers;
using Appliance.Logging;
using Xunit;

namespace Appliance.Tests.Health;

/// <summary>
/// The whole shell (timer queue, checkers, core) on the real clock with short intervals against
/// real loopback servers: state changes after exactly the configured retries and delays.
/// </summary>
[Trait("Category", "Host")]
public class MonitorHostTests
{
    private static readonly IPAddress Ip = Loopback.Address(2, 1);
    private static readonly VirtualServerKey Vs = VirtualServerKey.Tcp(IPEndPoint.Parse("192.0.2.1:80"));
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(20);
    /// <summary>Scheduling slack allowed on a loaded 2-core machine; delays are never shorter than configured.</summary>
    private static readonly TimeSpan Slack = TimeSpan.FromSeconds(1);

    private sealed record Probe(IPEndPoint Target, TimeSpan Start, TimeSpan End, CheckResult Result);

    private sealed class Log : ILog
    {
        public ConcurrentQueue<string> Lines { get; } = new();
        public bool IsEnabled(LogLevel level) => true;
        public void Write(LogLevel level, string component, string message) => Lines.Enqueue($"{level} {component}: {message}");
    }

    /// <summary>Runs a monitor, records every probe (the real checker's result with its start and end on the monotonic clock) and every published table.</summary>
    private sealed class Harness : IAsyncDisposable
    {
        private readonly CancellationTokenSource _stop = new();
        private readonly Task _run;
        public MonotonicClock Clock { get; } = new();
        public ConcurrentQueue<Probe> Probes { get; } = new();
        public ConcurrentQueue<HealthTable> Tables { get; } = new();
        public Log Log { get; } = new();
        public HealthMonitor Monitor { get; }

        public Harness(HealthModel model)
        {
            var options = new HealthMonitorOptions { OnProbeFinished = (key, start, end, result) => Probes.Enqueue(new Probe(key.Address, start, end, result)) };
            Monitor = new HealthMonitor(new HealthCore(42), Clock, Log, options, Tables.Enqueue);
            _run = Monitor.RunAsync(model, _stop.Token);
        }

        public Probe[] ProbesOf(IPEndPoint target) => Probes.Where(p => p.Target.Equals(target)).OrderBy(p => p.Start).ToArray();

        public async Task<RealServerStatus> Status(RealServerKey key) =>
            (await Monitor.QueryAsync()).Servers.Single(s => s.Key == key);

        public Task WaitUntil(RealServerKey key, Func<RealServerStatus, bool> condition, string what)
        {
            RealServerStatus? last = null;
            return Loopback.WaitFor(async () => condition(last = await Status(key)), Bound,
                () => $"{key} should be {what}; last status {last}; probes: {string.Join(" | ", ProbesOf(key.Address).Select(p => p.Result.Reason))}; last log lines:\n{string.Join("\n", Log.Lines.TakeLast(10))}");
        }

        public async ValueTask DisposeAsync()
        {
            _stop.Cancel();
            await _run;
        }
    }

    private static RealServerSpec Server(IPEndPoint at, CheckKind kind, int retry, double delayLoop, double beforeRetry, double timeout = 5, int rise = 1) => new()
    {
        Address = at,
        Check = new CheckSettings
        {
            Kind = kind, Target = at, Retry = retry, Rise = rise, Warmup = TimeSpan.Zero,
            DelayLoop = TimeSpan.FromSeconds(delayLoop), DelayBeforeRetry = TimeSpan.FromSeconds(beforeRetry),
            ConnectTimeout = TimeSpan.FromSeconds(timeout),
            Http = kind is CheckKind.Http or CheckKind.Https ? new HttpCheckSettings { Path = "/health" } : null,
        },
    };

    private static HealthModel Model(params RealServerSpec[] servers) => new([new VirtualServerSpec { Key = Vs, RealServers = servers }]);

    /// <summary>The failed probes that took the server down: each retry started no sooner than delay_before_retry after the previous probe ended.</summary>
    private static void AssertRetriesSpaced(Probe[] failures, TimeSpan delayBeforeRetry)
    {
        for (var i = 1; i < failures.Length; i++)
        {
            var gap = failures[i].Start - failures[i - 1].End;
            Assert.True(gap >= delayBeforeRetry - TimeSpan.FromMilliseconds(2) && gap <= delayBeforeRetry + Slack,
                $"retry {i} started {gap.TotalMilliseconds:0} ms after the previous failure ended; delay_before_retry is {delayBeforeRetry.TotalMilliseconds:0} ms");
        }
    }

    [Fact]
    public async Task Refused_server_leaves_after_exactly_retry_plus_one_failures_and_returns_when_it_listens_again()
    {
        var dead = Loopback.Refusing(Ip);
        await using var healthy = new TestHttpServer(Ip);
        var deadKey = new RealServerKey(Vs, dead);
        await using var h = new Harness(Model(Server(dead, CheckKind.Http, retry: 2, delayLoop: 1, beforeRetry: 0.2),
                                              Server(healthy.Endpoint, CheckKind.Http, retry: 2, delayLoop: 0.2, beforeRetry: 0.2)));

        await h.WaitUntil(deadKey, s => !s.Up, "down");
        var status = await h.Status(deadKey);
        var probes = h.ProbesOf(dead);
        Assert.Equal(3, status.Failures);                       // retry 2 → down at the third failure, not before
        Assert.Equal(3, status.ConsecutiveFailures);
        Assert.All(probes.Take(3), p => Assert.Equal($"connect to {dead} refused", p.Result.Reason));
        AssertRetriesSpaced(probes.Take(3).ToArray(), TimeSpan.FromSeconds(0.2));
        Assert.True(status.Since >= probes[2].End, "marked down before its third failure ended");
        Assert.Equal($"connect to {dead} refused", status.Last?.Reason);
        Assert.False(status.InTable);

        // Nothing else changed: the healthy server was in every table published.
        Assert.All(h.Tables, t => Assert.Contains(t.Services[0].Destinations, d => d.Address.Equals(healthy.Endpoint) && d.Present));

        await using var revived = new TestHttpServer(dead);
        await h.WaitUntil(deadKey, s => s.Up, "up again after its server listens");
        var back = h.ProbesOf(dead);
        var firstSuccess = back.First(p => p.Result.Succeeded);
        // Down: checked at the delay_loop cadence, so recovery comes within one delay_loop of listening.
        var lastFailure = back.Last(p => !p.Result.Succeeded);
        Assert.True(firstSuccess.Start - lastFailure.Start <= TimeSpan.FromSeconds(1) + Slack, "a down server must be rechecked every delay_loop");
        Assert.True((await h.Status(deadKey)).InTable);
    }

    [Fact]
    public async Task Silent_server_times_out_at_connect_timeout_and_leaves_after_retry_plus_one()
    {
        using var silent = new SilentListener(Ip);
        var key = new RealServerKey(Vs, silent.Endpoint);
        await using var h = new Harness(Model(Server(silent.Endpoint, CheckKind.Tcp, retry: 1, delayLoop: 3, beforeRetry: 0.1, timeout: 1)));
        await h.WaitUntil(key, s => !s.Up, "down");
        var probes = h.ProbesOf(silent.Endpoint);
        Assert.Equal(2, (await h.Status(key)).Failures);
        Assert.All(probes.Take(2), p =>
        {
            Assert.Equal($"no answer from {silent.Endpoint} within 1 s (connect_timeout)", p.Result.Reason);
            Assert.True(p.End - p.Start >= TimeSpan.FromMilliseconds(995), $"timed out after {(p.End - p.Start).TotalMilliseconds:0} ms");
        });
        AssertRetriesSpaced(probes.Take(2).ToArray(), TimeSpan.FromSeconds(0.1));
    }

    [Fact]
    public async Task Server_that_accepts_then_hangs_leaves_after_retry_plus_one_timeouts()
    {
        await using var server = new TestHttpServer(Ip) { Mode = Behaviour.Hang };
        var key = new RealServerKey(Vs, server.Endpoint);
        await using var h = new Harness(Model(Server(server.Endpoint, CheckKind.Http, retry: 1, delayLoop: 3, beforeRetry: 0.1, timeout: 1)));
        await h.WaitUntil(key, s => !s.Up, "down");
        Assert.Equal(2, (await h.Status(key)).Failures);
        Assert.All(h.ProbesOf(server.Endpoint).Take(2), p =>
            Assert.Equal($"connected to {server.Endpoint} but no HTTP response within 1 s (connect_timeout)", p.Result.Reason));
    }

    [Fact]
    public async Task Flapping_server_stays_in_while_failures_are_isolated_then_leaves_and_returns_per_retry_and_rise()
    {
        await using var server = new TestHttpServer(Ip) { StatusOf = n => n % 2 == 0 ? 503 : 200 };
        var key = new RealServerKey(Vs, server.Endpoint);
        await using var h = new Harness(Model(Server(server.Endpoint, CheckKind.Http, retry: 1, delayLoop: 0.1, beforeRetry: 0.05, rise: 2)));

        // Every other answer is 503: never two failures in a row, so retry 1 keeps it in.
        await h.WaitUntil(key, s => s.Failures >= 4, "checked through four isolated failures");
        var flapping = await h.Status(key);
        Assert.True(flapping.Up, "an isolated failure must not take the server out when retry is 1");
        Assert.All(h.Tables, t => Assert.True(t.Services[0].Destinations[0].Present));

        server.StatusOf = null;
        server.Status = 503;
        await h.WaitUntil(key, s => !s.Up, "down once failures are consecutive");
        var down = await h.Status(key);
        Assert.Equal(2, down.ConsecutiveFailures);
        Assert.StartsWith($"HTTP 503 from {server.Endpoint} after ", down.Last?.Reason);

        server.Status = 200;
        await h.WaitUntil(key, s => s.Up, "up after rise successes");
        var probes = h.ProbesOf(server.Endpoint);
        var sinceDown = probes.Where(p => p.Start >= down.Since).ToArray();
        // rise 2: exactly two successes in a row after the last failure brought it back.
        var tail = sinceDown.Reverse().TakeWhile(p => p.Result.Succeeded).Count();
        Assert.True(tail >= 2, $"came back after {tail} successes");
        var up = await h.Status(key);
        Assert.True(up.Since >= sinceDown.Where(p => p.Result.Succeeded).Skip(1).First().End, "up before the second success");
    }

    [Fact]
    public async Task A_reload_keeps_health_state_of_servers_that_still_exist()
    {
        var dead = Loopback.Refusing(Ip);
        await using var healthy = new TestHttpServer(Ip);
        var deadKey = new RealServerKey(Vs, dead);
        await using var h = new Harness(Model(Server(dead, CheckKind.Tcp, retry: 0, delayLoop: 5, beforeRetry: 0.1)));
        await h.WaitUntil(deadKey, s => !s.Up, "down");
        var before = await h.Status(deadKey);

        h.Monitor.Reload(Model(Server(dead, CheckKind.Tcp, retry: 0, delayLoop: 5, beforeRetry: 0.1),
                               Server(healthy.Endpoint, CheckKind.Tcp, retry: 0, delayLoop: 5, beforeRetry: 0.1)));
        var healthyKey = new RealServerKey(Vs, healthy.Endpoint);
        await h.WaitUntil(healthyKey, s => s.Checked, "checked after the reload");
        var after = await h.Status(deadKey);
        Assert.False(after.Up);
        Assert.Equal(before.Since, after.Since);
        Assert.Equal(before.Failures, after.Failures);
        Assert.Single(h.ProbesOf(dead)); // its delay_loop schedule stood; no extra probe because of the reload
    }

    [Fact]
    public async Task A_check_its_settings_cannot_describe_fails_with_the_reason_and_the_loop_goes_on()
    {
        await using var good = new TestHttpServer(Ip);
        var broken = Loopback.Refusing(Ip);
        var bad = Server(broken, CheckKind.Http, retry: 0, delayLoop: 0.2, beforeRetry: 0.1);
        bad = bad with { Check = bad.Check! with { Http = new HttpCheckSettings { Path = "no slash" } } };
        await using var h = new Harness(Model(bad, Server(good.Endpoint, CheckKind.Http, retry: 0, delayLoop: 0.2, beforeRetry: 0.1)));
        var badKey = new RealServerKey(Vs, broken);
        await h.WaitUntil(badKey, s => !s.Up, "down because its check cannot run");
        Assert.Contains("path 'no slash' must start with '/'", (await h.Status(badKey)).Last!.Value.Reason);
        var goodKey = new RealServerKey(Vs, good.Endpoint);
        await h.WaitUntil(goodKey, s => s.Successes >= 3, "checked on, unaffected");
    }

    [Fact]
    public async Task In_flight_probes_never_exceed_the_bound_and_waiting_checks_start_late_not_never()
    {
        var servers = new List<TestHttpServer>();
        for (var i = 0; i < 5; i++) servers.Add(new TestHttpServer(Ip) { Mode = Behaviour.Hang });
        try
        {
            var options = new HealthMonitorOptions { MinConcurrentChecks = 2, MaxConcurrentChecks = 2 };
            var monitor = new HealthMonitor(new HealthCore(1), new MonotonicClock(), new Log(), options);
            using var stop = new CancellationTokenSource();
            var run = monitor.RunAsync(Model(servers.Select(s => Server(s.Endpoint, CheckKind.Http, retry: 0, delayLoop: 5, beforeRetry: 0.1, timeout: 0.3)).ToArray()), stop.Token);
            // All five were due at once; two at a time, each 300 ms: all five are judged, in three waves.
            await Loopback.WaitFor(async () => (await monitor.QueryAsync()).Servers.All(s => s.Checked), Bound,
                () => "every server should have been checked despite the bound");
            Assert.Equal(2, monitor.PeakInFlight);
            Assert.True(monitor.Lateness.Max >= TimeSpan.FromMilliseconds(250), $"the third wave should have started late, max lateness {monitor.Lateness.Max}");
            stop.Cancel();
            await run;
        }
        finally
        {
            foreach (var s in servers) await s.DisposeAsync();
        }
    }
}
