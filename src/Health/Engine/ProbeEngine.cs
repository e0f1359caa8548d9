using System.Net;
using Appliance.Core;
using Appliance.Health.Checkers;
using Appliance.Interop;

namespace Appliance.Health.Engine;

/// <summary>
/// What a TCP_CHECK or HTTP_GET of one real server needs on every probe, computed once per
/// configuration: the socket address bytes, the optional source address, the HTTP plan and the
/// wording of its reasons.
/// </summary>
public sealed class NativeProbe
{
    public NativeProbe(CheckSettings settings)
    {
        if (!Supports(settings))
            throw new ArgumentException($"creating the probe of {settings.Target}: {settings.Kind} checks do not run on the epoll engine");
        Settings = settings;
        Family = settings.Target.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6 ? Libc.AF_INET6 : Libc.AF_INET;
        Address = Sockaddr.From(settings.Target);
        if (settings.BindTo is { } source)
        {
            if (source.AddressFamily != settings.Target.AddressFamily)
                throw new ArgumentException($"creating the probe of {settings.Target}: bindto {source} is not of the target's address family");
            Source = Sockaddr.From(new IPEndPoint(source, 0));
        }
        Http = settings.Kind == CheckKind.Http ? new HttpCheckPlan(settings) : null;
        Target = Http?.Target ?? settings.Target.ToString();
        NoAnswer = $"no answer from {Target} within {Probe.Seconds(settings.ConnectTimeout)} (connect_timeout)";
        Connected = $"connected to {Target} in ";
    }

    /// <summary>TCP_CHECK and plain HTTP_GET run on the engine; SSL_GET, MISC_CHECK and DNS_CHECK are <see cref="IChecker"/>s.</summary>
    public static bool Supports(CheckSettings settings) => settings.Kind is CheckKind.Tcp or CheckKind.Http;

    public CheckSettings Settings { get; }
    public int Family { get; }
    public byte[] Address { get; }
    public byte[]? Source { get; }
    public HttpCheckPlan? Http { get; }
    public string Target { get; }
    /// <summary>The reason of a connect that got no answer within connect_timeout, formatted once.</summary>
    public string NoAnswer { get; }
    /// <summary>"connected to 10.0.0.12:80 in ", the start of a TCP_CHECK success.</summary>
    public string Connected { get; }

    /// <summary>
    /// Whether the last connect to this server was complete when connect(2) returned (a server on
    /// this host or one veth away: the kernel runs the handshake within the call). Then the next
    /// probe tries its first step at once instead of waiting for the readiness edge; otherwise it
    /// tries only every <see cref="ProbeEngine.RetryAtOnceEvery"/>th probe, to notice a change.
    /// </summary>
    internal bool ConnectsAtOnce { get; set; } = true;
    internal int ProbesSinceTried { get; set; }
}

/// <summary>A finished probe, handed to the health loop.</summary>
public readonly record struct ProbeCompletion(RealServerKey Key, CheckResult Result, TimeSpan Late);

/// <summary>
/// TCP_CHECK and HTTP_GET without the managed socket stack: non-blocking sockets in one epoll
/// instance owned by the health loop's thread, each probe a small state machine in a reusable
/// slot, deadlines in a priority queue the loop expires. A healthy HTTP check costs about seven
/// system calls (socket, connect, epoll_ctl, send, recv, setsockopt, close) plus its share of one
/// epoll_wait, and no thread hop, timer or task. Everything but <see cref="Wake"/> must be called
/// from the one thread that owns the engine.
/// </summary>
/// <remarks>
/// Sockets are registered edge-triggered for in, out and peer-close at once, so a probe is added
/// once and never modified; with edge triggering every readiness is read until EAGAIN. A probe
/// that has its verdict before the server closed is closed with RST (SO_LINGER 0), as HAProxy
/// closes its checks: 10,000 probes a second would otherwise leave hundreds of thousands of
/// TIME_WAIT sockets on the director.
/// </remarks>
public sealed class ProbeEngine : IDisposable
{
    private const ulong WakeToken = ulong.MaxValue;
    private const int Batch = 256;
    private const uint Interest = Libc.EPOLLIN | Libc.EPOLLOUT | Libc.EPOLLRDHUP | Libc.EPOLLET;

