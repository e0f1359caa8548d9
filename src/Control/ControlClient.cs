using System.Net.Sockets;
using System.Text;

namespace Appliance.Control;

/// <summary>No daemon answered on the control socket (none runs, or it is not ours to reach).</summary>
public sealed class DaemonUnreachableException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>
/// The operator verbs' side of the control socket: one connection per request, the reply read to
/// the daemon's close, with a deadline and a size bound (a reply is text for humans: 64 MB is
/// more than 10,000 real servers' table).
/// </summary>
public static class ControlClient
{
    public const int MaxReplyBytes = 64 * 1024 * 1024;

    /// <summary>The socket of the daemon that runs with this environment: $APPLIANCE_RUN_DIR/control, default /run/appliance/control.</summary>
    public static string DefaultPath => ControlPaths.Socket(Environment.GetEnvironmentVariable("APPLIANCE_RUN_DIR"));

    /// <summary>Asks the daemon; throws <see cref="DaemonUnreachableException"/> when none answers.</summary>
    public static ControlReply Ask(string path, ControlTopic topic, TimeSpan timeout)
    {
        using var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        using var deadline = new CancellationTokenSource(timeout);
        try
        {
            socket.ConnectAsync(new UnixDomainSocketEndPoint(path), deadline.Token).AsTask().GetAwaiter().GetResult();
        }
        catch (SocketException e)
        {
            // .NET maps ENOENT on a unix socket to AddressNotAvailable ("Cannot assign requested address"): say what it is.
            var why = File.Exists(path) ? Describe(e) : "no such file (ENOENT: no daemon has created it; a daemon started with APPLIANCE_RUN_DIR has its socket there)";
            throw new DaemonUnreachableException($"no appliance daemon is running: cannot connect to {path}: {why}", e);
        }
        catch (OperationCanceledException e)
        {
            throw new DaemonUnreachableException($"no appliance daemon answered: connecting to {path} took longer than {timeout.TotalSeconds:0} s", e);
        }
        try
        {
            socket.SendAsync(ControlProtocol.Request(topic), SocketFlags.None, deadline.Token).AsTask().GetAwaiter().GetResult();
            using var received = new MemoryStream();
            var buffer = new byte[64 * 1024];
            while (true)
            {
                var n = socket.ReceiveAsync(buffer, SocketFlags.None, deadline.Token).AsTask().GetAwaiter().GetResult();
                if (n == 0) break;
                if (received.Length + n > MaxReplyBytes)
                    throw new IOException($"asking the daemon on {path} for '{ControlProtocol.Word(topic)}': the reply exceeds {MaxReplyBytes / (1024 * 1024)} MB");
                received.Write(buffer, 0, n);
            }
            try { return ControlProtocol.Decode(Encoding.UTF8.GetString(received.GetBuffer(), 0, (int)received.Length)); }
            catch (FormatException e) { throw new IOException($"asking the daemon on {path} for '{ControlProtocol.Word(topic)}': {e.Message}", e); }
        }
        catch (SocketException e)
        {
            throw new IOException($"asking the daemon on {path} for '{ControlProtocol.Word(topic)}': {Describe(e)}", e);
        }
        catch (OperationCanceledException e)
        {
            throw new IOException($"asking the daemon on {path} for '{ControlProtocol.Word(topic)}': no complete reply within {timeout.TotalSeconds:0} s", e);
        }
    }

    private static string Describe(SocketException e) => e.SocketErrorCode switch
    {
        SocketError.ConnectionRefused => "connection refused (ECONNREFUSED: a stale socket, its daemon is gone)",
        SocketError.AccessDenied => "permission denied (EACCES: the control socket is root's only)",
        _ => $"{e.Message} ({e.SocketErrorCode})",
    };
}

/// <summary>Where a daemon keeps its per-run files.</summary>
public static class ControlPaths
{
    public const string DefaultRunDirectory = "/run/appliance";

    /// <summary>The run directory for a value of APPLIANCE_RUN_DIR (null or empty: the default).</summary>
    public static string RunDirectory(string? fromEnvironment) => string.IsNullOrEmpty(fromEnvironment) ? DefaultRunDirectory : fromEnvironment;

    public static string Socket(string? runDirectoryFromEnvironment) => System.IO.Path.Combine(RunDirectory(runDirectoryFromEnvironment), "control");
}
