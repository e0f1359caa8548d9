using System.Diagnostics;
using System.Text;
using Xunit;

namespace Appliance.Tests.Vrrp.Host;

/// <summary>
/// Two network namespaces ("directors" A and B) joined by a heartbeat veth pair and a public veth pair,
/// with helpers to run the published appliance binary and real keepalived in them. Namespace names carry
/// a random suffix; everything (processes, namespaces, temp files) is removed on Dispose, also on failure.
/// </summary>
public sealed class VrrpLab : IDisposable
{
    public const string Vip = "192.0.2.100";
    private readonly string _id = Guid.NewGuid().ToString("N")[..6];
    private readonly List<Node> _processes = [];
    private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("vrrp-lab");

    public string A => "vrA" + _id;
    public string B => "vrB" + _id;
    /// <summary>The public segment: a bridge in its own namespace, so one director's NIC going down does not take the other's carrier with it.</summary>
    public string S => "vrS" + _id;
    public string HbA => "hA" + _id;
    public string HbB => "hB" + _id;
    public string PubA => "pA" + _id;
    public string PubB => "pB" + _id;

    public VrrpLab()
    {
        try
        {
            Sh("ip", $"netns add {A}");
            Sh("ip", $"netns add {B}");
            Sh("ip", $"netns add {S}");
            Sh("ip", $"-n {S} link add br0 type bridge");
            Sh("ip", $"link add {HbA} netns {A} type veth peer name {HbB} netns {B}");
            Sh("ip", $"link add {PubA} netns {A} type veth peer name sA netns {S}");
            Sh("ip", $"link add {PubB} netns {B} type veth peer name sB netns {S}");
            foreach (var d in new[] { "sA", "sB" }) Sh("ip", $"-n {S} link set {d} master br0 up");
            Sh("ip", $"-n {S} link set br0 up");
            Sh("ip", $"-n {A} addr add 10.10.0.1/24 dev {HbA}");
            Sh("ip", $"-n {B} addr add 10.10.0.2/24 dev {HbB}");
            Sh("ip", $"-n {A} addr add 192.0.2.1/24 dev {PubA}");
            Sh("ip", $"-n {B} addr add 192.0.2.2/24 dev {PubB}");
            foreach (var (ns, devs) in new[] { (A, new[] { "lo", HbA, PubA }), (B, new[] { "lo", HbB, PubB }) })
                foreach (var d in devs) Sh("ip", $"-n {ns} link set {d} up");
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    public static string ApplianceBin =>
        Environment.GetEnvironmentVariable("APPLIANCE_BIN") is { Length: > 0 } bin && File.Exists(bin)
            ? bin
            : throw new InvalidOperationException("APPLIANCE_BIN is not set to the published binary: run `make unit` (or `make` and export APPLIANCE_BIN=out/bin/appliance)");

    public sealed class Node
    {
        public required Process Process { get; init; }
        public required string Name { get; init; }
        public StringBuilder Output { get; } = new();
        public string Text { get { lock (Output) return Output.ToString(); } }
        public string? PidFile { get; init; }

        public int Pid => PidFile is null ? Process.Id : Process.Id; // keepalived -n stays in the foreground: its pid is ours
        public override string ToString() => $"{Name}:\n{Output}";
    }

    /// <summary>Starts the appliance in namespace A or B (side 'A'/'B').</summary>
    public Node StartAppliance(char side, string options)
    {
        var (ns, hb, pub) = side == 'A' ? (A, HbA, PubA) : (B, HbB, PubB);
        return Start($"appliance-{side}", "ip", $"netns exec {ns} {ApplianceBin} vrrp run --interface {hb} --public-interface {pub} {options}", null);
    }

    /// <summary>Starts <c>appliance ARGS</c> in namespace A or B.</summary>
    public Node StartApplianceArgs(char side, string args) =>
        Start($"appliance-{side}", "ip", $"netns exec {(side == 'A' ? A : B)} {ApplianceBin} {args}", null);

    public string TempFile(string name, string content)
    {
        var path = Path.Combine(_dir.FullName, name);
        File.WriteAllText(path, content);
        return path;
    }

    public string TempPath(string name) => Path.Combine(_dir.FullName, name);

    /// <summary>Starts keepalived 2.2.7 (VRRP only) in namespace A or B with one instance.</summary>
    public Node StartKeepalived(char side, int version, int priority, string advertInt, string extra = "")
    {
        var (ns, hb, pub) = side == 'A' ? (A, HbA, PubA) : (B, HbB, PubB);
        var conf = Path.Combine(_dir.FullName, $"k{side}.conf");
        File.WriteAllText(conf, $$"""
            global_defs {
              router_id k{{side}}{{_id}}
            }
            vrrp_instance VI_1 {
              version {{version}}
              state BACKUP
              interface {{hb}}
              dont_track_primary
              virtual_router_id 51
              priority {{priority}}
              advert_int {{advertInt}}
              {{extra}}
              virtual_ipaddress {
                {{Vip}}/24 dev {{pub}}
              }
            }
            """);
        var pid = Path.Combine(_dir.FullName, $"k{side}.pid");
        var vpid = Path.Combine(_dir.FullName, $"k{side}-vrrp.pid");
        return Start($"keepalived-{side}", "ip", $"netns exec {ns} keepalived -P -n -l -D -f {conf} -p {pid} -r {vpid}", pid);
    }

    /// <summary>Starts keepalived with a whole configuration file.</summary>
    public Node StartKeepalivedRaw(char side, string configuration)
    {
        var conf = TempFile($"k{side}raw.conf", configuration);
        var pid = Path.Combine(_dir.FullName, $"k{side}raw.pid");
        var vpid = Path.Combine(_dir.FullName, $"k{side}raw-vrrp.pid");
        return Start($"keepalived-{side}", "ip", $"netns exec {(side == 'A' ? A : B)} keepalived -P -n -l -D -f {conf} -p {pid} -r {vpid}", pid);
    }

    private Node Start(string name, string file, string args, string? pidFile)
    {
        var psi = new ProcessStartInfo(file, args) { RedirectStandardOutput = true, RedirectStandardError = true };
        var p = Process.Start(psi) ?? throw new InvalidOperationException($"starting {name}");
        var node = new Node { Process = p, Name = name, PidFile = pidFile };
        p.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (node.Output) node.Output.AppendLine(e.Data); };
        p.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (node.Output) node.Output.AppendLine(e.Data); };
        p.BeginOutputReadLine();
        p.BeginErrorReadLine();
        _processes.Add(node);
        return node;
    }

