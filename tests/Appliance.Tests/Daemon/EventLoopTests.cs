using System.Collections.Concurrent;
using Appliance.Core;
using Appliance.Daemon;
using Appliance.Logging;
using Xunit;

namespace Appliance.Tests.Daemon;

internal sealed class FakeClock : IClock
{
    public TimeSpan Now { get; set; } = TimeSpan.FromSeconds(1000);
}

/// <summary>An ILog that keeps its lines, for asserting what the daemon said.</summary>
internal sealed class ListLog : ILog
{
    public ConcurrentQueue<(LogLevel Level, string Component, string Message)> Lines { get; } = new();
    public bool IsEnabled(LogLevel level) => true;
    public void Write(LogLevel level, string component, string message) => Lines.Enqueue((level, component, message));
}

/// <summary>A clock that moves on by <paramref name="step"/> at every reading: a thread descheduled between two readings.</summary>
internal sealed class SteppingClock(TimeSpan step) : IClock
{
    private long _ticks = TimeSpan.FromSeconds(1000).Ticks;
    public TimeSpan Now => TimeSpan.FromTicks(Interlocked.Add(ref _ticks, step.Ticks));
}

internal sealed record Tick(string Name) : LoopEvent;

/// <summary>Records what it handled and when; can be told to throw, post, or stop.</summary>
internal sealed class Recorder(EventLoop loop) : ILoopHandler
{
    public List<(string Name, TimeSpan Now)> Handled { get; } = [];
    public Func<Tick, bool> Throws { get; set; } = _ => false;

    public void Handle(LoopEvent e, TimeSpan now)
    {
        var tick = (Tick)e;
        Handled.Add((tick.Name, now));
        if (Throws(tick)) throw new InvalidDataException($"malformed {tick.Name}");
        if (tick.Name == "post-more") loop.Post(new Tick("posted-by-handler"));
        if (tick.Name == "stop") loop.Stop();
    }

    public IEnumerable<string> Names => Handled.Select(h => h.Name);
}

public class EventLoopTests
{
    private readonly FakeClock _clock = new();
    private readonly ListLog _log = new();
    private readonly EventLoop _loop;
    private readonly Recorder _handler;

    public EventLoopTests()
    {
        _loop = new EventLoop(_clock, _log);
        _handler = new Recorder(_loop);
    }

    private TimeSpan At(double seconds) => TimeSpan.FromSeconds(1000 + seconds);

    [Fact]
    public async Task A_timer_that_falls_due_while_the_loop_decides_to_sleep_fires_and_never_throws()
    {
        // Each reading is 4 ms later: with two readings the sleep came out at -2 ms and
        // CancelAfter threw (the daemon died in the lab under TCG).
        var clock = new SteppingClock(TimeSpan.FromMilliseconds(4));
        var loop = new EventLoop(clock, _log);
        var handler = new Recorder(loop);
        loop.Schedule(clock.Now + TimeSpan.FromMilliseconds(10), new Tick("stop"));
        var run = loop.RunAsync(handler, CancellationToken.None);
        var first = await Task.WhenAny(run, Task.Delay(TimeSpan.FromSeconds(10)));
        Assert.True(first == run, "the loop did not fire its timer within 10 s");
        await run;
        Assert.Equal(["stop"], handler.Names);
    }

    [Fact]
    public void Timers_fire_in_due_order_and_never_early()
    {
        _loop.Schedule(At(3), new Tick("c"));
        _loop.Schedule(At(1), new Tick("a"));
        _loop.ScheduleAfter(TimeSpan.FromSeconds(2), new Tick("b"));
        _loop.Schedule(At(1), new Tick("a2")); // same due time: scheduling order

        _clock.Now = At(0.999);
        Assert.Equal(0, _loop.RunPending(_handler));
        Assert.Equal(At(1), _loop.NextDue);

        _clock.Now = At(2);
        Assert.Equal(3, _loop.RunPending(_handler));
        Assert.Equal(["a", "a2", "b"], _handler.Names);
        Assert.All(_handler.Handled, h => Assert.Equal(At(2), h.Now));

        _clock.Now = At(10);
        _loop.RunPending(_handler);
        Assert.Equal(["a", "a2", "b", "c"], _handler.Names);
        Assert.Null(_loop.NextDue);
        Assert.Equal(4, _loop.TimersFired);
    }

    [Fact]
    public void Events_are_handled_in_the_order_they_were_posted()
    {
        for (var i = 0; i < 100; i++) _loop.Post(new Tick($"e{i}"));
        _loop.RunPending(_handler);
        Assert.Equal(Enumerable.Range(0, 100).Select(i => $"e{i}"), _handler.Names);
    }

