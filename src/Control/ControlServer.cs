using System.Net.Sockets;
using Appliance.Logging;

namespace Appliance.Control;

/// <summary>Bounds of the control socket: what one client may cost the daemon.</summary>
public sealed record ControlServerOptions
{
    /// <summary>Clients served at once; one more is answered "ERROR busy" and closed.</summary>
    public int MaxClients { get; init; } = 8;

    /// <summary>How long a client may take to send its request line.</summary>
    public TimeSpan ReadTimeout { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>How long the daemon's parts may take to answer (the health checker and the VRRP thread answer through their own queues).</summary>
    public TimeSpan AnswerTimeout { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>How long a client may take to read the reply; a client that stops reading is dropped.</summary>
    public TimeSpan WriteTimeout { get; init; } = TimeSpan.FromSeconds(10);
}

/// <summary>What the control socket has seen; written by its I/O tasks with Interlocked, readable from any thread.</summary>
public sealed class ControlCounters
{
    private long _connections, _answered, _badRequests, _busy, _timedOut, _failed;

    public long Connections => Interlocked.Read(ref _connections);
    public long Answered => Interlocked.Read(ref _answered);
    public long BadRequests => Interlocked.Read(ref _badRequests);
    public long Busy => Interlocked.Read(ref _busy);
    public long TimedOut => Interlocked.Read(ref _timedOut);
    public long Failed => Interlocked.Read(ref _failed);

    internal void Connection() => Interlocked.Increment(ref _connections);
    internal void Answer() => Interlocked.Increment(ref _answered);
    internal void BadRequest() => Interlocked.Increment(ref _badRequests);
    internal void Refused() => Interlocked.Increment(ref _busy);
    internal void TimeOut() => Interlocked.Increment(ref _timedOut);
    internal void Fail() => Interlocked.Increment(ref _failed);

    public override string ToString() =>
        $"{Connections} connections, {Answered} answered, {BadRequests} bad requests, {Busy} refused busy, {TimedOut} timed out, {Failed} failed";
}

/// <summary>
/// The daemon's control socket: a unix stream socket, mode 0600 (only root, who runs the daemon,
/// can connect), one request line per connection (<see cref="ControlProtocol"/>). All socket I/O is
/// asynchronous on the thread pool with a deadline per phase, so a slow or hostile client costs at
/// most one of <see cref="ControlServerOptions.MaxClients"/> slots for a bounded time and never the
/// daemon loop: the answer itself comes from <c>answer</c>, which posts the request into the loop
/// and completes when the loop (or the subsystem that owns the state) has answered.
/// </summary>
public sealed class ControlServer : IDisposable
{
    public const string Component = "control";

    private readonly Socket _listener;
    private readonly string _path;
    private readonly Func<ControlTopic, Task<ControlReply>> _answer;
    private readonly ILog _log;
    private readonly ControlServerOptions _options;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _accepting;
    private int _active;
    private int _refusing;

    private ControlServer(Socket listener, string path, Func<ControlTopic, Task<ControlReply>> answer, ILog log, ControlServerOptions options)
    {
        _listener = listener;
        _path = path;
        _answer = answer;
        _log = log;
        _options = options;
        _accepting = Task.Run(AcceptLoopAsync);
    }

    public string Path => _path;
    public ControlCounters Counters { get; } = new();

    /// <summary>
    /// Binds <paramref name="path"/> and starts serving. A socket file left by a dead daemon is
    /// replaced; one a live daemon answers on is left alone (this daemon then runs without a control
    /// socket: two daemons in one namespace need their own APPLIANCE_RUN_DIR). Failures are
    /// logged and return null: the director works without its control socket.
    /// </summary>
    public static ControlServer? Start(string path, Func<ControlTopic, Task<ControlReply>> answer, ILog log, ControlServerOptions? options = null)
    {
        Socket? listener = null;
        try
        {
            Directory.CreateDirectory(System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(path))!);
            if (File.Exists(path))
            {
                if (Answers(path))
                {
                    log.Error(Component, $"not serving the control socket {path}: another appliance daemon answers on it (give each daemon its own APPLIANCE_RUN_DIR)");
                    return null;
                }
                File.Delete(path); // left by a daemon that died without removing it
                log.Info(Component, $"removed the stale control socket {path}");
            }
            listener = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
            listener.Bind(new UnixDomainSocketEndPoint(path));
            // Restricted before listen(): until then a connect is refused whatever the file's mode.
            if (OperatingSystem.IsWindows()) throw new PlatformNotSupportedException("the control socket needs Linux");
            File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
            listener.Listen(16);
            log.Info(Component, $"serving {path} (status, health, sync, vrrp)");
            return new ControlServer(listener, path, answer, log, options ?? new ControlServerOptions());
        }
        catch (Exception e) when (e is SocketException or IOException or UnauthorizedAccessException or PlatformNotSupportedException)
        {
            listener?.Dispose();
            log.Error(Component, $"cannot serve the control socket {path}: {e.Message}; `appliance status` and `appliance health` will not reach this daemon");
            return null;
        }
    }

    private static bool Answers(string path)
    {
        using var probe = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        try
        {
            probe.Connect(new UnixDomainSocketEndPoint(path));
            return true;
        }
        catch (SocketException) { return false; }
    }

    private async Task AcceptLoopAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            Socket client;
            try { client = await _listener.AcceptAsync(_stop.Token).ConfigureAwait(false); }
            catch (OperationCanceledException) { return; }
            catch (ObjectDisposedException) { return; }
            catch (SocketException e)
            {
                // EMFILE and the like: count, breathe, go on; the daemon must not lose its socket to a burst.
                Counters.Fail();
                _log.Warning(Component, $"accepting a control connection on {_path}: {e.Message}");
                try { await Task.Delay(100, _stop.Token).ConfigureAwait(false); }
                catch (OperationCanceledException) { return; }
                continue;
            }
            Counters.Connection();
            if (Interlocked.Increment(ref _active) > _options.MaxClients)
            {
                Interlocked.Decrement(ref _active);
                Counters.Refused();
                _ = RefuseBusyAsync(client);
                continue;
            }
            _ = ServeAsync(client);
        }
    }

    /// <summary>
    /// Tells a client beyond the limit why it is refused. The refusal waits (bounded) for the client's
    /// close like a normal reply, or its unread request would reset the connection and the client would
    /// never see the reason; refusals in flight are bounded too, and beyond that a client is just closed.
    /// </summary>
    private async Task RefuseBusyAsync(Socket client)
    {
        try
        {
            using (client)
            {
                if (Interlocked.Increment(ref _refusing) > _options.MaxClients) return;
                try
                {
                    client.Blocking = false; // the reply fits any socket buffer; never wait to write it
                    client.Send(ControlProtocol.Encode(ControlReply.Failure($"busy: {_options.MaxClients} clients are being served; try again")));
                    client.Shutdown(SocketShutdown.Send);
                    await DrainAsync(client).ConfigureAwait(false);
                }
                catch (SocketException) { }
            }
        }
        finally { Interlocked.Decrement(ref _refusing); }
    }

    private async Task ServeAsync(Socket client)
    {
        var phase = "reading the request";
        try
        {
            using (client)
            {
                ControlReply reply;
                var (line, tooLong) = await ReadLineAsync(client).ConfigureAwait(false);
                if (tooLong)
                {
                    Counters.BadRequest();
                    reply = ControlReply.Failure($"request longer than {ControlProtocol.MaxRequestBytes} bytes");
                }
                else if (!ControlProtocol.TryParse(line, out var topic, out var error))
                {
                    Counters.BadRequest();
                    _log.Debug(Component, $"bad request: {error}");
                    reply = ControlReply.Failure(error);
                }
                else
                {
                    phase = $"answering '{ControlProtocol.Word(topic)}'";
                    try
                    {
                        reply = await _answer(topic).WaitAsync(_options.AnswerTimeout, _stop.Token).ConfigureAwait(false);
                    }
                    catch (TimeoutException)
                    {
                        Counters.TimeOut();
                        reply = ControlReply.Failure($"no answer from the daemon within {_options.AnswerTimeout.TotalSeconds:0} s to '{ControlProtocol.Word(topic)}'");
                    }
                    if (reply.Ok) Counters.Answer();
                }
                phase = "writing the reply";
                using var write = CancellationTokenSource.CreateLinkedTokenSource(_stop.Token);
                write.CancelAfter(_options.WriteTimeout);
                var bytes = ControlProtocol.Encode(reply);
                for (var sent = 0; sent < bytes.Length;)
                    sent += await client.SendAsync(bytes.AsMemory(sent), SocketFlags.None, write.Token).ConfigureAwait(false);
                client.Shutdown(SocketShutdown.Send);
                // Closing with unread bytes (a too-long request, bytes after the LF) makes the kernel reset the
                // peer, who would then lose the reply: wait for the client's close, draining a bounded amount.
                await DrainAsync(client).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (!_stop.IsCancellationRequested)
        {
            Counters.TimeOut();
            _log.Debug(Component, $"dropped a control client: too slow {phase}");
        }
        catch (OperationCanceledException) { }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
            Counters.Fail();
            _log.Debug(Component, $"control client gone while {phase}: {e.Message}");
        }
        finally { Interlocked.Decrement(ref _active); }
    }

    /// <summary>The request line without its LF; a client that closes its side after the word is fine too.</summary>
    private async Task<(byte[] Line, bool TooLong)> ReadLineAsync(Socket client)
    {
        using var read = CancellationTokenSource.CreateLinkedTokenSource(_stop.Token);
        read.CancelAfter(_options.ReadTimeout);
        var buffer = new byte[ControlProtocol.MaxRequestBytes];
        var filled = 0;
        while (filled < buffer.Length)
        {
            var n = await client.ReceiveAsync(buffer.AsMemory(filled), SocketFlags.None, read.Token).ConfigureAwait(false);
            if (n == 0) return (buffer[..filled], false);
            var eol = Array.IndexOf(buffer, (byte)'\n', filled, n);
            filled += n;
            if (eol >= 0) return (buffer[..eol], false);
        }
        return ([], true);
    }

    private async Task DrainAsync(Socket client)
    {
        using var drain = CancellationTokenSource.CreateLinkedTokenSource(_stop.Token);
        drain.CancelAfter(_options.ReadTimeout);
        var sink = new byte[4096];
        try
        {
            for (var total = 0; total < 64 * 1024;)
            {
                var n = await client.ReceiveAsync(sink, SocketFlags.None, drain.Token).ConfigureAwait(false);
                if (n == 0) return;
                total += n;
            }
        }
        catch (OperationCanceledException) { } // the reply is out; a client that neither reads nor closes is simply dropped
        catch (SocketException) { }
    }

    public void Dispose()
    {
        _stop.Cancel();
        _listener.Dispose();
        try { _accepting.Wait(TimeSpan.FromSeconds(2)); }
        catch (AggregateException) { }
        try { File.Delete(_path); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { _log.Warning(Component, $"removing {_path}: {e.Message}"); }
        // _stop is not disposed: clients still being served link their deadlines to its token.
    }
}