    /// <summary>Graceful stop (SIGTERM), waiting for the process to exit.</summary>
    public void Stop(Node node, TimeSpan? within = null)
    {
        if (node.Process.HasExited) return;
        Sh("kill", $"-TERM {node.Process.Id}");
        Assert.True(node.Process.WaitForExit((int)(within ?? TimeSpan.FromSeconds(10)).TotalMilliseconds), $"{node.Name} did not stop after SIGTERM\n{node}");
    }

    public bool Holds(char side, string? vip = null)
    {
        var (ns, pub) = side == 'A' ? (A, PubA) : (B, PubB);
        return Sh("ip", $"-n {ns} addr show dev {pub}").Contains($" {vip ?? Vip}/");
    }

    /// <summary>Waits (bounded) for a condition, failing with the logs.</summary>
    public void WaitFor(Func<bool> condition, TimeSpan within, string what)
    {
        var sw = Stopwatch.StartNew();
        while (!condition())
        {
            if (sw.Elapsed > within) Assert.Fail($"timed out after {within.TotalSeconds} s waiting for {what}\n{Logs()}");
            Thread.Sleep(10);
        }
    }

    /// <summary>Waits (bounded) until exactly <paramref name="holder"/> holds the VIP, then checks it stays so for <paramref name="stable"/>.</summary>
    public void AssertSoleHolder(char holder, TimeSpan within, TimeSpan stable, string step)
    {
        char other = holder == 'A' ? 'B' : 'A';
        var sw = Stopwatch.StartNew();
        while (!(Holds(holder) && !Holds(other)))
        {
            if (sw.Elapsed > within)
                Assert.Fail($"{step}: after {within.TotalSeconds} s expected only {holder} to hold {Vip}; A={Holds('A')} B={Holds('B')}\n{Logs()}");
            Thread.Sleep(10);
        }
        var hold = Stopwatch.StartNew();
        while (hold.Elapsed < stable)
        {
            bool h = Holds(holder), o = Holds(other);
            Assert.True(h && !o, $"{step}: the VIP moved while it should stay on {holder}; A={Holds('A')} B={Holds('B')} after {hold.ElapsedMilliseconds} ms\n{Logs()}");
            Thread.Sleep(20);
        }
    }

    /// <summary>Waits until the VIP is held by nobody (e.g. when both stopped).</summary>
    public void AssertNoHolder(TimeSpan within, string step)
    {
        var sw = Stopwatch.StartNew();
        while (Holds('A') || Holds('B'))
        {
            if (sw.Elapsed > within) Assert.Fail($"{step}: VIP still held: A={Holds('A')} B={Holds('B')}\n{Logs()}");
            Thread.Sleep(10);
        }
    }

    public string Logs() => string.Join("\n", _processes.Select(p => { lock (p.Output) return p.ToString(); }));

    /// <summary>The MAC address of a director's public NIC.</summary>
    public string PublicMac(char side)
    {
        var (ns, pub) = side == 'A' ? (A, PubA) : (B, PubB);
        var words = Sh("ip", $"-n {ns} link show dev {pub}").Split(' ', StringSplitOptions.RemoveEmptyEntries);
        return words[Array.IndexOf(words, "link/ether") + 1];
    }

    public static string Sh(string file, string args)
    {
        using var p = Process.Start(new ProcessStartInfo(file, args) { RedirectStandardOutput = true, RedirectStandardError = true })!;
        var output = p.StandardOutput.ReadToEnd();
        var error = p.StandardError.ReadToEnd();
        if (!p.WaitForExit(10_000)) { p.Kill(); throw new TimeoutException($"{file} {args} hung"); }
        if (p.ExitCode != 0) throw new InvalidOperationException($"{file} {args} failed ({p.ExitCode}): {error}");
        return output;
    }

    public void Dispose()
    {
        foreach (var n in _processes)
        {
            try { if (!n.Process.HasExited) { n.Process.Kill(); n.Process.WaitForExit(5000); } } catch (InvalidOperationException) { }
            n.Process.Dispose();
        }
        foreach (var ns in new[] { A, B, S })
            try { Sh("ip", $"netns del {ns}"); } catch (InvalidOperationException) { }
        try { _dir.Delete(true); } catch (IOException) { }
    }
}
