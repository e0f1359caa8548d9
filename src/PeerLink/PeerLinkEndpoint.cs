using Appliance.Core;
using Appliance.Logging;

namespace Appliance.PeerLink;

/// <summary>State of our side of the serial link.</summary>
public enum PortState { Closed, Open, Failed }

/// <summary>An immutable snapshot of the link for the operator (status command) and other threads.</summary>
public sealed record PeerLinkStatus(
    string Device,
    PortState Port,
    string? LastError,
    bool PeerAlive,
    bool HandshakePending,
    PeerMessage? LastMessage,
    TimeSpan? LastHeard,
    PeerLinkCounters Counters);

/// <summary>
/// The thin I/O shell of the serial heartbeat: a <see cref="SerialPort"/>, a
/// <see cref="FrameDecoder"/> and the pure <see cref="PeerLinkSession"/>.
///
/// Loop design: the port is non-blocking and poll-driven. The shell exposes <see cref="Fd"/>,
/// <see cref="NextDeadline"/>, <see cref="OnReadable"/> and <see cref="OnTimer"/> so the daemon's
/// single event loop (epoll) can drive it together with VRRP, with no extra thread and no lock
/// around the session. <see cref="Run"/> is the same loop on its own (one thread that owns the
/// endpoint), used until the daemon loop exists and by the host tests. A dedicated blocking
/// reader thread was rejected: it would need a lock or a queue into the core, and a reader
/// blocked in read() cannot notice that the loop it posts to has hung.
///
/// On a port error (EIO, hang-up: a USB-serial adapter unplugged, the pty's other end closed)
/// the port is closed and reopened with exponential back-off (100 ms to 5 s), counted and logged
/// once per state change, so a missing cable never floods the log.
/// </summary>
public sealed class PeerLinkEndpoint : IDisposable
{
    private static readonly TimeSpan MinBackoff = TimeSpan.FromMilliseconds(100);
    private static readonly TimeSpan MaxBackoff = TimeSpan.FromSeconds(5);

    private readonly SerialPort _port;
    private readonly PeerLinkSession _session;
    private readonly FrameDecoder _decoder = new();
    private readonly Func<LocalStatus> _localStatus;
    private readonly Action<ReceiveOutcome>? _onAccepted;
    private readonly ILog _log;
    private readonly byte[] _rx = new byte[512];
    private readonly byte[] _tx = new byte[Frame.MaxEncoded];
    private TimeSpan _reopenAt;
    private TimeSpan _backoff = MinBackoff;
    private PortState _state = PortState.Closed;
    private string? _lastError;
    private bool _wasAlive;
    private PeerLinkStatus _status;
    private readonly System.Collections.Concurrent.ConcurrentQueue<Action<TimeSpan>> _posted = new();

    public PeerLinkEndpoint(SerialPort port, PeerLinkSession session, Func<LocalStatus> localStatus, ILog log,
        Action<ReceiveOutcome>? onAccepted = null)
    {
        _port = port;
        _session = session;
        _localStatus = localStatus;
        _log = log;
        _onAccepted = onAccepted;
        _status = Snapshot(TimeSpan.Zero);
    }

    public PeerLinkSession Session => _session;
    public int Fd => _port.Fd;
    public PortState Port => _state;

    /// <summary>Latest snapshot; safe to read from any thread.</summary>
    public PeerLinkStatus Status => Volatile.Read(ref _status);

    /// <summary>The next instant <see cref="OnTimer"/> has something to do.</summary>
    public TimeSpan NextDeadline => _state == PortState.Open ? _session.NextSendDue : _reopenAt;

    /// <summary>Opens the port now (first start); failures are reported and retried by <see cref="OnTimer"/>.</summary>
    public void Start(TimeSpan now) => TryOpen(now);

    public void OnTimer(TimeSpan now)
    {
        if (_state != PortState.Open)
        {
            if (now >= _reopenAt) TryOpen(now);
        }
        else if (now >= _session.NextSendDue) SendHeartbeat(now);
        Publish(now);
    }

    /// <summary>Sends a frame at once (after <see cref="PeerLinkSession.Issue"/>, or a role change).</summary>
    public void SendNow(TimeSpan now)
    {
        if (_state == PortState.Open) SendHeartbeat(now);
        Publish(now);
    }

    public void OnReadable(TimeSpan now)
    {
        if (_state != PortState.Open) return;
        try
        {
            int n;
            while ((n = _port.Read(_rx)) > 0)
            {
                _session.Counters.CountBytesIn(n);
                for (int i = 0; i < n; i++)
                {
                    switch (_decoder.Push(_rx[i]))
                    {
                        case FrameStatus.Frame:
                            var outcome = _session.Receive(_decoder.Payload, now);
                            if (outcome.Accepted) _onAccepted?.Invoke(outcome);
                            else LogReject(outcome.Reason);
                            break;
                        case FrameStatus.Rejected:
                            _session.CountFramingReject(_decoder.LastReject);
                            LogReject(_decoder.LastReject);
                            break;
                    }
                }
            }
        }
        catch (SerialPortException e)
        {
            Fail(now, e.Message);
        }
        Publish(now);
    }

