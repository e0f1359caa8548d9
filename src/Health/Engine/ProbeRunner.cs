using System.Collections.Concurrent;
using Appliance.Core;

namespace Appliance.Health.Engine;

/// <summary>
/// One <see cref="ProbeEngine"/> on its own thread for callers that want a probe as a task: the
/// one-shot <c>appliance health check</c> and the checker tests. The daemon's
/// <see cref="HealthMonitor"/> drives its engine from its own loop instead, with no hop per result.
/// </summary>
public sealed class ProbeRunner : IDisposable
{
    private readonly IClock _clock = new MonotonicClock();
    private readonly ProbeEngine _engine;
    private readonly ConcurrentQueue<Request> _inbox = new();
    private readonly Thread _thread;
    private volatile bool _stopping;

    public ProbeRunner()
    {
        _engine = new ProbeEngine(_clock);
        _thread = new Thread(Run) { IsBackground = true, Name = "probe-runner" };
        _thread.Start();
    }

    /// <summary>Runs one TCP_CHECK or HTTP_GET; <paramref name="stopping"/> abandons it at once ("check abandoned").</summary>
    public Task<CheckResult> CheckAsync(CheckSettings settings, CancellationToken stopping = default)
    {
        var request = new Request(new NativeProbe(settings), new TaskCompletionSource<CheckResult>(TaskCreationOptions.RunContinuationsAsynchronously), stopping);
        if (stopping.CanBeCanceled) stopping.Register(_engine.Wake);
        _inbox.Enqueue(request);
        _engine.Wake();
        return request.Done.Task;
    }

    private void Run()
    {
        var done = new List<ProbeCompletion>();
        var pending = new Dictionary<int, Request>();
        var next = 0;
        while (!_stopping)
        {
            while (_inbox.TryDequeue(out var request))
            {
                var id = next++;
                var key = new RealServerKey(VirtualServerKey.Mark((uint)id), request.Probe.Settings.Target);
                if (_engine.Start(key, request.Probe, TimeSpan.Zero, _clock.Now, done) is { } shortage)
                    request.Done.TrySetResult(CheckResult.Failed(shortage, TimeSpan.Zero));
                else pending[id] = request;
            }
            foreach (var (id, request) in pending)
                if (request.Stopping.IsCancellationRequested)
                {
                    var key = new RealServerKey(VirtualServerKey.Mark((uint)id), request.Probe.Settings.Target);
                    _engine.Abandon(k => k == key);
                    done.Add(new ProbeCompletion(key, Checkers.Probe.Stopped(TimeSpan.Zero), TimeSpan.Zero));
                }
            var timeout = -1;
            if (_engine.NextDeadline is { } at)
                timeout = (int)Math.Clamp(Math.Ceiling((at - _clock.Now).TotalMilliseconds), 0, int.MaxValue);
            if (done.Count == 0) _engine.Wait(timeout, done, out _);
            _engine.Expire(_engine.Now, done);
            foreach (var c in done)
                if (pending.Remove((int)c.Key.Service.Fwmark, out var request))
                    request.Done.TrySetResult(c.Result);
            done.Clear();
        }
    }

    public void Dispose()
    {
        _stopping = true;
        _engine.Wake();
        _thread.Join();
        _engine.Dispose();
    }

    private sealed record Request(NativeProbe Probe, TaskCompletionSource<CheckResult> Done, CancellationToken Stopping);
}
