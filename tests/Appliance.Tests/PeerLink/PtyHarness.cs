using System.Collections.Concurrent;
using System.Diagnostics;
using Appliance.Core;
using Appliance.Logging;
using Appliance.PeerLink;

namespace Appliance.Tests.PeerLink;

/// <summary>A null-modem cable made of two ptys joined by socat (the real tty layer, not a fake).</summary>
internal sealed class SocatCable : IDisposable
{
    private Process? _socat;
    public string Dir { get; }
    public string A => _links + "A";
    public string B => _links + "B";
    private readonly bool _loop;
    private readonly string _links;

    /// <summary>
    /// <paramref name="loop"/>: one pty whose other end echoes everything back (socat PIPE), like a loopback plug.
    /// <paramref name="linkPrefix"/>: where socat's symlinks to the two ptys go (PREFIX + "A"/"B"; default in
    /// <see cref="Dir"/>); the daemon's configuration accepts only device paths under /dev/.
    /// </summary>
    public SocatCable(bool loop = false, string? linkPrefix = null)
    {
        Dir = Directory.CreateTempSubdirectory("appliance-pty-").FullName;
        _loop = loop;
        _links = linkPrefix ?? Path.Combine(Dir, "tty");
        Start();
    }

    public void Start()
    {
        var args = _loop
            ? $"-d -d pty,raw,echo=0,link={A} PIPE"
            : $"-d -d pty,raw,echo=0,link={A} pty,raw,echo=0,link={B}";
        _socat = Process.Start(new ProcessStartInfo("socat", args) { RedirectStandardError = true, RedirectStandardOutput = true })
            ?? throw new InvalidOperationException("socat did not start (install-deps.sh host)");
        _socat.ErrorDataReceived += (_, _) => { };
        _socat.BeginErrorReadLine();
        Wait.Until(() => File.Exists(A) && (_loop || File.Exists(B)), TimeSpan.FromSeconds(10), $"socat did not create the pty links in {Dir}");
    }

    /// <summary>Pulls the cable: socat exits, both pty masters close, the ports see hang-up/EIO.</summary>
    public void Stop()
    {
        if (_socat is { HasExited: false })
        {
            _socat.Kill();
            _socat.WaitForExit(10_000);
        }
        _socat?.Dispose();
        _socat = null;
        File.Delete(A);
        File.Delete(B);
    }

    public void Dispose()
    {
        Stop();
        try { Directory.Delete(Dir, true); } catch (IOException) { }
    }
}

internal static class Wait
{
    /// <summary>Polls <paramref name="condition"/> every 5 ms until true or <paramref name="bound"/> passes (then fails with <paramref name="what"/>).</summary>
    public static TimeSpan Until(Func<bool> condition, TimeSpan bound, string what)
    {
        var sw = Stopwatch.StartNew();
        while (!condition())
        {
            if (sw.Elapsed > bound) throw new TimeoutException($"after {bound.TotalSeconds:0.##} s: {what}");
            Thread.Sleep(5);
        }
        return sw.Elapsed;
    }
}

internal sealed class ListLog : ILog
{
    public ConcurrentQueue<string> Lines { get; } = new();
    public bool IsEnabled(LogLevel level) => true;
    public void Write(LogLevel level, string component, string message) => Lines.Enqueue($"{level} {component}: {message}");
}

/// <summary>A PeerLink endpoint running its own loop on a thread, as the daemon will.</summary>
internal sealed class RunningEndpoint : IDisposable
{
    private readonly CancellationTokenSource _stop = new();
    private readonly Thread _thread;
    public PeerLinkEndpoint Endpoint { get; }
    public ListLog Log { get; } = new();
    public ConcurrentQueue<PeerCommand> Commands { get; } = new();
    private volatile LocalStatus _local;

    public RunningEndpoint(string device, uint nodeId, PeerLinkKey key, ulong bootId, NodeRole role,
        TimeSpan? interval = null, TimeSpan? deadTime = null)
    {
        _local = SessionTests.Status(role);
        var options = new PeerLinkOptions
        {
            NodeId = nodeId,
            Interval = interval ?? TimeSpan.FromMilliseconds(100),
            DeadTime = deadTime ?? TimeSpan.FromMilliseconds(400),
        };
        Endpoint = new PeerLinkEndpoint(new SerialPort(device), new PeerLinkSession(options, key, bootId), () => _local, Log,
            o => { if (o.NewCommand != PeerCommand.None) Commands.Enqueue(o.NewCommand); });
        _thread = new Thread(() => Endpoint.Run(new MonotonicClock(), _stop.Token)) { IsBackground = true, Name = $"peerlink-{nodeId}" };
        _thread.Start();
    }

    public PeerLinkStatus Status => Endpoint.Status;

    public void Dispose()
    {
        _stop.Cancel();
        if (!_thread.Join(TimeSpan.FromSeconds(10))) throw new TimeoutException("peer link loop did not stop within 10 s");
        Endpoint.Dispose();
    }
}