    /// <summary>
    /// Queues work to run on the thread of <see cref="Run"/> (within 50 ms): the only way another
    /// thread may touch the session, e.g. <c>Post(now => { Session.Issue(cmd, now); SendNow(now); })</c>.
    /// </summary>
    public void Post(Action<TimeSpan> work) => _posted.Enqueue(work);

    /// <summary>
    /// Runs the endpoint's own poll loop on the calling thread until cancelled; <paramref name="loopTurn"/>
    /// is told of every turn (at least every 50 ms: the watchdog's evidence that the link's loop is alive).
    /// </summary>
    public void Run(IClock clock, CancellationToken cancel, Action<TimeSpan>? loopTurn = null)
    {
        Start(clock.Now);
        while (!cancel.IsCancellationRequested)
        {
            var now = clock.Now;
            // Wake at least every 50 ms to notice cancellation.
            int wait = (int)Math.Clamp((NextDeadline - now).TotalMilliseconds, 0, 50);
            if (_state == PortState.Open)
            {
                bool readable;
                try { readable = _port.WaitReadable(wait); }
                catch (SerialPortException e) { Fail(clock.Now, e.Message); continue; }
                if (readable) OnReadable(clock.Now);
            }
            else if (wait > 0) cancel.WaitHandle.WaitOne(wait);
            while (_posted.TryDequeue(out var work)) work(clock.Now);
            OnTimer(clock.Now);
            loopTurn?.Invoke(clock.Now);
        }
    }

    private void SendHeartbeat(TimeSpan now)
    {
        int n = _session.WriteHeartbeat(now, _localStatus(), _tx);
        try
        {
            _port.Write(_tx.AsSpan(0, n));
        }
        catch (SerialPortException e)
        {
            Fail(now, e.Message);
        }
    }

    private void TryOpen(TimeSpan now)
    {
        try
        {
            _port.Open();
            _session.Counters.CountOpen();
            if (_state == PortState.Failed) _log.Notice("peerlink", $"serial port {_port.Path} reopened at {_port.Baud} baud after: {_lastError}");
            else _log.Info("peerlink", $"serial port {_port.Path} open at {_port.Baud} baud 8N1");
            _state = PortState.Open;
            _backoff = MinBackoff;
            _lastError = null;
            SendHeartbeat(now);
        }
        catch (SerialPortException e)
        {
            Fail(now, e.Message);
        }
    }

    private void Fail(TimeSpan now, string error)
    {
        _port.Close();
        _session.Counters.CountPortError();
        if (_state != PortState.Failed || error != _lastError)
            _log.Warning("peerlink", $"{error}; retrying in {_backoff.TotalMilliseconds:0} ms and backing off up to {MaxBackoff.TotalSeconds:0} s");
        _state = PortState.Failed;
        _lastError = error;
        _reopenAt = now + _backoff;
        _backoff = TimeSpan.FromTicks(Math.Min(MaxBackoff.Ticks, _backoff.Ticks * 2));
    }

    private void LogReject(RejectReason reason)
    {
        // Counted always; logged at debug only — a noisy line must not flood the log. Echo and
        // duplicate node id are configuration/cabling faults the operator must see: notice,
        // but only the first of each (the counters tell the rest).
        if (reason is RejectReason.Echo or RejectReason.DuplicateNodeId && _session.Counters.Rejected(reason) == 1)
            _log.Notice("peerlink", reason == RejectReason.Echo
                ? $"serial port {_port.Path}: receiving our own frames: the cable loops back"
                : $"serial port {_port.Path}: another node uses our node id {_session.NodeId}");
        else _log.Debug("peerlink", $"serial port {_port.Path}: dropped a frame: {PeerLinkCounters.ToKebab(reason)}");
    }

    private void Publish(TimeSpan now)
    {
        var status = Snapshot(now);
        if (status.PeerAlive != _wasAlive)
        {
            _log.Notice("peerlink", status.PeerAlive
                ? $"peer alive on {_port.Path}: {status.LastMessage}"
                : $"peer silent on {_port.Path} for {_session.Options.DeadTime.TotalMilliseconds:0} ms (dead time)");
            _wasAlive = status.PeerAlive;
        }
        Volatile.Write(ref _status, status);
    }

    private PeerLinkStatus Snapshot(TimeSpan now)
    {
        var view = _session.View(now);
        return new PeerLinkStatus(_port.Path, _state, _lastError, view.Alive, view.HandshakePending, view.Last, view.LastHeard, _session.Counters);
    }

    public void Dispose() => _port.Dispose();
}
