using Appliance.Sync;
using Xunit;

namespace Appliance.Tests.Sync;

public class SyncCatchUpTests
{
    private static readonly TimeSpan S = TimeSpan.FromSeconds(1);
    // refresh 7 s (timeouts 30/10/30) -> settle window 10 s, minimum one timeout (30 s), maximum 30 + 7 + 3 = 40 s
    private static readonly CatchUpOptions Options = CatchUpOptions.Derive(new IpvsTimeouts(30, 10, 30), 7);

    [Fact]
    public void Options_follow_the_refresh_period_and_the_timeout()
    {
        Assert.Equal(10 * S, Options.SettleWindow);
        Assert.Equal(30 * S, Options.MinimumWait);
        Assert.Equal(40 * S, Options.MaximumWait);
        Assert.Equal(S, Options.SampleInterval);
        Assert.Equal(5 * S, CatchUpOptions.Derive(new IpvsTimeouts(30, 10, 30), 7, 5 * S).MaximumWait);
        Assert.Equal(5 * S, CatchUpOptions.Derive(new IpvsTimeouts(30, 10, 30), 7, 5 * S).SettleWindow);
        Assert.Equal(5 * S, CatchUpOptions.Derive(new IpvsTimeouts(30, 10, 30), 7, 5 * S).MinimumWait);
        Assert.Equal(TimeSpan.Zero, CatchUpOptions.Derive(new IpvsTimeouts(30, 10, 30), 7, TimeSpan.Zero).MinimumWait);
    }

    /// <summary>Feeds one reading per second from <paramref name="counts"/>(t); returns the first second the gate opened.</summary>
    private static (int Second, string Reason) RunUntilOpen(SyncCatchUp gate, Func<int, long> counts, int start = 100, int limit = 1000)
    {
        for (var t = 0; t <= limit; t++)
        {
            var now = (start + t) * S;
            gate.Observe(now, counts(t));
            var v = gate.Evaluate(now);
            if (v.CaughtUp) return (t, v.Reason);
        }
        return (-1, "never");
    }

    [Fact]
    public void An_empty_table_that_stays_empty_opens_after_one_timeout()
    {
        var gate = new SyncCatchUp(Options, 100 * S);
        var (t, reason) = RunUntilOpen(gate, _ => 0);
        Assert.Equal(30, t);
        Assert.Contains("grew by 0", reason);
    }

    [Fact]
    public void A_table_that_fills_then_stops_growing_opens_one_window_after_the_last_growth_and_not_before_one_timeout()
    {
        var gate = new SyncCatchUp(Options, 100 * S);
        // entries arrive over 15 s (one refresh period plus keepalive), then nothing new
        var (t, reason) = RunUntilOpen(gate, s => Math.Min(s, 15) * 60);
        Assert.Equal(30, t);
        Assert.Contains("900 synced entries", reason);
        gate.Restart(0 * S);
        (t, reason) = RunUntilOpen(gate, s => Math.Min(s, 27) * 50, start: 0);
        Assert.Equal(37, t);
        Assert.Contains("1350 synced entries", reason);
    }

    [Fact]
    public void Idle_connections_arriving_after_one_refresh_window_are_still_waited_for()
    {
        // 1,000 active connections within 13 s; 10 idle ones (keepalive 20 s: R + K + 3 = 30 s, just
        // inside the timeout) only at 29 s, when their next packet re-sends them. A gate that opened
        // one settle window after the active ones (23 s) would preempt without them, and 10 is
        // exactly the 1 % growth tolerance of 1,000: only the minimum wait of one timeout holds them.
        var gate = new SyncCatchUp(Options, 0 * S);
        for (var t = 0; t < 29; t++)
        {
            gate.Observe(t * S, t < 13 ? t * 1000 / 13 : 1000);
            Assert.False(gate.Evaluate(t * S).CaughtUp, $"opened at {t} s without the idle connections");
        }
        var (at, reason) = RunUntilOpen(gate, _ => 1010, start: 29);
        Assert.Equal(1, at);
        Assert.Contains("1010 synced entries", reason);
    }

    [Fact]
    public void Growth_within_the_tolerance_counts_as_settled()
    {
        var gate = new SyncCatchUp(Options, 0 * S);
        // 1000 entries, then one new synced connection every 2 s: 5 per window, under 1%
        var (t, _) = RunUntilOpen(gate, s => 1000 + s / 2, start: 0);
        Assert.Equal(30, t);
    }

    [Fact]
    public void A_table_that_keeps_growing_opens_only_at_the_maximum_wait()
    {
        var gate = new SyncCatchUp(Options, 100 * S);
        var (t, reason) = RunUntilOpen(gate, s => s * 100);
        Assert.Equal(40, t);
        Assert.Contains("maximum wait", reason);
        Assert.True(gate.Evaluate(140 * S).ByMaximumWait);
    }

    [Fact]
    public void Without_readings_the_gate_stays_closed_until_the_maximum()
    {
        var gate = new SyncCatchUp(Options, 0 * S);
        Assert.False(gate.MayPreempt(39 * S, out var why));
        Assert.Contains("no reading", why);
        Assert.True(gate.MayPreempt(40 * S, out why));
        Assert.Contains("maximum wait", why);
    }

    [Fact]
    public void The_masters_own_count_opens_the_gate_as_soon_as_the_table_matches()
    {
        var gate = new SyncCatchUp(Options, 0 * S);
        gate.ObservePeerCount(1000);
        gate.Observe(1 * S, 500);
        Assert.False(gate.Evaluate(1 * S).CaughtUp);
        gate.Observe(2 * S, 989);
        Assert.False(gate.Evaluate(2 * S).CaughtUp);
        gate.Observe(3 * S, 990); // 99 %
        var v = gate.Evaluate(3 * S);
        Assert.True(v.CaughtUp);
        Assert.Contains("master reports 1000", v.Reason);
    }

    [Fact]
    public void Restart_forgets_readings_and_starts_the_wait_again()
    {
        var gate = new SyncCatchUp(Options, 0 * S);
        RunUntilOpen(gate, _ => 5, start: 0, limit: 30);
        Assert.True(gate.Evaluate(30 * S).CaughtUp);
        gate.Restart(21 * S);
        Assert.Null(gate.LatestCount);
        Assert.False(gate.Evaluate(21 * S).CaughtUp);
        Assert.Equal(21 * S, gate.NextSampleAt);
    }

    [Fact]
    public void A_reading_older_than_the_last_one_is_ignored()
    {
        var gate = new SyncCatchUp(Options, 0 * S);
        gate.Observe(12 * S, 10);
        gate.Observe(5 * S, 0);
        Assert.Equal(10, gate.LatestCount);
        Assert.Equal(13 * S, gate.NextSampleAt);
    }

    [Fact]
    public void A_node_without_an_IPVS_table_has_nothing_to_wait_for_until_a_table_appears()
    {
        var gate = new SyncCatchUp(Options, 0 * S);
        gate.ObserveNoTable(1 * S);
        var v = gate.Evaluate(1 * S);
        Assert.True(v.CaughtUp);
        Assert.Contains("no IPVS connection table", v.Reason);
        gate.Observe(2 * S, 0);
        Assert.False(gate.Evaluate(2 * S).CaughtUp);
    }
}
