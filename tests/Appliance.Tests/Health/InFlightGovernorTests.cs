using Appliance.Health;
using Xunit;

namespace Appliance.Tests.Health;

public class InFlightGovernorTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(3);
    private static CheckResult Ok(double ms) => CheckResult.Ok("ok", TimeSpan.FromMilliseconds(ms));
    private static CheckResult Failed(double ms) => CheckResult.Failed("no answer", TimeSpan.FromMilliseconds(ms));
    private static TimeSpan At(double s) => TimeSpan.FromSeconds(s);

    [Fact]
    public void Starts_at_the_floor_and_grows_by_one_per_fast_success_only_while_checks_wait_for_it()
    {
        var g = new InFlightGovernor(floor: 4, ceiling: 10);
        Assert.Equal(4, g.Limit);
        g.OnCompleted(Ok(5), Timeout, bound: false, null, At(0));
        Assert.Equal(4, g.Limit); // nobody was waiting: no evidence that more would help
        g.OnCompleted(Ok(5), Timeout, bound: true, null, At(0));
        Assert.Equal(5, g.Limit);
        g.OnCompleted(Ok(400), Timeout, bound: true, null, At(0)); // between a tenth and a quarter of connect_timeout: neither
        Assert.Equal(5, g.Limit);
        for (var i = 0; i < 20; i++) g.OnCompleted(Ok(1), Timeout, bound: true, null, At(0));
        Assert.Equal(10, g.Limit); // never above the configured bound
    }

    [Fact]
    public void A_slow_success_shrinks_to_70_percent_once_per_calm_period_never_below_the_floor()
    {
        var g = new InFlightGovernor(floor: 10, ceiling: 1000);
        for (var i = 0; i < 90; i++) g.OnCompleted(Ok(1), Timeout, bound: true, null, At(0));
        Assert.Equal(100, g.Limit);
        g.OnCompleted(Ok(800), Timeout, bound: true, null, At(1)); // > connect_timeout / 4
        Assert.Equal(70, g.Limit);
        g.OnCompleted(Ok(900), Timeout, bound: true, null, At(1.2)); // the same overload: answered once
        Assert.Equal(70, g.Limit);
        g.OnCompleted(Ok(900), Timeout, bound: true, null, At(1.5));
        Assert.Equal(49, g.Limit);
        for (var i = 0; i < 10; i++) g.OnCompleted(Ok(2000), Timeout, bound: true, null, At(2 + i));
        Assert.Equal(10, g.Limit);
        Assert.Equal(7, g.Decreases); // 100 → 70 → 49 → 34 → 23 → 16 → 11 → 10, then no change at the floor
    }

    [Fact]
    public void Failures_never_move_the_limit_a_dead_server_times_out_whatever_the_load()
    {
        var g = new InFlightGovernor(floor: 2, ceiling: 100);
        for (var i = 0; i < 8; i++) g.OnCompleted(Ok(1), Timeout, bound: true, null, At(0));
        Assert.Equal(10, g.Limit);
        for (var i = 0; i < 50; i++) g.OnCompleted(Failed(3000), Timeout, bound: true, null, At(i));
        Assert.Equal(10, g.Limit);
        Assert.Equal(0, g.Decreases);
    }

    [Fact]
    public void A_lagging_loop_shrinks_the_limit_a_punctual_one_does_not()
    {
        var g = new InFlightGovernor(floor: 1, ceiling: 100);
        for (var i = 0; i < 99; i++) g.OnCompleted(Ok(1), Timeout, bound: true, null, At(0));
        Assert.Equal(100, g.Limit);
        g.OnLoopLag(TimeSpan.FromMilliseconds(200), At(1));
        Assert.Equal(100, g.Limit);
        g.OnLoopLag(TimeSpan.FromMilliseconds(300), At(2));
        Assert.Equal(70, g.Limit);
    }

    [Fact]
    public void An_answer_far_slower_than_the_servers_usual_one_shrinks_the_limit_even_well_within_connect_timeout()
    {
        var g = new InFlightGovernor(floor: 1, ceiling: 100);
        for (var i = 0; i < 99; i++) g.OnCompleted(Ok(1), Timeout, bound: true, TimeSpan.FromMilliseconds(1), At(0));
        Assert.Equal(100, g.Limit);
        g.OnCompleted(Ok(20), Timeout, bound: true, TimeSpan.FromMilliseconds(1), At(1)); // 4 x 1 ms + 20 ms = 24 ms: not yet
        Assert.Equal(100, g.Limit);
        g.OnCompleted(Ok(30), Timeout, bound: true, TimeSpan.FromMilliseconds(1), At(2)); // queueing
        Assert.Equal(70, g.Limit);
        g.OnCompleted(Ok(300), Timeout, bound: true, TimeSpan.FromMilliseconds(250), At(3)); // a server that is always slow: its usual
        Assert.Equal(70, g.Limit);
    }

    [Fact]
    public void The_usual_answer_time_follows_the_server_in_about_eight_checks()
    {
        TimeSpan? usual = null;
        usual = InFlightGovernor.Usual(usual, TimeSpan.FromMilliseconds(2));
        Assert.Equal(TimeSpan.FromMilliseconds(2), usual);
        for (var i = 0; i < 16; i++) usual = InFlightGovernor.Usual(usual, TimeSpan.FromMilliseconds(100));
        Assert.InRange(usual!.Value.TotalMilliseconds, 85, 100);
    }

    [Fact]
    public void The_floor_is_clamped_to_the_bound()
    {
        var g = new InFlightGovernor(floor: 64, ceiling: 2);
        Assert.Equal(2, g.Limit);
        Assert.Throws<ArgumentOutOfRangeException>(() => new InFlightGovernor(1, 0));
    }
}