    private readonly IClock _clock;
    private readonly int _epoll;
    private readonly int _wake;
    private readonly List<Slot> _slots = new();
    private readonly Stack<int> _free = new();
    private readonly PriorityQueue<ulong, TimeSpan> _deadlines = new();
    private readonly epoll_event[] _events = new epoll_event[Batch];
    private readonly byte[] _counter = new byte[8];
    private bool _disposed;
    /// <summary>The clock's value when the current batch of work began: read once per wake-up, not per probe (under emulation a clock read can cost as much as a system call).</summary>
    private TimeSpan _now;

    public ProbeEngine(IClock clock)
    {
        _clock = clock;
        _epoll = Libc.epoll_create1(Libc.EPOLL_CLOEXEC);
        if (_epoll < 0) throw ErrnoException.FromLast("creating the health checker's epoll instance");
        _wake = Libc.eventfd(0, Libc.EFD_CLOEXEC | Libc.EFD_NONBLOCK);
        if (_wake < 0)
        {
            var e = ErrnoException.FromLast("creating the health checker's wake-up eventfd");
            Libc.close(_epoll);
            throw e;
        }
        if (Libc.epoll_ctl(_epoll, Libc.EPOLL_CTL_ADD, _wake, Libc.EPOLLIN, WakeToken) < 0)
        {
            var e = ErrnoException.FromLast("adding the wake-up eventfd to the health checker's epoll instance");
            Dispose();
            throw e;
        }
    }

    /// <summary>The time read when the last <see cref="Wait"/> returned.</summary>
    public TimeSpan Now => _now;

    /// <summary>Probes in flight.</summary>
    public int InFlight { get; private set; }

    /// <summary>The earliest deadline of a probe in flight.</summary>
    public TimeSpan? NextDeadline
    {
        get
        {
            while (_deadlines.TryPeek(out var token, out var at))
            {
                if (Live(token) is not null) return at;
                _deadlines.Dequeue();
            }
            return null;
        }
    }

    /// <summary>Makes a running or the next <see cref="Wait"/> return at once. Any thread.</summary>
    public void Wake()
    {
        Span<byte> one = stackalloc byte[8];
        one.Clear();
        one[0] = 1; // eventfd counters are host-endian 64-bit; x86_64 and arm64 are little-endian
        Libc.write(_wake, one); // EAGAIN only when the counter is about to overflow: it is already set
    }

    /// <summary>
    /// Starts one probe. Returns null when it is under way (or finished at once: its completion is
    /// added to <paramref name="done"/>), or the reason it could not start because the director
    /// itself lacks a resource (descriptors, memory): that is no verdict on the real server.
    /// </summary>
    public string? Start(RealServerKey key, NativeProbe probe, TimeSpan late, TimeSpan now, List<ProbeCompletion> done)
    {
        _now = now;
        var fd = Libc.socket(probe.Family, Libc.SOCK_STREAM | Libc.SOCK_NONBLOCK | Libc.SOCK_CLOEXEC, 0);
        if (fd < 0) return $"creating a socket to check {probe.Target}: {Errno.Describe(Errno.Last)}";
        if (probe.Source is { } source && Libc.bind(fd, source) < 0)
        {
            var errno = Errno.Last;
            Libc.close(fd);
            done.Add(new ProbeCompletion(key, CheckResult.Failed($"binding the check of {probe.Target} to {probe.Settings.BindTo} (bindto) failed: {Errno.Describe(errno)}", TimeSpan.Zero), late));
            return null;
        }
        var connecting = Libc.connect(fd, probe.Address) < 0;
        if (connecting)
        {
            var errno = Errno.Last;
            if (errno != Libc.EINPROGRESS)
            {
                Libc.close(fd);
                if (IsLocalShortage(errno)) return $"connecting to {probe.Target}: {Errno.Describe(errno)}";
                done.Add(new ProbeCompletion(key, CheckResult.Failed(ConnectFailed(probe, errno), TimeSpan.Zero), late));
                return null;
            }
        }

        var index = _free.Count > 0 ? _free.Pop() : Add();
        var slot = _slots[index];
        slot.Begin(fd, key, probe, late, now);
        if ((!connecting || TryAtOnce(probe)) && AtOnce(index, slot, connecting, done))
            return null; // judged already (TCP_CHECK connected, or an immediate refusal)
        var token = Token(index, slot.Generation);
        // Once the request is out only the answer matters: no EPOLLOUT, whose initial report would
        // be one wake-up for nothing.
        var interest = slot.State == ProbeState.Reading ? Libc.EPOLLIN | Libc.EPOLLRDHUP | Libc.EPOLLET : Interest;
        if (Libc.epoll_ctl(_epoll, Libc.EPOLL_CTL_ADD, fd, interest, token) < 0)
        {
            var errno = Errno.Last;
            Release(index, slot, rst: false);
            return $"adding the check of {probe.Target} to the epoll instance: {Errno.Describe(errno)}";
        }
        InFlight++;
        _deadlines.Enqueue(token, now + probe.Settings.ConnectTimeout);
        // A connect that completed at once (loopback may) is reported by epoll_ctl's initial poll.
        return null;
    }

