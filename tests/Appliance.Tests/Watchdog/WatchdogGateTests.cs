using Appliance.Tests.PeerLink;
using Appliance.Watchdog;
using Xunit;

namespace Appliance.Tests.Watchdog;

public class WatchdogGateTests
{
    private static TimeSpan Ms(double ms) => TimeSpan.FromMilliseconds(ms);

    [Fact]
    public void Feeds_only_while_every_loop_progresses_within_its_bound()
    {
        var gate = new WatchdogGate();
        var main = gate.Register("event loop", Ms(500), Ms(0));
        var serial = gate.Register("peer link", Ms(300), Ms(0));
        Assert.True(gate.Check(Ms(300)).Feed);
        main.Progress(Ms(400));
        var d = gate.Check(Ms(301));
        Assert.False(d.Feed);
        Assert.Equal("peer link", Assert.Single(d.Stalled).Name);
        Assert.Equal(Ms(301), d.Stalled[0].Silent);
        serial.Progress(Ms(350));
        Assert.True(gate.Check(Ms(600)).Feed);
        var both = gate.Check(Ms(1000));
        Assert.False(both.Feed);
        Assert.Equal(["event loop", "peer link"], both.Stalled.Select(s => s.Name));
        Assert.Contains("made no progress for 600 ms (bound 500 ms)", both.Stalled[0].ToString());
    }

    [Fact]
    public void No_registered_loop_means_no_feeding() => Assert.False(new WatchdogGate().Check(Ms(0)).Feed);

    [Fact]
    public void Duplicate_names_and_non_positive_bounds_are_refused()
    {
        var gate = new WatchdogGate();
        gate.Register("x", Ms(1), Ms(0));
        Assert.Throws<ArgumentException>(() => gate.Register("x", Ms(1), Ms(0)));
        Assert.Throws<ArgumentException>(() => gate.Register("y", TimeSpan.Zero, Ms(0)));
    }

    [Fact]
    public void Feeder_withholds_while_stalled_logs_once_and_resumes()
    {
        var gate = new WatchdogGate();
        var loop = gate.Register("event loop", Ms(500), Ms(0));
        int fed = 0;
        var log = new ListLog();
        var feeder = new WatchdogFeeder(gate, () => fed++, log);
        for (int t = 0; t <= 2000; t += 500)
        {
            if (t < 1000) loop.Progress(Ms(t));
            feeder.Tick(Ms(t));
        }
        // Progress stopped at 500 ms: fed at 0 and 500 and 1000 (500 ms silent = at the bound), withheld at 1500 and 2000.
        Assert.Equal(3, fed);
        Assert.Equal(2, feeder.Withheld);
        Assert.Single(log.Lines, l => l.Contains("not feeding"));
        loop.Progress(Ms(2100));
        Assert.True(feeder.Tick(Ms(2200)));
        Assert.Contains(log.Lines, l => l.Contains("healthy again"));
    }

    [Fact]
    public void Default_options_give_a_2s_timeout_fed_every_500ms() =>
        Assert.Equal((2, Ms(500)), (new WatchdogOptions().TimeoutSeconds, new WatchdogOptions().FeedInterval));

    /// <summary>
    /// The design property with real threads and the real clock: the feeder runs on the main
    /// loop; when that loop hangs, feeding stops even though another loop keeps progressing.
    /// </summary>
    [Fact]
    public void A_hung_event_loop_stops_the_feeding_while_another_loop_keeps_running()
    {
        var clock = new Appliance.Core.MonotonicClock();
        var gate = new WatchdogGate();
        var main = gate.Register("event loop", Ms(200), clock.Now);
        var other = gate.Register("peer link", Ms(2000), clock.Now);
        long fed = 0;
        var feeder = new WatchdogFeeder(gate, () => Interlocked.Increment(ref fed), new ListLog());
        using var hang = new ManualResetEventSlim(false);
        using var stop = new CancellationTokenSource();
        var otherThread = new Thread(() => { while (!stop.IsCancellationRequested) { other.Progress(clock.Now); Thread.Sleep(10); } });
        var mainThread = new Thread(() =>
        {
            while (!stop.IsCancellationRequested)
            {
                if (hang.IsSet) { stop.Token.WaitHandle.WaitOne(); break; } // the loop is stuck (a handler blocked)
                main.Progress(clock.Now);
                feeder.Tick(clock.Now);
                Thread.Sleep(10);
            }
        });
        otherThread.Start();
        mainThread.Start();
        try
        {
            Wait.Until(() => Interlocked.Read(ref fed) >= 10, TimeSpan.FromSeconds(5), "the healthy loop did not feed");
            hang.Set();
            Wait.Until(() => clock.Now - main.LastProgress > Ms(50), TimeSpan.FromSeconds(5), "main loop did not hang");
            long atHang = Interlocked.Read(ref fed);
            Wait.Until(() => clock.Now - main.LastProgress > Ms(600), TimeSpan.FromSeconds(5), "");
            Assert.Equal(atHang, Interlocked.Read(ref fed));
            Assert.True(clock.Now - other.LastProgress < Ms(2000), "the other loop should still be running");
            Assert.False(gate.Check(clock.Now).Feed);
        }
        finally
        {
            stop.Cancel();
            mainThread.Join();
            otherThread.Join();
        }
    }
}
