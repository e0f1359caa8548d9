using System.Threading.Channels;
using Appliance.Core;
using Appliance.Logging;

namespace Appliance.Daemon;

/// <summary>Something that happened (a packet, a timer, a signal, a finished reload), handled by the loop in order.</summary>
public abstract record LoopEvent;

/// <summary>The one owner of the daemon's state: it receives every event on the loop's thread.</summary>
public interface ILoopHandler
{
    /// <summary>Handles one event. <paramref name="now"/> is the loop's monotonic time when the event is handled.</summary>
    void Handle(LoopEvent e, TimeSpan now);
}

/// <summary>Identifies a scheduled timer so it can be cancelled.</summary>
public readonly record struct TimerId(long Value);

/// <summary>
/// The daemon's single event loop. I/O tasks, signal handlers and checkers <see cref="Post"/>
/// events from any thread into one channel; timers are data in a priority queue keyed by the
/// monotonic clock, so state is only ever touched on the loop and a test can drive it with a
/// fake clock through <see cref="RunPending"/>. A handler that throws is logged and counted,
/// never fatal: one malformed packet must not take the director down.
/// </summary>
public sealed class EventLoop
{
    private readonly Channel<LoopEvent> _events = Channel.CreateUnbounded<LoopEvent>(); // not SingleReader: that variant cannot Count, which RunPending needs
    // Equal due times fire in scheduling order: the sequence number breaks ties.
    private readonly PriorityQueue<(long Id, LoopEvent Event), (TimeSpan Due, long Seq)> _timers = new();
    private readonly HashSet<long> _live = [];
    private readonly HashSet<long> _cancelled = [];
    private readonly IClock _clock;
    private readonly ILog _log;
    private long _nextTimerId;
    private volatile bool _stopping;

    public EventLoop(IClock clock, ILog log)
    {
        _clock = clock;
        _log = log;
    }

    public IClock Clock => _clock;

    /// <summary>Events handled (posted and timer events).</summary>
    public long EventsHandled { get; private set; }

    /// <summary>Timers that came due and were handled.</summary>
    public long TimersFired { get; private set; }

    /// <summary>Events whose handler threw.</summary>
    public long HandlerFailures { get; private set; }

    /// <summary>Timers scheduled and not yet fired or cancelled.</summary>
    public int PendingTimers => _live.Count;

    /// <summary>Due time of the earliest live timer, or null.</summary>
    public TimeSpan? NextDue
    {
        get
        {
            DropCancelledHead();
            return _timers.TryPeek(out _, out var key) ? key.Due : null;
        }
    }

    /// <summary>Queues an event; safe from any thread. False only after the loop has been completed.</summary>
    public bool Post(LoopEvent e) => _events.Writer.TryWrite(e);

    /// <summary>Schedules <paramref name="e"/> to be handled at monotonic time <paramref name="due"/>. Loop thread only.</summary>
    public TimerId Schedule(TimeSpan due, LoopEvent e)
    {
        var id = ++_nextTimerId;
        _timers.Enqueue((id, e), (due, id));
        _live.Add(id);
        return new TimerId(id);
    }

    /// <summary>Schedules <paramref name="e"/> <paramref name="delay"/> from now. Loop thread only.</summary>
    public TimerId ScheduleAfter(TimeSpan delay, LoopEvent e) => Schedule(_clock.Now + delay, e);

    /// <summary>Cancels a timer that has not fired; false when it already fired or was cancelled.</summary>
    public bool Cancel(TimerId id)
    {
        if (!_live.Remove(id.Value)) return false;
        _cancelled.Add(id.Value); // removed lazily when it reaches the head of the queue
        return true;
    }

    /// <summary>Makes <see cref="RunAsync"/> return after the event being handled.</summary>
    public void Stop()
    {
        _stopping = true;
        _events.Writer.TryWrite(new Wakeup()); // wake a waiting loop
    }

    public bool IsStopping => _stopping;

    /// <summary>
    /// One turn of the loop: fires every timer due at the clock's now (earliest first), then
    /// handles the events queued at this moment (events they post wait for the next turn, so a
    /// chatty handler cannot starve the timers). Returns the number of events handled.
    /// </summary>
    public int RunPending(ILoopHandler handler)
    {
        var handled = 0;
        var now = _clock.Now;
        while (!_stopping && TryTakeDue(now, out var timerEvent))
        {
            TimersFired++;
            Dispatch(handler, timerEvent, now);
            handled++;
        }
        for (var n = _events.Reader.Count; n > 0 && !_stopping && _events.Reader.TryRead(out var e); n--)
        {
            if (e is Wakeup) continue;
            Dispatch(handler, e, _clock.Now);
            handled++;
        }
        return handled;
    }

    /// <summary>Runs until <see cref="Stop"/> or cancellation (both return normally), sleeping until the next event or timer.</summary>
    public async Task RunAsync(ILoopHandler handler, CancellationToken cancel)
    {
        while (!_stopping && !cancel.IsCancellationRequested)
        {
            RunPending(handler);
            if (_stopping || _events.Reader.Count > 0) continue;
            // One reading of the clock: read twice, a thread descheduled between the "is it due"
            // check and the sleep (a loaded VM) got a negative sleep, which CancelAfter throws on
            // below -1 ms and takes as "forever" at -1 ms (found by the make run lab).
            TimeSpan? left = NextDue is { } due ? due - _clock.Now : null;
            if (left is { } l && l <= TimeSpan.Zero) continue;
            using var wait = CancellationTokenSource.CreateLinkedTokenSource(cancel);
            if (left is { } sleep) wait.CancelAfter(sleep);
            try
            {
                await _events.Reader.WaitToReadAsync(wait.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                if (cancel.IsCancellationRequested) break; // the caller's cancellation: return normally
                // Otherwise the next timer is due.
            }
        }
    }

    private void Dispatch(ILoopHandler handler, LoopEvent e, TimeSpan now)
    {
        EventsHandled++;
        try
        {
            handler.Handle(e, now);
        }
        catch (Exception ex)
        {
            HandlerFailures++;
            _log.Error("daemon", $"handling {e.GetType().Name} failed ({HandlerFailures} so far): {ex.GetType().Name}: {ex.Message}");
            _log.Debug("daemon", ex.ToString());
        }
    }

    private bool TryTakeDue(TimeSpan now, out LoopEvent e)
    {
        DropCancelledHead();
        if (_timers.TryPeek(out var head, out var key) && key.Due <= now)
        {
            _timers.Dequeue();
            _live.Remove(head.Id);
            e = head.Event;
            return true;
        }
        e = null!;
        return false;
    }

    private void DropCancelledHead()
    {
        while (_timers.TryPeek(out var head, out _) && _cancelled.Remove(head.Id))
            _timers.Dequeue();
    }

    /// <summary>Wakes the waiting loop (Stop); never handed to a handler.</summary>
    private sealed record Wakeup : LoopEvent;
}
