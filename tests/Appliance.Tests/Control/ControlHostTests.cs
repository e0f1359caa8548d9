using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using System.Text;
using Appliance.Tests.Daemon;
using Appliance.Tests.Health;
using Xunit;

namespace Appliance.Tests.Control;

/// <summary>
/// The published binary's <c>appliance run</c> in a network namespace of its own (VRRP on a veth,
/// two real servers that are real HTTP servers on the namespace's loopback), asked by the published
/// binary's operator verbs over the control socket. The host kernel has no IPVS: the status shows
/// IPVS's error, which is what an operator would see on such a box.
/// </summary>
[Trait("Category", "Host")]
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed partial class ControlHostTests : IDisposable
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(20);
    // Secrets of the configuration: none may appear in any reply or log line.
    private const string SerialKey = "ctl-test-serial-key-9f8e7d6c5b4a";
    private const string VrrpPassword = "pw4ctl!x";
    private const string ConsoleHash = "$6$ctlsalt$Zq7bV0yXh3cTtQ1kW9mN2pL5rS8uE4oI6aD0fG3jH7kM1nB5vC9xZ2qW4eR6tY8uI0oP3aS5dF7gH9jK1lZ3xC";

    private readonly string _ns = "ctl" + Guid.NewGuid().ToString("N")[..6];
    private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("appliance-control-");
    private readonly string _runDir;
    private readonly string _socket;

    public ControlHostTests()
    {
        _runDir = Path.Combine(_dir.FullName, "run");
        _socket = Path.Combine(_runDir, "control");
        Sh("ip", $"netns add {_ns}");
        Sh("ip", $"-n {_ns} link set lo up");
        Sh("ip", $"-n {_ns} link add hb0 type veth peer name hb1");
        Sh("ip", $"-n {_ns} link add pub0 type veth peer name pub1");
        Sh("ip", $"-n {_ns} addr add 10.77.0.1/24 dev hb0");
        Sh("ip", $"-n {_ns} addr add 192.0.2.1/24 dev pub0");
        foreach (var d in new[] { "hb0", "hb1", "pub0", "pub1" }) Sh("ip", $"-n {_ns} link set {d} up");
    }

    public void Dispose()
    {
        try { Sh("ip", $"netns del {_ns}"); } catch (InvalidOperationException) { }
        _dir.Delete(recursive: true);
    }

    private string Ini(IPEndPoint web1, IPEndPoint web2) => $"""
        [global]
        node_name = ctl-director
        node_id = 7
        public_interface = pub0
        heartbeat_interface = hb0
        peer_type = keepalived

        [vrrp_instance VI_1]
        version = 2
        virtual_router_id = 51
        priority = 150
        advert_int = 1
        auth_type = PASS
        auth_pass = {VrrpPassword}
        virtual_ipaddress = 192.0.2.100/24 dev pub0

        [virtual_server web]
        address = 192.0.2.100
        port = 80
        protocol = TCP
        lb_algo = wlc
        lb_kind = NAT
        check = HTTP_GET
        url_path = /
        status_code = 200
        delay_loop = 0.3
        connect_timeout = 1
        retry = 1
        delay_before_retry = 0.2

        [real_server web1]
        virtual_server = web
        address = {web1.Address}
        port = {web1.Port}

        [real_server web2]
        virtual_server = web
        address = {web2.Address}
        port = {web2.Port}

        [sync]
        enabled = yes
        sync_refresh_period = 20

        [serial_heartbeat]
        enabled = no
        key = {SerialKey}

        [watchdog]
        enabled = no

        [console]
        password_hash = {ConsoleHash}
        """;

    [Fact]
    public async Task Status_health_and_sync_of_the_running_daemon_over_the_control_socket()
    {
        var web1 = InNamespace(() => new TestHttpServer(IPAddress.Loopback));
        var web2 = InNamespace(() => new TestHttpServer(IPAddress.Loopback));
        await using var _1 = web1;
        await using var _2 = web2;
        var ini = Path.Combine(_dir.FullName, "appliance.ini");
        File.WriteAllText(ini, Ini(web1.Endpoint, web2.Endpoint));

        // No daemon yet: the verbs say so, with the path, and exit 2.
        var none = Appliance("status", "--socket", _socket);
        Assert.Equal(2, none.Exit);
        Assert.Contains($"no appliance daemon is running: cannot connect to {_socket}: ", none.Err);

        using var daemon = StartDaemon(ini);
        try
        {
            // The VRRP instance has no peer: MASTER after Master_Down_Interval; the status shows it with this node as master.
            var status = WaitForReply(daemon, "status", s => s.Contains("VI_1: vrid 51 v2 on hb0, MASTER") && s.Contains("master 10.77.0.1 (this node)"), "VI_1 MASTER in appliance status");
            // The director's role follows the VRRP thread's state change once the daemon loop has handled it.
            status = WaitForReply(daemon, "status", s => s.StartsWith("ctl-director (node_id 7): MASTER", StringComparison.Ordinal), "the director MASTER");
            Assert.Contains("VIPs 192.0.2.100/24 on pub0", status);
            Assert.Contains("arbiter: not running (peer_type = keepalived, or no vrrp_instance)", status);
            Assert.Contains("watchdog: disabled in [watchdog]", status);
            Assert.Contains($"config: {ini}; 0 reload(s) accepted, 0 rejected", status);
            Assert.Equal("600", Convert.ToString((int)File.GetUnixFileMode(_socket), 8));

            // Both real servers answer 200: UP in the live table, with their successes counted.
            var health = WaitForReply(daemon, "health", s => Row(s, web1.Endpoint) is { } a && a.Contains(" UP ") && Row(s, web2.Endpoint) is { } b && b.Contains(" UP "), "both real servers UP");
            Assert.Contains("2 real servers: 2 up, 0 down", health);

            // One real server stops (connections refused), the other answers 503.
            await web1.DisposeAsync();
            web2.Status = 503;
            health = WaitForReply(daemon, "health", s => Row(s, web1.Endpoint) is { } a && a.Contains(" DOWN ") && Row(s, web2.Endpoint) is { } b && b.Contains(" DOWN "), "both real servers DOWN");
            var row1 = Row(health, web1.Endpoint)!;
            var row2 = Row(health, web2.Endpoint)!;
            Assert.Contains($"connect to {web1.Endpoint} refused", row1);
            Assert.Matches($@"HTTP 503 from {Regex(web2.Endpoint)} after \d+(\.\d)? ms", row2);
            // Columns: REAL SERVER, STATE, FOR (time in state), IN TABLE, OK, FAILED, LAST RESULT; retry = 1 means two failures to go DOWN.
            var cells2 = row2.Split("  ", StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            Assert.True(cells2.Length >= 7, $"unexpected row: {row2}");
            Assert.Matches(@"^\d+\.\ds$", cells2[^5]);
            Assert.True(long.Parse(cells2[^3]) >= 1, $"no success counted before the failure: {row2}");
            Assert.True(long.Parse(cells2[^2]) >= 2, $"fewer than retry + 1 failures counted: {row2}");
            Assert.Contains("2 real servers: 0 up, 2 down", health);

            status = Ask(daemon, "status");
            Assert.Contains("VI_1: vrid 51 v2 on hb0, MASTER", status);
            Assert.Contains("health: 2 real servers: 0 up, 2 down", status);
            Assert.Contains($"DOWN {web2.Endpoint} in TCP 192.0.2.100:80", status);
            Assert.Contains("ipvs: 1 virtual service(s), 2 real server(s) configured, 0 in the desired table", status);

            // Sync: the daemon's role and settings, every sysctl with its origin (the host has no IPVS: the kernel side says why).
            var sync = Ask(daemon, "sync", "status");
            Assert.Contains("director role MASTER", sync);
            foreach (var name in new[] { "sync_threshold", "sync_refresh_period", "sync_retries", "sync_version", "sync_persist_mode", "sync_ports", "sync_sock_size", "sync_qlen_max" })
                Assert.Contains(name, sync);
            Assert.Contains("last error:", sync);
            // Each value says where it comes from: derived from the IPVS timeouts, or set in [sync]. The host has no
            // /proc/sys/net/ipv4/vs, so each also shows as not in force ("absent ... MISMATCH").
            Assert.Matches(@"sync_threshold\s+absent\s+MISMATCH, configured 3 0 \(derived\)", sync);
            Assert.Matches(@"sync_refresh_period\s+absent\s+MISMATCH, configured 20 \(override\)", sync);

            var vrrp = Ask(daemon, "vrrp", "status");
            Assert.Contains("adverts sent", vrrp);

            // A bad request is answered with an error, counted, and the daemon keeps answering.
            Assert.StartsWith("ERROR unknown request 'bogus'", Raw("bogus\n"));
            Assert.StartsWith("ERROR request longer than 256 bytes", Raw(new string('x', 1000)));
            Assert.Contains("2 bad requests", Ask(daemon, "status"));

            foreach (var text in new[] { status, health, sync, vrrp, string.Join('\n', daemon.Lines) })
            {
                Assert.DoesNotContain(SerialKey, text);
                Assert.DoesNotContain(VrrpPassword, text);
                Assert.DoesNotContain("Zq7bV0yXh3cTtQ1kW9mN2pL5", text);
            }
        }
        finally
        {
            // SIGTERM also when an assertion failed: the orderly stop releases the VIP and the socket.
            if (!daemon.Process.HasExited) Libc(daemon.Process.Id);
        }
        Assert.True(daemon.Process.WaitForExit(Bound), $"the daemon did not stop on SIGTERM:\n{string.Join('\n', daemon.Lines)}");
        Assert.True(daemon.Process.ExitCode == 0, $"the daemon exited {daemon.Process.ExitCode}:\n{string.Join('\n', daemon.Lines)}");
        Assert.False(File.Exists(_socket), "the control socket is left behind after an orderly stop");
        var after = Appliance("health", "--socket", _socket);
        Assert.Equal(2, after.Exit);
        Assert.Contains("no appliance daemon is running", after.Err);
    }

    private static string Regex(IPEndPoint e) => System.Text.RegularExpressions.Regex.Escape(e.ToString());

    /// <summary>The health table's row of <paramref name="server"/>, or null.</summary>
    private static string? Row(string table, IPEndPoint server) =>
        table.Split('\n').FirstOrDefault(l => l.Contains($" {server}  ", StringComparison.Ordinal));

    private string Raw(string request)
    {
        using var s = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        s.Connect(new UnixDomainSocketEndPoint(_socket));
        s.Send(Encoding.ASCII.GetBytes(request));
        s.ReceiveTimeout = 10_000;
        var got = new MemoryStream();
        var buffer = new byte[4096];
        int n;
        while ((n = s.Receive(buffer)) > 0) got.Write(buffer, 0, n);
        return Encoding.UTF8.GetString(got.ToArray());
    }

    private string Ask(DaemonProcess daemon, params string[] verb)
    {
        var r = Appliance([.. verb, "--socket", _socket]);
        Assert.True(r.Exit == 0, $"appliance {string.Join(' ', verb)} exited {r.Exit}: {r.Err}\ndaemon:\n{string.Join('\n', daemon.Lines)}");
        return r.Out;
    }

    private string WaitForReply(DaemonProcess daemon, string verb, Func<string, bool> ok, string what)
    {
        var sw = Stopwatch.StartNew();
        var last = "";
        while (true)
        {
            var r = Appliance(verb, "--socket", _socket);
            last = r.Exit == 0 ? r.Out : $"exit {r.Exit}: {r.Err}";
            if (r.Exit == 0 && ok(r.Out)) return r.Out;
            if (sw.Elapsed > Bound || daemon.Process.HasExited)
                Assert.Fail($"no '{verb}' reply showing {what} within {Bound.TotalSeconds} s (daemon exited: {daemon.Process.HasExited}); last reply:\n{last}\ndaemon:\n{string.Join('\n', daemon.Lines)}");
            Thread.Sleep(100);
        }
    }

    private static (int Exit, string Out, string Err) Appliance(params string[] args)
    {
        var psi = new ProcessStartInfo(Repo.Binary) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(30_000)) { p.Kill(); throw new TimeoutException($"appliance {string.Join(' ', args)} hung"); }
        return (p.ExitCode, stdout.Result, stderr.Result);
    }

    private sealed class DaemonProcess : IDisposable
    {
        private readonly List<string> _lines = [];
        public required Process Process { get; init; }
        public string[] Lines { get { lock (_lines) return [.. _lines]; } }
        public void Add(string line) { lock (_lines) _lines.Add(line); }
        public void Dispose()
        {
            if (!Process.HasExited) { Process.Kill(); Process.WaitForExit(5000); }
            Process.Dispose();
        }
    }

    private DaemonProcess StartDaemon(string ini)
    {
        var psi = new ProcessStartInfo("ip") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in new[] { "netns", "exec", _ns, "env", $"APPLIANCE_RUN_DIR={_runDir}", Repo.Binary, "run", "--config", ini, "--log-target", "stderr" })
            psi.ArgumentList.Add(a);
        var d = new DaemonProcess { Process = Process.Start(psi)! };
        d.Process.ErrorDataReceived += (_, e) => { if (e.Data is not null) d.Add(e.Data); };
        d.Process.OutputDataReceived += (_, e) => { if (e.Data is not null) d.Add(e.Data); };
        d.Process.BeginErrorReadLine();
        d.Process.BeginOutputReadLine();
        return d;
    }

    private static int Libc(int pid) => kill(pid, 15);

    [LibraryImport("libc", SetLastError = true)]
    private static partial int kill(int pid, int sig);

    [LibraryImport("libc", SetLastError = true)]
    private static partial int setns(int fd, int nstype);

    /// <summary>Creates something (a listening socket) from a thread that joined the namespace: the socket stays there.</summary>
    private T InNamespace<T>(Func<T> create)
    {
        T result = default!;
        Exception? error = null;
        var t = new Thread(() =>
        {
            try
            {
                using var f = File.OpenHandle($"/var/run/netns/{_ns}");
                if (setns((int)f.DangerousGetHandle(), 0x40000000 /* CLONE_NEWNET */) != 0)
                    throw new InvalidOperationException($"setns into {_ns}: errno {Marshal.GetLastPInvokeError()}");
                result = create();
            }
            catch (Exception e) { error = e; }
        });
        t.Start();
        t.Join();
        if (error is not null) throw new InvalidOperationException($"creating in namespace {_ns}: {error.Message}", error);
        return result;
    }

    private static string Sh(string file, string args) => global::Appliance.Tests.Vrrp.Host.VrrpLab.Sh(file, args);
}
