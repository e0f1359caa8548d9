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

/// <summary>Builds the checker of SSL_GET, MISC_CHECK and DNS_CHECK (the kinds that run as tasks).</summary>
public static class CheckerFactory
{
    public static IChecker Create(CheckSettings settings) => settings.Kind switch
    {
        CheckKind.Https => new HttpChecker(settings),
        CheckKind.Script => new ScriptChecker(settings),
        CheckKind.Dns => new DnsChecker(settings),
        // TCP_CHECK and HTTP_GET run on the health loop's epoll engine (Engine/ProbeEngine), or on a ProbeRunner.
        _ => throw new ArgumentOutOfRangeException(nameof(settings), settings.Kind, $"creating a checker for {settings.Target}: {settings.Kind} checks run on the epoll engine, not as an IChecker"),
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
