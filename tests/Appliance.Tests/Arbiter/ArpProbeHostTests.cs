using System.Diagnostics;
using System.Net;
using System.Runtime.InteropServices;
using Appliance.Arbiter;
using Appliance.Core;
using Appliance.Tests.PeerLink;
using Xunit;
using Xunit.Abstractions;

namespace Appliance.Tests.Arbiter;

/// <summary>Two network namespaces joined by a veth pair: the ARP probe against the real kernel of the other namespace.</summary>
[Trait("Category", "Host")]
public sealed partial class ArpProbeHostTests : IDisposable
{
    private readonly ITestOutputHelper _output;
    private readonly string _nsA, _nsB;

    public ArpProbeHostTests(ITestOutputHelper output)
    {
        _output = output;
        var id = Random.Shared.Next(100000, 999999);
        _nsA = $"apl-arp-a-{id}";
        _nsB = $"apl-arp-b-{id}";
        Sh($"ip netns add {_nsA}");
        Sh($"ip netns add {_nsB}");
        Sh($"ip -n {_nsA} link add pub0 type veth peer name pub0 netns {_nsB}");
        Sh($"ip -n {_nsA} addr add 10.213.0.1/24 dev pub0");
        Sh($"ip -n {_nsB} addr add 10.213.0.2/24 dev pub0");
        Sh($"ip -n {_nsA} link set pub0 up");
        Sh($"ip -n {_nsB} link set pub0 up");
        Wait.Until(() => Sh($"ip -n {_nsA} -o link show pub0").Contains("LOWER_UP"), TimeSpan.FromSeconds(5), "veth carrier did not come up");
    }

    public void Dispose()
    {
        Sh($"ip netns del {_nsA}", check: false);
        Sh($"ip netns del {_nsB}", check: false);
    }

    private static string Sh(string cmd, bool check = true)
    {
        var parts = cmd.Split(' ', 2);
        var p = Process.Start(new ProcessStartInfo(parts[0], parts[1]) { RedirectStandardOutput = true, RedirectStandardError = true })!;
        var o = p.StandardOutput.ReadToEnd();
        var e = p.StandardError.ReadToEnd();
        p.WaitForExit();
        if (check && p.ExitCode != 0) throw new InvalidOperationException($"{cmd}: exit {p.ExitCode}: {e}");
        return o;
    }

    [LibraryImport("libc", SetLastError = true)]
    private static partial int setns(int fd, int nstype);

    /// <summary>Runs <paramref name="work"/> on a fresh thread that has joined network namespace <paramref name="ns"/> (setns affects only that thread).</summary>
    private static T InNamespace<T>(string ns, Func<T> work)
    {
        T result = default!;
        Exception? error = null;
        var t = new Thread(() =>
        {
            try
            {
                using var f = File.OpenHandle($"/var/run/netns/{ns}");
                if (setns((int)f.DangerousGetHandle(), 0x40000000 /* CLONE_NEWNET */) != 0)
                    throw new InvalidOperationException($"setns into {ns}: errno {Marshal.GetLastPInvokeError()}");
                result = work();
            }
            catch (Exception e) { error = e; }
        });
        t.Start();
        if (!t.Join(TimeSpan.FromSeconds(30))) throw new TimeoutException("namespace thread hung");
        if (error is not null) throw new AggregateException(error);
        return result;
    }

    private (ProbeResult Result, TimeSpan Took) ProbeFromA(string peer) => InNamespace(_nsA, () =>
    {
        using var probe = ArpProbe.Open("pub0");
        var clock = new MonotonicClock();
        var sw = Stopwatch.StartNew();
        var r = probe.Probe(IPAddress.Parse("10.213.0.1"), IPAddress.Parse(peer), new ArpProbeTiming(), clock);
        return (r, sw.Elapsed);
    });

    [Fact]
    public void Peer_kernel_answers_the_probe()
    {
        var (r, took) = ProbeFromA("10.213.0.2");
        _output.WriteLine($"answers after {took.TotalMilliseconds:0.0} ms");
        Assert.Equal(ProbeResult.PeerAnswers, r);
        Assert.True(took < TimeSpan.FromMilliseconds(200), $"took {took}");
    }

    [Fact]
    public void Absent_peer_address_is_silent_within_the_bounded_wait()
    {
        var (r, took) = ProbeFromA("10.213.0.9");
        _output.WriteLine($"silent after {took.TotalMilliseconds:0.0} ms");
        Assert.Equal(ProbeResult.PeerSilent, r);
        // Never early (silence is what causes a takeover); the upper bound only catches a probe that never ends, under load 20-30.
        Assert.InRange(took.TotalMilliseconds, 195, 5000);
    }

    [Fact]
    public void Peer_whose_public_link_is_down_is_silent()
    {
        // The peer box runs but its public NIC is down (a veth also drops our carrier; the probe must still end, silent).
        Sh($"ip -n {_nsB} link set pub0 down");
        Assert.Equal(ProbeResult.PeerSilent, ProbeFromA("10.213.0.2").Result);
        Sh($"ip -n {_nsB} link set pub0 up");
        Wait.Until(() => Sh($"ip -n {_nsA} -o link show pub0").Contains("LOWER_UP"), TimeSpan.FromSeconds(5), "carrier did not return");
        Assert.Equal(ProbeResult.PeerAnswers, ProbeFromA("10.213.0.2").Result);
    }
}