    /// <summary>
    /// Waits up to <paramref name="timeoutMs"/> (-1: until something happens) for socket readiness
    /// or <see cref="Wake"/>, and advances the probes that are ready; finished ones go to
    /// <paramref name="done"/>. Returns false when the wait was cut short by an error other than
    /// EINTR (which the caller logs).
    /// </summary>
    public bool Wait(int timeoutMs, List<ProbeCompletion> done, out int errno)
    {
        errno = 0;
        var n = Libc.epoll_wait(_epoll, _events, timeoutMs);
        _now = _clock.Now;
        if (n < 0)
        {
            errno = Errno.Last;
            return errno == Libc.EINTR;
        }
        for (var i = 0; i < n; i++)
        {
            var ev = _events[i];
            if (ev.data == WakeToken)
            {
                Libc.read(_wake, _counter);
                continue;
            }
            var index = (int)(uint)ev.data;
            if (Live(ev.data) is { } slot) Advance(index, slot, ev.events, done);
        }
        // A full batch may have left readiness unreported; collect it before any deadline is
        // judged, so that an answer that arrived in time never counts as a timeout.
        if (n == _events.Length) return Wait(0, done, out errno);
        return true;
    }

    /// <summary>Fails every probe whose connect_timeout has passed.</summary>
    public void Expire(TimeSpan now, List<ProbeCompletion> done)
    {
        _now = now;
        while (_deadlines.TryPeek(out var token, out var at) && at <= now)
        {
            _deadlines.Dequeue();
            if (Live(token) is not { } slot) continue;
            var reason = slot.State == ProbeState.Connecting ? slot.Probe.NoAnswer : slot.Probe.Http!.TimedOut(slot.Reader!.Phase);
            Finish((int)(uint)token, slot, CheckResult.Failed(reason, _now - slot.Start), done, rst: true);
        }
    }

    /// <summary>Closes the probes of the servers <paramref name="which"/> selects, without a verdict.</summary>
    public void Abandon(Func<RealServerKey, bool> which)
    {
        for (var i = 0; i < _slots.Count; i++)
            if (_slots[i].State != ProbeState.Idle && which(_slots[i].Key))
            {
                InFlight--;
                Release(i, _slots[i], rst: true);
            }
    }

