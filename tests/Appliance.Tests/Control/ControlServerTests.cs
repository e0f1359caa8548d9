using System.Diagnostics;
using System.Net.Sockets;
using System.Text;
using Appliance.Control;
using Appliance.Tests.Daemon;
using Xunit;

namespace Appliance.Tests.Control;

/// <summary>
/// The control server on a real unix socket in a temporary directory: what a well-behaved, a slow,
/// a hostile and a non-reading client get, and what each costs the others.
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class ControlServerTests : IDisposable
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(10);
    private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("appliance-ctl-");
    private readonly ListLog _log = new();
    private string SocketPath => Path.Combine(_dir.FullName, "run", "control");

    public void Dispose() => _dir.Delete(recursive: true);

    private static Task<ControlReply> Echo(ControlTopic topic) => Task.FromResult(ControlReply.Success($"answer to {topic}\n"));

    private ControlServer Start(Func<ControlTopic, Task<ControlReply>>? answer = null, ControlServerOptions? options = null) =>
        ControlServer.Start(SocketPath, answer ?? Echo, _log, options) ?? throw new InvalidOperationException("not serving: " + string.Join("; ", _log.Lines));

    private Socket Connect()
    {
        var s = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        s.Connect(new UnixDomainSocketEndPoint(SocketPath));
        return s;
    }

    /// <summary>Sends raw bytes, reads to the server's close (a reset fails the test: the reply must arrive whole).</summary>
    private string Raw(byte[] request)
    {
        using var s = Connect();
        s.Send(request);
        return ReadToEnd(s);
    }

    private static string ReadToEnd(Socket s)
    {
        s.ReceiveTimeout = (int)Bound.TotalMilliseconds;
        var got = new MemoryStream();
        var buffer = new byte[4096];
        int n;
        while ((n = s.Receive(buffer)) > 0) got.Write(buffer, 0, n);
        return Encoding.UTF8.GetString(got.ToArray());
    }

    private static void WaitUntil(Func<bool> condition, string what)
    {
        var sw = Stopwatch.StartNew();
        while (!condition())
        {
            if (sw.Elapsed > Bound) Assert.Fail($"waited {Bound.TotalSeconds} s for {what}");
            Thread.Sleep(5);
        }
    }

    [Fact]
    public void Answers_each_topic_through_the_client_and_restricts_the_socket_to_its_owner()
    {
        using var server = Start();
        Assert.Equal("600", Convert.ToString((int)File.GetUnixFileMode(SocketPath), 8));
        foreach (var topic in Enum.GetValues<ControlTopic>())
            Assert.Equal(ControlReply.Success($"answer to {topic}\n"), ControlClient.Ask(SocketPath, topic, Bound));
        Assert.Equal(4, server.Counters.Answered);
        Assert.Equal(0, server.Counters.BadRequests);
    }

    [Fact]
    public void Bad_requests_are_answered_with_an_error_counted_and_the_server_goes_on()
    {
        using var server = Start();
        Assert.Equal("ERROR unknown request 'shutdown'; expected one of status, health, sync, vrrp\n", Raw("shutdown\n"u8.ToArray()));
        Assert.Equal("ERROR request is not printable ASCII (byte 0x01)\n", Raw([1, 2, 3, (byte)'\n']));
        // 64 KB of garbage: refused after 256 bytes, the rest drained, the reply arrives (no reset).
        Assert.Equal($"ERROR request longer than {ControlProtocol.MaxRequestBytes} bytes\n", Raw(Encoding.ASCII.GetBytes(new string('x', 64 * 1024))));
        // Bytes after the LF do not make the reply vanish either.
        Assert.Equal("OK\nanswer to Health\n", Raw("health\ntrailing junk"u8.ToArray()));
        Assert.Equal(3, server.Counters.BadRequests);
        Assert.Equal(ControlReply.Success("answer to Status\n"), ControlClient.Ask(SocketPath, ControlTopic.Status, Bound));
    }

    [Fact]
    public void A_client_that_says_nothing_holds_a_slot_only_until_its_deadline_and_others_are_served_meanwhile()
    {
        var deadline = TimeSpan.FromSeconds(2);
        using var server = Start(options: new ControlServerOptions { ReadTimeout = deadline });
        using var silent = Connect();
        WaitUntil(() => server.Counters.Connections == 1, "the silent client to be accepted");
        var sw = Stopwatch.StartNew();
        Assert.Equal(ControlReply.Success("answer to Sync\n"), ControlClient.Ask(SocketPath, ControlTopic.Sync, Bound));
        Assert.True(sw.Elapsed < deadline, $"the other client waited {sw.ElapsedMilliseconds} ms: as long as the silent one's deadline");
        // The silent one is dropped: its read sees the server's close.
        Assert.Equal("", ReadToEnd(silent));
        WaitUntil(() => server.Counters.TimedOut == 1, "the silent client to be counted as timed out");
    }

    [Fact]
    public void Beyond_MaxClients_a_client_is_told_busy_at_once()
    {
        using var server = Start(options: new ControlServerOptions { MaxClients = 1, ReadTimeout = TimeSpan.FromSeconds(5) });
        using var holder = Connect();
        WaitUntil(() => server.Counters.Connections == 1, "the first client to be accepted");
        Assert.Equal("ERROR busy: 1 clients are being served; try again\n", Raw("status\n"u8.ToArray()));
        Assert.Equal(1, server.Counters.Busy);
        holder.Send("vrrp\n"u8);
        Assert.Equal("OK\nanswer to Vrrp\n", ReadToEnd(holder));
    }

    [Fact]
    public void A_part_that_never_answers_gets_an_error_reply_not_a_hung_client()
    {
        var never = new TaskCompletionSource<ControlReply>();
        using var server = Start(_ => never.Task, new ControlServerOptions { AnswerTimeout = TimeSpan.FromMilliseconds(200) });
        var reply = ControlClient.Ask(SocketPath, ControlTopic.Health, Bound);
        Assert.False(reply.Ok);
        Assert.StartsWith("no answer from the daemon within", reply.Text);
        Assert.Equal(1, server.Counters.TimedOut);
    }

    [Fact]
    public void A_client_that_does_not_read_a_large_reply_is_dropped_after_the_write_deadline()
    {
        var big = new string('r', 8 * 1024 * 1024); // far more than the socket buffers hold
        using var server = Start(t => Task.FromResult(ControlReply.Success(t == ControlTopic.Health ? big : "small\n")),
            new ControlServerOptions { WriteTimeout = TimeSpan.FromMilliseconds(300) });
        using var stuck = Connect();
        stuck.Send("health\n"u8);
        WaitUntil(() => server.Counters.TimedOut == 1, "the non-reading client to be dropped");
        Assert.Equal(ControlReply.Success("small\n"), ControlClient.Ask(SocketPath, ControlTopic.Status, Bound));
    }

    [Fact]
    public void A_stale_socket_is_replaced_a_live_one_is_left_alone_and_the_file_goes_with_the_server()
    {
        Directory.CreateDirectory(Path.GetDirectoryName(SocketPath)!);
        // Bound, never listening: connect() is refused as on the file a killed daemon leaves. (Not disposed
        // before the end: .NET unlinks a unix socket's path when the socket that bound it is disposed.)
        using var dead = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        dead.Bind(new UnixDomainSocketEndPoint(SocketPath));
        Assert.True(File.Exists(SocketPath));

        var first = Start();
        Assert.Contains(_log.Lines, l => l.Message == $"removed the stale control socket {SocketPath}");
        Assert.Null(ControlServer.Start(SocketPath, Echo, _log));
        Assert.Contains(_log.Lines, l => l.Message.Contains("another appliance daemon answers on it"));
        Assert.Equal(ControlReply.Success("answer to Status\n"), ControlClient.Ask(SocketPath, ControlTopic.Status, Bound));

        first.Dispose();
        Assert.False(File.Exists(SocketPath));
        var e = Assert.Throws<DaemonUnreachableException>(() => ControlClient.Ask(SocketPath, ControlTopic.Status, Bound));
        Assert.Equal($"no appliance daemon is running: cannot connect to {SocketPath}: no such file (ENOENT: no daemon has created it; a daemon started with APPLIANCE_RUN_DIR has its socket there)", e.Message);
    }

    [Fact]
    public void A_leftover_socket_file_without_a_daemon_reads_as_connection_refused()
    {
        Directory.CreateDirectory(Path.GetDirectoryName(SocketPath)!);
        using var dead = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        dead.Bind(new UnixDomainSocketEndPoint(SocketPath));
        var e = Assert.Throws<DaemonUnreachableException>(() => ControlClient.Ask(SocketPath, ControlTopic.Health, Bound));
        Assert.StartsWith($"no appliance daemon is running: cannot connect to {SocketPath}: connection refused", e.Message);
    }

    [Fact]
    [Trait("Category", "Host")]
    public void Another_user_cannot_connect()
    {
        using var server = Start();
        // Make every directory on the way traversable, so only the socket's own mode stands in the way.
        File.SetUnixFileMode(_dir.FullName, (UnixFileMode)Convert.ToInt32("755", 8));
        File.SetUnixFileMode(Path.GetDirectoryName(SocketPath)!, (UnixFileMode)Convert.ToInt32("755", 8));
        var psi = new ProcessStartInfo("setpriv") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in new[] { "--reuid=65534", "--regid=65534", "--clear-groups", Repo.Binary, "status", "--socket", SocketPath })
            psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        var err = p.StandardError.ReadToEnd();
        Assert.True(p.WaitForExit(30_000));
        Assert.Equal(2, p.ExitCode);
        Assert.Contains($"cannot connect to {SocketPath}: permission denied (EACCES: the control socket is root's only)", err);
        Assert.Equal(0, server.Counters.Connections);
    }
}
