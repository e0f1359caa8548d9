using System.Net;
using Appliance.Health;
using Xunit;

namespace Appliance.Tests.Health;

/// <summary>The hysteresis core driven with a fake clock (plain TimeSpan values).</summary>
public class HealthCoreTests
{
    private static readonly VirtualServerKey Vs = VirtualServerKey.Tcp(IPEndPoint.Parse("192.0.2.100:80"));
    private static TimeSpan S(double seconds) => TimeSpan.FromSeconds(seconds);
    private static IPEndPoint Rs(int n) => IPEndPoint.Parse($"10.0.0.{n}:80");
    private static RealServerKey Key(int n) => new(Vs, Rs(n));
    private static readonly CheckResult Ok = CheckResult.Ok("HTTP 200", TimeSpan.FromMilliseconds(2));
    private static readonly CheckResult Bad = CheckResult.Failed("HTTP 503", TimeSpan.FromMilliseconds(2));

    private static CheckSettings Check(int n, int retry = 2, int rise = 1, double warmup = 0) => new()
    {
        Target = Rs(n), DelayLoop = S(10), DelayBeforeRetry = S(3), ConnectTimeout = S(2),
        Retry = retry, Rise = rise, Warmup = S(warmup),
    };

    private static RealServerSpec Server(int n, int weight = 1, bool inhibit = false, int retry = 2, int rise = 1) =>
        new() { Address = Rs(n), Weight = weight, InhibitOnFailure = inhibit, Check = Check(n, retry, rise) };

    private static HealthModel Model(params RealServerSpec[] servers) =>
        new([new VirtualServerSpec { Key = Vs, RealServers = servers }]);

    private static TimeSpan ScheduledAt(IReadOnlyList<HealthAction> actions, RealServerKey key) =>
        Assert.Single(actions.OfType<ScheduleCheck>(), a => a.Server == key).At;

    private static DestinationHealth Dest(HealthCore core, int n) =>
        core.Desired().Services.Single(s => s.Key == Vs).Destinations.Single(d => d.Address.Equals(Rs(n)) && !d.IsSorryServer);

    [Fact]
    public void A_healthy_server_is_marked_down_after_exactly_retry_plus_one_failures_spaced_by_delay_before_retry()
    {
        var core = new HealthCore(1);
        var first = core.Load(Model(Server(1, retry: 2)), S(0));
        Assert.Equal(S(0), ScheduledAt(first, Key(1)));   // warmup 0: checked at once
        Assert.True(Dest(core, 1).Present);

        var a1 = core.OnResult(Key(1), Bad, S(0.1));
        Assert.True(core.Status(Key(1)).Up);
        Assert.Equal(S(3.1), ScheduledAt(a1, Key(1)));    // delay_before_retry after the end of the failed check
        Assert.DoesNotContain(a1, a => a is TableChanged);

        var a2 = core.OnResult(Key(1), Bad, S(3.2));
        Assert.True(core.Status(Key(1)).Up);
        Assert.Equal(S(6.2), ScheduledAt(a2, Key(1)));

        var a3 = core.OnResult(Key(1), Bad, S(6.3));
        var change = Assert.Single(a3.OfType<ServerStateChanged>());
        Assert.False(change.Up);
        Assert.Equal("HTTP 503", change.Reason);
        Assert.Contains(a3, a => a is TableChanged);
        Assert.False(Dest(core, 1).Present);
        Assert.Equal(S(6.3), core.Status(Key(1)).Since);
        Assert.Equal(3, core.Status(Key(1)).Failures);
        // Down now: back to the regular cadence (the check was due at 6.2).
        Assert.Equal(S(16.2), ScheduledAt(a3, Key(1)));
    }

    [Fact]
    public void A_success_between_failures_resets_the_count()
    {
        var core = new HealthCore(1);
        core.Load(Model(Server(1, retry: 1)), S(0));
        core.OnResult(Key(1), Bad, S(0));
        core.OnResult(Key(1), Ok, S(3));
        core.OnResult(Key(1), Bad, S(13));
        Assert.True(core.Status(Key(1)).Up);
        var last = core.OnResult(Key(1), Bad, S(16));
        Assert.False(core.Status(Key(1)).Up);
        Assert.Single(last.OfType<ServerStateChanged>());
    }