    /// <summary>Closes every probe in flight without a verdict (the checker is stopping).</summary>
    public void AbandonAll()
    {
        for (var i = 0; i < _slots.Count; i++)
            if (_slots[i].State != ProbeState.Idle) Release(i, _slots[i], rst: true);
        InFlight = 0;
        _deadlines.Clear();
    }

    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        AbandonAll();
        foreach (var slot in _slots) slot.Reader?.Dispose();
        if (_wake >= 0) Libc.close(_wake);
        Libc.close(_epoll);
    }

    /// <summary>Every how many probes a server whose connects did not complete at once is tried again.</summary>
    internal const int RetryAtOnceEvery = 64;

    private static bool TryAtOnce(NativeProbe probe)
    {
        if (probe.ConnectsAtOnce) return true;
        if (++probe.ProbesSinceTried < RetryAtOnceEvery) return false;
        probe.ProbesSinceTried = 0;
        return true;
    }

    /// <summary>
    /// The first step without waiting for readiness, for a connect that may already be complete:
    /// TCP_CHECK asks connect(2) again (EISCONN: established), HTTP_GET sends its request (EAGAIN:
    /// not yet). True when the probe was judged (and released); otherwise the slot's state says
    /// where it stands and the caller registers it with epoll.
    /// </summary>
    private bool AtOnce(int index, Slot slot, bool connecting, List<ProbeCompletion> done)
    {
        var probe = slot.Probe;
        if (probe.Http is null)
        {
            var errno = 0;
            if (connecting && Libc.connect(slot.Fd, probe.Address) < 0) errno = Errno.Last;
            if (errno is Libc.EALREADY or Libc.EINPROGRESS)
            {
                probe.ConnectsAtOnce = false;
                return false;
            }
            probe.ConnectsAtOnce = true;
            InFlight++; // judged before it was ever registered: Finish counts it out again
            var took = _now - slot.Start;
            Finish(index, slot, errno is 0 or Libc.EISCONN
                ? CheckResult.After(CheckStatus.Success, probe.Connected, took)
                : CheckResult.Failed(ConnectFailed(probe, errno), took), done, rst: errno is 0 or Libc.EISCONN);
            return true;
        }
        slot.State = ProbeState.Sending;
        slot.Reader ??= new HttpResponseReader();
        slot.Reader.Begin(probe.Http);
        var n = Libc.sendto(slot.Fd, probe.Http.Request, Libc.MSG_NOSIGNAL);
        if (n < 0)
        {
            var errno = Errno.Last;
            if (errno == Libc.EAGAIN)
            {
                probe.ConnectsAtOnce = false;
                slot.State = ProbeState.Connecting;
                return false;
            }
            probe.ConnectsAtOnce = true;
            InFlight++; // judged before it was ever registered: Finish counts it out again
            Finish(index, slot, CheckResult.Failed(errno is Libc.ECONNREFUSED or Libc.ETIMEDOUT or Libc.EHOSTUNREACH or Libc.ENETUNREACH
                ? ConnectFailed(probe, errno)
                : $"sending the HTTP request to {probe.Target} failed: {Errno.Describe(errno)}", _now - slot.Start), done, rst: false);
            return true;
        }
        probe.ConnectsAtOnce = true;
        slot.Sent = (int)n;
        if (slot.Sent == probe.Http.Request.Length) slot.State = ProbeState.Reading;
        return false;
    }

    private void Advance(int index, Slot slot, uint events, List<ProbeCompletion> done)
    {
        var probe = slot.Probe;
        if (slot.State == ProbeState.Connecting)
        {
            if ((events & (Libc.EPOLLERR | Libc.EPOLLHUP)) != 0)
            {
                Libc.getsockopt(slot.Fd, Libc.SOL_SOCKET, Libc.SO_ERROR, out int error);
                Finish(index, slot, CheckResult.Failed(ConnectFailed(probe, error == 0 ? Libc.ECONNRESET : error), _now - slot.Start), done, rst: false);
                return;
            }
            if ((events & Libc.EPOLLOUT) == 0) return;
            if (probe.Http is null)
            {
                var took = _now - slot.Start;
                Finish(index, slot, CheckResult.After(CheckStatus.Success, probe.Connected, took), done, rst: true);
                return;
            }
            slot.State = ProbeState.Sending;
            slot.Reader ??= new HttpResponseReader();
            slot.Reader.Begin(probe.Http);
        }
        if (slot.State == ProbeState.Sending)
        {
            var request = probe.Http!.Request.AsSpan(slot.Sent);
            var n = Libc.sendto(slot.Fd, request, Libc.MSG_NOSIGNAL);
            if (n < 0)
            {
                var errno = Errno.Last;
                if (errno == Libc.EAGAIN) return; // the next EPOLLOUT edge continues
                Finish(index, slot, CheckResult.Failed($"sending the HTTP request to {probe.Target} failed: {Errno.Describe(errno)}", _now - slot.Start), done, rst: true);
                return;
            }
            slot.Sent += (int)n;
            if (slot.Sent < probe.Http.Request.Length) return;
            slot.State = ProbeState.Reading;
            // The answer comes after the request; read now only if this readiness already said so
            // (a banner sent on connect, or a close), else wait for the EPOLLIN edge.
            if ((events & (Libc.EPOLLIN | Libc.EPOLLRDHUP | Libc.EPOLLHUP | Libc.EPOLLERR)) == 0) return;
        }
        if ((events & (Libc.EPOLLIN | Libc.EPOLLRDHUP | Libc.EPOLLHUP | Libc.EPOLLERR)) == 0) return;
        var reader = slot.Reader!;
        while (true)
        {
            var n = Libc.recv(slot.Fd, reader.Free.Span, 0);
            if (n > 0)
            {
                if (reader.Received((int)n, _now - slot.Start) is { } verdict)
                {
                    Finish(index, slot, verdict, done, rst: true);
                    return;
                }
                continue;
            }
            if (n == 0)
            {
                Finish(index, slot, reader.Closed(_now - slot.Start), done, rst: false);
                return;
            }
            var errno = Errno.Last;
            if (errno == Libc.EAGAIN) return;
            if (errno == Libc.EINTR) continue;
            Finish(index, slot, CheckResult.Failed($"reading the HTTP response from {probe.Target} failed: {Errno.Describe(errno)}", _now - slot.Start), done, rst: false);
            return;
        }
    }

    private void Finish(int index, Slot slot, CheckResult result, List<ProbeCompletion> done, bool rst)
    {
        done.Add(new ProbeCompletion(slot.Key, result, slot.Late));
        InFlight--;
        Release(index, slot, rst);
    }

    private void Release(int index, Slot slot, bool rst)
    {
        if (rst) Libc.setsockopt(slot.Fd, Libc.SOL_SOCKET, Libc.SO_LINGER, new linger { l_onoff = 1, l_linger = 0 });
        Libc.close(slot.Fd); // also leaves the epoll set
        slot.End();
        _free.Push(index);
    }

    private int Add()
    {
        _slots.Add(new Slot());
        return _slots.Count - 1;
    }

    private Slot? Live(ulong token)
    {
        var index = (int)(uint)token;
        if (index >= _slots.Count) return null;
        var slot = _slots[index];
        return slot.State != ProbeState.Idle && slot.Generation == (uint)(token >> 32) ? slot : null;
    }

    private static ulong Token(int index, uint generation) => (ulong)generation << 32 | (uint)index;

    /// <summary>Errors that say the director is short of something, not that the server failed.</summary>
    private static bool IsLocalShortage(int errno) => errno is Libc.ENOBUFS or Libc.ENOMEM or Libc.EAGAIN or Libc.EADDRNOTAVAIL;

    private static string ConnectFailed(NativeProbe probe, int errno) => errno switch
    {
        Libc.ECONNREFUSED => $"connect to {probe.Target} refused",
        Libc.ETIMEDOUT => probe.NoAnswer,
        _ => $"connect to {probe.Target} failed: {Errno.Describe(errno)}",
    };

    private enum ProbeState { Idle, Connecting, Sending, Reading }

    /// <summary>One probe in flight; reused, with its response buffer, by the next.</summary>
    private sealed class Slot
    {
        public ProbeState State;
        public uint Generation;
        public int Fd = -1;
        public RealServerKey Key;
        public NativeProbe Probe = null!;
        public TimeSpan Late;
        public TimeSpan Start;
        public int Sent;
        public HttpResponseReader? Reader;

        public void Begin(int fd, RealServerKey key, NativeProbe probe, TimeSpan late, TimeSpan start)
        {
            Generation++;
            State = ProbeState.Connecting;
            Fd = fd;
            Key = key;
            Probe = probe;
            Late = late;
            Start = start;
            Sent = 0;
        }

        public void End()
        {
            State = ProbeState.Idle;
            Fd = -1;
            Probe = null!;
        }
    }
}
