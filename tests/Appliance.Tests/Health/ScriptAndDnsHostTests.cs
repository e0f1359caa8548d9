using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using Appliance.Core;
using Appliance.Health;
using Appliance.Health.Checkers;
using Xunit;

namespace Appliance.Tests.Health;

[Trait("Category", "Host")]
public sealed class ScriptAndDnsHostTests : IDisposable
{
    private static readonly IPAddress Ip = Loopback.Address(3, 1);
    private readonly string _dir = Directory.CreateTempSubdirectory("health-script-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string Script(string name, string body)
    {
        var path = Path.Combine(_dir, name);
        File.WriteAllText(path, "#!/bin/sh\n" + body + "\n");
        if (OperatingSystem.IsLinux()) File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        return path;
    }

    private static Task<CheckResult> RunScript(string path, bool dynamic = false, double timeout = 5, params string[] args) =>
        new ScriptChecker(new CheckSettings
        {
            Kind = CheckKind.Script, Target = IPEndPoint.Parse("10.0.0.12:80"), ConnectTimeout = TimeSpan.FromSeconds(timeout),
            Script = new ScriptCheckSettings { Path = path, Arguments = args, Dynamic = dynamic },
        }).CheckAsync(CancellationToken.None);

    [Fact]
    public async Task Exit_0_is_healthy_and_exit_1_failed_and_arguments_are_passed()
    {
        var s = Script("check", "echo noise; echo more noise >&2; [ \"$1\" = 10.0.0.12 ] && exit 0; exit 1");
        var ok = await RunScript(s, args: "10.0.0.12");
        Assert.True(ok.Succeeded, ok.Reason);
        var bad = await RunScript(s, args: "10.0.0.13");
        Assert.False(bad.Succeeded);
        Assert.StartsWith($"script {s} for 10.0.0.12:80 exited 1 after ", bad.Reason);
    }

    [Fact]
    public async Task Misc_dynamic_turns_exit_2_to_255_into_weight_exit_minus_2()
    {
        var s = Script("weight", "exit 7");
        var dyn = await RunScript(s, dynamic: true);
        Assert.True(dyn.Succeeded, dyn.Reason);
        Assert.Equal(5, dyn.Weight);
        Assert.EndsWith("(misc_dynamic weight 5)", dyn.Reason);
        Assert.False((await RunScript(s, dynamic: false)).Succeeded);
        Assert.Null((await RunScript(Script("zero", "exit 0"), dynamic: true)).Weight);
    }

    [Fact]
    public async Task A_script_past_its_timeout_is_killed_with_everything_it_started()
    {
        var pidFile = Path.Combine(_dir, "child.pid");
        var s = Script("hang", $"sleep 60 & echo $! > {pidFile}; sleep 60");
        var r = await RunScript(s, timeout: 0.5);
        Assert.False(r.Succeeded);
        Assert.Equal($"script {s} for 10.0.0.12:80 killed after 500 ms (misc_timeout)", r.Reason);
        Assert.True(r.Duration < TimeSpan.FromSeconds(10));
        var child = int.Parse(File.ReadAllText(pidFile).Trim());
        await Loopback.WaitFor(() => Task.FromResult(!Alive(child)), TimeSpan.FromSeconds(5),
            () => $"the script's background child {child} should have been killed with it");

        static bool Alive(int pid)
        {
            try { return !File.ReadAllText($"/proc/{pid}/stat").Split(' ')[2].Equals("Z"); }
            catch (IOException) { return false; }
        }
    }

    [Fact]
    public async Task A_script_that_leaves_a_daemon_holding_its_output_is_judged_when_it_exits()
    {
        // The subshell's sleep is reparented to init and keeps stdout open for 30 s.
        var pidFile = Path.Combine(_dir, "daemon.pid");
        var s = Script("daemonizes", $"(sleep 30 & echo $! > {pidFile}) ; exit 0");
        var r = await RunScript(s, timeout: 10);
        Assert.True(r.Succeeded, r.Reason);
        Assert.True(r.Duration < TimeSpan.FromSeconds(5), $"took {r.Duration}: waited for the daemon's pipe");
        try { System.Diagnostics.Process.GetProcessById(int.Parse(File.ReadAllText(pidFile).Trim())).Kill(); }
        catch (ArgumentException) { /* already gone */ }
    }

    [Fact]
    public async Task A_missing_script_is_a_failure_naming_it()
    {
        var r = await RunScript(Path.Combine(_dir, "absent"));
        Assert.False(r.Succeeded);
        Assert.StartsWith($"starting script {_dir}/absent for 10.0.0.12:80 failed: ", r.Reason);
    }

    /// <summary>A real UDP DNS responder on loopback: answers with the query's id (or not) and a chosen RCODE.</summary>
    private sealed class Responder : IDisposable
    {
        private readonly Socket _socket = new(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        private readonly CancellationTokenSource _stop = new();
        public IPEndPoint Endpoint { get; }
        public volatile int Rcode;
        public volatile bool WrongId;
        public byte[]? LastQuery;

        public Responder()
        {
            _socket.Bind(new IPEndPoint(Ip, 0));
            Endpoint = (IPEndPoint)_socket.LocalEndPoint!;
            _ = Serve();
        }

        private async Task Serve()
        {
            var buf = new byte[512];
            while (!_stop.IsCancellationRequested)
            {
                SocketReceiveFromResult got;
                try { got = await _socket.ReceiveFromAsync(buf, new IPEndPoint(IPAddress.Any, 0), _stop.Token); }
                catch (Exception) { return; }
                LastQuery = buf[..got.ReceivedBytes];
                var reply = buf[..got.ReceivedBytes];
                if (WrongId) reply[0] ^= 0xff;
                reply[2] |= 0x80;                       // QR
                reply[3] = (byte)((reply[3] & 0xf0) | Rcode);
                await _socket.SendToAsync(reply, got.RemoteEndPoint);
            }
        }

        public void Dispose() { _stop.Cancel(); _socket.Dispose(); }
    }

    private static Task<CheckResult> RunDns(IPEndPoint target, double timeout = 5) =>
        new DnsChecker(new CheckSettings
        {
            Kind = CheckKind.Dns, Target = target, ConnectTimeout = TimeSpan.FromSeconds(timeout),
            Dns = new DnsCheckSettings { Type = "A", Name = "www.example.test" },
        }).CheckAsync(CancellationToken.None);

    [Fact]
    public async Task Dns_answer_with_the_query_id_is_healthy_and_the_query_is_well_formed()
    {
        using var dns = new Responder();
        var r = await RunDns(dns.Endpoint);
        Assert.True(r.Succeeded, r.Reason);
        var q = dns.LastQuery!;
        Assert.Equal(1, BinaryPrimitives.ReadUInt16BigEndian(q.AsSpan(4)));          // QDCOUNT
        Assert.Equal([3, .."www"u8, 7, .."example"u8, 4, .."test"u8, 0], q[12..^4]);
        Assert.Equal(new byte[] { 0, 1, 0, 1 }, q[^4..]);                              // A, IN
    }

    [Fact]
    public async Task Dns_error_rcode_fails_and_names_it()
    {
        using var dns = new Responder { Rcode = 5 };
        var r = await RunDns(dns.Endpoint);
        Assert.False(r.Succeeded);
        Assert.StartsWith($"DNS REFUSED from {dns.Endpoint} after ", r.Reason);
    }

    [Fact]
    public async Task Dns_answers_with_another_id_are_ignored_until_connect_timeout()
    {
        using var dns = new Responder { WrongId = true };
        // The wrong-id answer must arrive inside connect_timeout to be counted: 2 s leaves a loaded
        // machine room (0.5 s was flaky there), and the checker still waits it out in full.
        var r = await RunDns(dns.Endpoint, timeout: 2);
        Assert.False(r.Succeeded);
        Assert.Equal($"no DNS answer from {dns.Endpoint} within 2 s (connect_timeout) (1 datagrams with another id ignored)", r.Reason);
    }

    [Fact]
    public async Task Dns_to_a_closed_port_is_refused()
    {
        using var s = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        s.Bind(new IPEndPoint(Ip, 0));
        var closed = (IPEndPoint)s.LocalEndPoint!;
        s.Close();
        var r = await RunDns(closed);
        Assert.Equal($"DNS query to {closed} refused (port unreachable)", r.Reason);
    }
}

[Trait("Category", "Host")]
public sealed class NotifyHostTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("health-notify-").FullName;
    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private sealed class Log : Appliance.Logging.ILog
    {
        public List<string> Lines { get; } = new();
        public bool IsEnabled(Appliance.Logging.LogLevel level) => true;
        public void Write(Appliance.Logging.LogLevel level, string component, string message) { lock (Lines) Lines.Add(message); }
    }

    [Fact]
    public async Task A_quorum_hook_runs_with_its_arguments_and_failures_are_logged()
    {
        var output = Path.Combine(_dir, "out");
        var hook = Path.Combine(_dir, "hook");
        File.WriteAllText(hook, $"#!/bin/sh\necho \"$1|$2\" > {output}\nexit 3\n");
        if (OperatingSystem.IsLinux()) File.SetUnixFileMode(hook, UnixFileMode.UserRead | UnixFileMode.UserExecute);
        var log = new Log();
        var runner = new NotifyRunner(log, "health", NotifyRunner.DefaultTimeout);
        await runner.Run("notify hook", $"{hook} \"web down\" 2");
        Assert.Equal("web down|2\n", File.ReadAllText(output));
        Assert.Contains(log.Lines, l => l.Contains("exited 3"));
        await runner.Run("notify hook", Path.Combine(_dir, "absent"));
        Assert.Contains(log.Lines, l => l.StartsWith("notify hook: starting") && l.Contains("absent"));
        Assert.Equal(0, runner.Running);
    }
}