    [Fact]
    public void Retry_zero_marks_down_on_the_first_failure()
    {
        var core = new HealthCore(1);
        core.Load(Model(Server(1, retry: 0)), S(0));
        core.OnResult(Key(1), Bad, S(0));
        Assert.False(core.Status(Key(1)).Up);
    }

    [Fact]
    public void A_failed_server_returns_after_rise_consecutive_successes_at_the_delay_loop_cadence()
    {
        var core = new HealthCore(1);
        core.Load(Model(Server(1, retry: 0, rise: 3)), S(0));
        core.OnResult(Key(1), Bad, S(0));
        Assert.False(core.Status(Key(1)).Up);
        var s1 = core.OnResult(Key(1), Ok, S(10));
        Assert.Equal(S(20), ScheduledAt(s1, Key(1)));
        core.OnResult(Key(1), Ok, S(20));
        core.OnResult(Key(1), Bad, S(30));              // a failure while down restarts the count
        core.OnResult(Key(1), Ok, S(40));
        core.OnResult(Key(1), Ok, S(50));
        Assert.False(core.Status(Key(1)).Up);
        var up = core.OnResult(Key(1), Ok, S(60));
        Assert.True(Assert.Single(up.OfType<ServerStateChanged>()).Up);
        Assert.True(Dest(core, 1).Present);
        Assert.Equal(S(60), core.Status(Key(1)).Since);
    }

    [Fact]
    public void Delay_loop_counts_from_when_the_check_was_due_and_a_slow_check_is_followed_at_once()
    {
        var core = new HealthCore(1);
        core.Load(Model(Server(1)), S(0));
        Assert.Equal(S(10), ScheduledAt(core.OnResult(Key(1), Ok, S(0.5)), Key(1)));
        Assert.Equal(S(22), ScheduledAt(core.OnResult(Key(1), Ok, S(22)), Key(1)));  // took 12 s > delay_loop
    }

    [Fact]
    public void Without_alpha_servers_start_up_and_with_alpha_they_start_down_until_the_first_success()
    {
        var plain = new HealthCore(1);
        plain.Load(Model(Server(1)), S(0));
        Assert.True(Dest(plain, 1).Present);

        var alpha = new HealthCore(1);
        var actions = alpha.Load(new HealthModel([new VirtualServerSpec { Key = Vs, Alpha = true, RealServers = [Server(1), Server(2)] }]), S(0));
        Assert.False(Dest(alpha, 1).Present);
        Assert.False(alpha.QuorumUp(Vs));
        Assert.Contains(actions, a => a is QuorumChanged { Up: false });
        alpha.OnResult(Key(1), Ok, S(0.2));
        Assert.True(Dest(alpha, 1).Present);
        Assert.False(Dest(alpha, 2).Present);
        Assert.True(alpha.QuorumUp(Vs));
    }

    [Fact]
    public void Inhibit_on_failure_keeps_a_failed_server_with_weight_zero()
    {
        var core = new HealthCore(1);
        core.Load(Model(Server(1, weight: 5, inhibit: true, retry: 0), Server(2, weight: 7)), S(0));
        Assert.Equal(5, Dest(core, 1).Weight);
        core.OnResult(Key(1), Bad, S(0));
        var d = Dest(core, 1);
        Assert.True(d.Present);
        Assert.Equal(0, d.Weight);
        Assert.Equal(7, Dest(core, 2).Weight);   // nothing else changes
    }

    [Fact]
    public void The_sorry_server_enters_when_no_real_server_is_healthy_and_leaves_when_one_returns()
    {
        var core = new HealthCore(1);
        var sorry = new RealServerSpec { Address = IPEndPoint.Parse("10.9.9.9:80"), Weight = 1 };
        core.Load(new HealthModel([new VirtualServerSpec { Key = Vs, SorryServer = sorry, QuorumDown = "/bin/qd", RealServers = [Server(1, retry: 0), Server(2, retry: 0)] }]), S(0));
        SorryPresent(false);
        core.OnResult(Key(1), Bad, S(0));
        SorryPresent(false);
        var lost = core.OnResult(Key(2), Bad, S(0));
        var q = Assert.Single(lost.OfType<QuorumChanged>());
        Assert.False(q.Up);
        Assert.Equal("/bin/qd", q.Notify);
        SorryPresent(true);
        core.OnResult(Key(2), Ok, S(10));
        SorryPresent(false);

        void SorryPresent(bool expected) =>
            Assert.Equal(expected, core.Desired().Services[0].Destinations.Single(d => d.IsSorryServer).Present);
    }

