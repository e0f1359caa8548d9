using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace Appliance.Health.Checkers;

/// <summary>
/// One probe of one real server. Implementations are asynchronous end to end (the runtime's
/// epoll engine, no thread per check), never throw (every failure becomes a
/// <see cref="CheckResult"/> with a reason), and finish within <see cref="CheckSettings.ConnectTimeout"/>
/// plus scheduling slack.
/// </summary>
public interface IChecker
{
    Task<CheckResult> CheckAsync(CancellationToken stopping);
}

/// <summary>Builds the checker for a real server's settings.</summary>
public static class CheckerFactory
{
    public static IChecker Create(CheckSettings settings) => settings.Kind switch
    {
        CheckKind.Tcp => new TcpChecker(settings),
        CheckKind.Http or CheckKind.Https => new HttpChecker(settings),
        CheckKind.Script => new ScriptChecker(settings),
        CheckKind.Dns => new DnsChecker(settings),
        _ => throw new ArgumentOutOfRangeException(nameof(settings), settings.Kind, "creating a checker: unknown check kind"),
    };
}

/// <summary>Shared pieces: timing, connecting with a deadline, and the wording of reasons.</summary>
internal static class Probe
{
    public static long Start() => Stopwatch.GetTimestamp();
    public static TimeSpan Since(long start) => Stopwatch.GetElapsedTime(start);

    public static string Ms(TimeSpan t) => t.TotalMilliseconds < 10
        ? $"{t.TotalMilliseconds:0.#} ms"
        : $"{Math.Round(t.TotalMilliseconds):0} ms";

    public static string Seconds(TimeSpan t) => t.TotalSeconds >= 1 && t.TotalSeconds == Math.Floor(t.TotalSeconds)
        ? $"{t.TotalSeconds:0} s"
        : $"{t.TotalMilliseconds:0} ms";

    /// <summary>A token cancelled at the check's deadline or when the daemon stops.</summary>
    public static CancellationTokenSource Deadline(TimeSpan timeout, CancellationToken stopping)
    {
        var cts = CancellationTokenSource.CreateLinkedTokenSource(stopping);
        cts.CancelAfter(timeout);
        return cts;
    }

    public static Socket NewStreamSocket(CheckSettings s)
    {
        // No TCP_NODELAY: the request is one write, which Nagle never holds back; one syscall less per check.
        var socket = new Socket(s.Target.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        if (s.BindTo is { } source) socket.Bind(new IPEndPoint(source, 0));
        return socket;
    }

    /// <summary>Connects or returns the failure sentence; null on success.</summary>
    public static async Task<string?> ConnectAsync(Socket socket, CheckSettings s, CancellationToken deadline, CancellationToken stopping)
    {
        try
        {
            await socket.ConnectAsync(s.Target, deadline).ConfigureAwait(false);
            return null;
        }
        catch (OperationCanceledException) when (!stopping.IsCancellationRequested)
        {
            return $"no answer from {s.Target} within {Seconds(s.ConnectTimeout)} (connect_timeout)";
        }
        catch (OperationCanceledException)
        {
            return "check abandoned: the health checker is stopping"; // callers see stopping and report Stopped
        }
        catch (SocketException e)
        {
            return e.SocketErrorCode switch
            {
                SocketError.ConnectionRefused => $"connect to {s.Target} refused",
                SocketError.TimedOut => $"no answer from {s.Target} within {Seconds(s.ConnectTimeout)} (connect_timeout)",
                _ => $"connect to {s.Target} failed: {e.Message} ({e.SocketErrorCode})",
            };
        }
    }

    public static CheckResult Stopped(TimeSpan took) => CheckResult.Failed("check abandoned: the health checker is stopping", took);
}

/// <summary>TCP_CHECK: a completed three-way handshake is healthy.</summary>
public sealed class TcpChecker(CheckSettings settings) : IChecker
{
    public async Task<CheckResult> CheckAsync(CancellationToken stopping)
    {
        var start = Probe.Start();
        using var deadline = Probe.Deadline(settings.ConnectTimeout, stopping);
        using var socket = Probe.NewStreamSocket(settings);
        var failure = await Probe.ConnectAsync(socket, settings, deadline.Token, stopping).ConfigureAwait(false);
        var took = Probe.Since(start);
        if (stopping.IsCancellationRequested) return Probe.Stopped(took);
        if (failure is not null) return CheckResult.Failed(failure, took);
        // Close with RST (linger 0): 10,000 probes a second would otherwise leave hundreds of
        // thousands of TIME_WAIT sockets on the director (HAProxy's TCP checks do the same).
        socket.LingerState = new LingerOption(true, 0);
        return CheckResult.Ok($"connected to {settings.Target} in {Probe.Ms(took)}", took);
    }
}