    [Fact]
    public void Events_posted_by_a_handler_wait_for_the_next_turn()
    {
        _loop.Post(new Tick("post-more"));
        _loop.Post(new Tick("second"));
        Assert.Equal(2, _loop.RunPending(_handler));
        Assert.Equal(["post-more", "second"], _handler.Names);
        Assert.Equal(1, _loop.RunPending(_handler));
        Assert.Equal("posted-by-handler", _handler.Names.Last());
    }

    [Fact]
    public void Due_timers_run_before_queued_events_in_one_turn()
    {
        _loop.Post(new Tick("event"));
        _loop.Schedule(At(0), new Tick("timer"));
        _loop.RunPending(_handler);
        Assert.Equal(["timer", "event"], _handler.Names);
    }

    [Fact]
    public void A_cancelled_timer_never_fires()
    {
        var a = _loop.Schedule(At(1), new Tick("a"));
        var b = _loop.Schedule(At(2), new Tick("b"));
        Assert.Equal(2, _loop.PendingTimers);

        Assert.True(_loop.Cancel(a));
        Assert.False(_loop.Cancel(a));
        Assert.Equal(At(2), _loop.NextDue);
        _clock.Now = At(5);
        _loop.RunPending(_handler);

        Assert.Equal(["b"], _handler.Names);
        Assert.False(_loop.Cancel(b)); // already fired
        Assert.Equal(0, _loop.PendingTimers);
    }

    [Fact]
    public void A_throwing_handler_is_logged_and_counted_not_fatal()
    {
        _handler.Throws = t => t.Name == "bad";
        _loop.Post(new Tick("good1"));
        _loop.Post(new Tick("bad"));
        _loop.Post(new Tick("good2"));
        _loop.Schedule(At(0), new Tick("bad"));

        _loop.RunPending(_handler);

        Assert.Equal(["bad", "good1", "bad", "good2"], _handler.Names);
        Assert.Equal(2, _loop.HandlerFailures);
        Assert.Equal(4, _loop.EventsHandled);
        var errors = _log.Lines.Where(l => l.Level == LogLevel.Error).Select(l => l.Message).ToList();
        Assert.Equal(2, errors.Count);
        Assert.Equal("handling Tick failed (1 so far): InvalidDataException: malformed bad", errors[0]);
    }

    [Fact]
    public void Stop_ends_the_turn_after_the_current_event()
    {
        _loop.Post(new Tick("stop"));
        _loop.Post(new Tick("after"));
        _loop.RunPending(_handler);
        Assert.Equal(["stop"], _handler.Names);
        Assert.True(_loop.IsStopping);
    }
}

/// <summary>The loop on the real monotonic clock: waking for posts from other threads and for timers.</summary>
public class EventLoopRunTests
{
    private sealed class Handler(EventLoop loop, TaskCompletionSource<List<string>> done) : ILoopHandler
    {
        private readonly List<string> _seen = [];

        public void Handle(LoopEvent e, TimeSpan now)
        {
            var name = ((Tick)e).Name;
            _seen.Add(name);
            if (name == "from-thread") loop.ScheduleAfter(TimeSpan.FromMilliseconds(50), new Tick("timer"));
            if (name == "timer")
            {
                done.SetResult([.. _seen]);
                loop.Stop();
            }
        }
    }

    [Fact]
    public async Task RunAsync_wakes_for_posts_from_other_threads_and_for_timers_then_stops()
    {
        var clock = new MonotonicClock();
        var loop = new EventLoop(clock, new ListLog());
        var done = new TaskCompletionSource<List<string>>(TaskCreationOptions.RunContinuationsAsynchronously);
        var run = loop.RunAsync(new Handler(loop, done), CancellationToken.None);

        var start = clock.Now;
        await Task.Run(() => loop.Post(new Tick("from-thread")));

        var finished = await Task.WhenAny(run, Task.Delay(TimeSpan.FromSeconds(10)));
        Assert.True(finished == run, "the loop did not stop within 10 s");
        Assert.Equal(["from-thread", "timer"], await done.Task);
        Assert.True(clock.Now - start >= TimeSpan.FromMilliseconds(50), "the timer fired early");
    }

    [Fact]
    public async Task RunAsync_returns_when_cancelled_while_idle()
    {
        var loop = new EventLoop(new MonotonicClock(), new ListLog());
        using var cancel = new CancellationTokenSource();
        var run = loop.RunAsync(new Recorder(loop), cancel.Token);
        cancel.Cancel();
        Assert.True(await Task.WhenAny(run, Task.Delay(TimeSpan.FromSeconds(10))) == run, "the idle loop ignored cancellation");
        Assert.True(run.IsCompletedSuccessfully, $"RunAsync ended {run.Status}");
    }
}