    [Fact]
    public void Quorum_has_hysteresis_and_takes_real_servers_out_while_lost()
    {
        var core = new HealthCore(1);
        var servers = Enumerable.Range(1, 5).Select(n => Server(n, retry: 0)).ToArray();
        core.Load(new HealthModel([new VirtualServerSpec { Key = Vs, Quorum = 3, Hysteresis = 1, RealServers = servers }]), S(0));
        Assert.True(core.QuorumUp(Vs));               // sum 5
        core.OnResult(Key(1), Bad, S(0));            // 4
        core.OnResult(Key(2), Bad, S(0));            // 3
        core.OnResult(Key(3), Bad, S(0));            // 2 = quorum - hysteresis: still held
        Assert.True(core.QuorumUp(Vs));
        Assert.True(Dest(core, 4).Present);
        var lost = core.OnResult(Key(4), Bad, S(0)); // 1 < 2: lost
        Assert.False(Assert.Single(lost.OfType<QuorumChanged>()).Up);
        Assert.False(Dest(core, 5).Present);         // healthy, but out while the quorum is lost
        core.OnResult(Key(1), Ok, S(10));            // 2
        core.OnResult(Key(2), Ok, S(10));            // 3 = quorum, below quorum + hysteresis
        Assert.False(core.QuorumUp(Vs));
        var gained = core.OnResult(Key(3), Ok, S(10)); // 4: regained
        Assert.True(Assert.Single(gained.OfType<QuorumChanged>()).Up);
        Assert.True(Dest(core, 5).Present);
    }

    [Fact]
    public void A_dynamic_weight_from_misc_dynamic_changes_the_table()
    {
        var core = new HealthCore(1);
        core.Load(Model(Server(1, weight: 10)), S(0));
        var a = core.OnResult(Key(1), CheckResult.Ok("exit 5", S(0), weight: 3), S(0));
        Assert.Contains(a, x => x is TableChanged);
        Assert.Equal(3, Dest(core, 1).Weight);
        var same = core.OnResult(Key(1), CheckResult.Ok("exit 5", S(0), weight: 3), S(10));
        Assert.DoesNotContain(same, x => x is TableChanged);
    }

    [Fact]
    public void A_reload_keeps_the_state_of_servers_that_still_exist_and_forgets_the_others()
    {
        var core = new HealthCore(1);
        core.Load(Model(Server(1, retry: 0), Server(2, retry: 0)), S(0));
        core.OnResult(Key(1), Bad, S(1));
        Assert.False(core.Status(Key(1)).Up);

        var reload = core.Load(new HealthModel([new VirtualServerSpec { Key = Vs, Alpha = true, RealServers = [Server(1, weight: 4, retry: 0), Server(3, retry: 0)] }]), S(5));
        var kept = core.Status(Key(1));
        Assert.False(kept.Up);
        Assert.Equal(S(1), kept.Since);
        Assert.Equal(1, kept.Failures);
        Assert.DoesNotContain(reload.OfType<ScheduleCheck>(), a => a.Server == Key(1)); // its schedule stands
        Assert.Contains(reload.OfType<ScheduleCheck>(), a => a.Server == Key(3));
        Assert.False(core.Status(Key(3)).Up);        // new under alpha
        Assert.Empty(core.OnResult(Key(2), Ok, S(6))); // removed: a late result is ignored
        Assert.Equal(2, core.Count);
        core.OnResult(Key(1), Ok, S(11));
        Assert.Equal(4, Dest(core, 1).Weight);       // the new weight applies
    }

    [Fact]
    public void A_reload_that_shortens_delay_loop_does_not_wait_out_the_old_one()
    {
        var core = new HealthCore(1);
        var slow = Server(1) with { Check = Check(1) with { DelayLoop = S(600) } };
        core.Load(Model(slow), S(0));
        Assert.Equal(S(600), ScheduledAt(core.OnResult(Key(1), Ok, S(0)), Key(1)));
        var reload = core.Load(Model(Server(1)), S(5));       // delay_loop 10 s, warmup 0
        Assert.Equal(S(5), ScheduledAt(reload, Key(1)));
    }

    [Fact]
    public void First_checks_are_spread_within_warmup_deterministically()
    {
        RealServerSpec S30(int n) => new() { Address = Rs(n), Check = Check(n, warmup: 30) };
        var servers = Enumerable.Range(1, 200).Select(S30).ToArray();
        var a = new HealthCore(7).Load(Model(servers), S(100)).OfType<ScheduleCheck>().Select(x => x.At).ToArray();
        var b = new HealthCore(7).Load(Model(servers), S(100)).OfType<ScheduleCheck>().Select(x => x.At).ToArray();
        Assert.Equal(a, b);
        Assert.All(a, t => Assert.InRange(t, S(100), S(130) - TimeSpan.FromTicks(1)));
        // spread, not clumped: every 3-second slice of the 30 s holds some first checks
        Assert.Equal(10, a.Select(t => (int)((t - S(100)).TotalSeconds / 3)).Distinct().Count());
    }

    [Fact]
    public void Omega_runs_the_down_hooks_of_what_is_up_at_shutdown_and_the_table_empties()
    {
        var core = new HealthCore(1);
        var rs = Server(1) with { NotifyDown = "/bin/down" };
        core.Load(new HealthModel([new VirtualServerSpec { Key = Vs, Omega = true, QuorumDown = "/bin/qd", RealServers = [rs] }]), S(0));
        var actions = core.Shutdown(S(1));
        Assert.Equal("/bin/down", Assert.Single(actions.OfType<ServerStateChanged>()).Notify);
        Assert.Equal("/bin/qd", Assert.Single(actions.OfType<QuorumChanged>()).Notify);
        Assert.All(core.Desired().Services[0].Destinations, d => Assert.False(d.Present));

        var quiet = new HealthCore(1);
        quiet.Load(Model(Server(1)), S(0));
        Assert.DoesNotContain(quiet.Shutdown(S(1)), a => a is ServerStateChanged or QuorumChanged);
    }

    [Fact]
    public void A_server_without_a_checker_is_always_up()
    {
        var core = new HealthCore(1);
        var load = core.Load(new HealthModel([new VirtualServerSpec { Key = Vs, Alpha = true, RealServers = [new RealServerSpec { Address = Rs(1), Weight = 2 }] }]), S(0));
        Assert.Empty(load.OfType<ScheduleCheck>());
        Assert.Equal(2, Dest(core, 1).Weight);
    }

    [Fact]
    public void Duplicate_real_servers_are_refused_with_a_message_naming_them()
    {
        var ex = Assert.Throws<ArgumentException>(() => new HealthCore(1).Load(Model(Server(1), Server(1)), S(0)));
        Assert.Contains("10.0.0.1:80", ex.Message);
        Assert.Contains("TCP 192.0.2.100:80", ex.Message);
    }
}

public class FallTests
{
    [Theory]
    [InlineData(1, 1, 2)]
    [InlineData(0, 1, 1)]
    [InlineData(2, 1, 3)]
    [InlineData(1, 4, 4)]
    [InlineData(0, 3, 3)]
    public void Failures_to_down_is_the_larger_of_retry_plus_one_and_fall(int retry, int fall, int expected)
    {
        var s = new CheckSettings { Target = System.Net.IPEndPoint.Parse("10.0.0.1:80"), Retry = retry, Fall = fall };
        Assert.Equal(expected, s.FailuresToDown);
        var vs = VirtualServerKey.Tcp(System.Net.IPEndPoint.Parse("192.0.2.1:80"));
        var key = new RealServerKey(vs, s.Target);
        var core = new HealthCore(1);
        core.Load(new HealthModel([new VirtualServerSpec { Key = vs, RealServers = [new RealServerSpec { Address = s.Target, Check = s with { Warmup = TimeSpan.Zero } }] }]), TimeSpan.Zero);
        for (var i = 1; i < expected; i++)
        {
            core.OnResult(key, CheckResult.Failed("x", TimeSpan.Zero), TimeSpan.FromSeconds(i));
            Assert.True(core.Status(key).Up, $"down after {i} failures; expected {expected}");
        }
        core.OnResult(key, CheckResult.Failed("x", TimeSpan.Zero), TimeSpan.FromSeconds(expected));
        Assert.False(core.Status(key).Up);
    }
}
