using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using Appliance.Takeover;
using Appliance.Tests.PeerLink;
using Xunit;
using Xunit.Abstractions;

namespace Appliance.Tests.Arbiter;

/// <summary>
/// Two appliance processes (the published binary, the product path `appliance run --config`, INI
/// files written here) in two network namespaces: heartbeat veth between them, public NICs on a
/// bridge in a third namespace, a socat pty pair as the null-modem cable. The VIP holders are
/// sampled every 10 ms over rtnetlink in both namespaces for the whole scenario: there must
/// never be two.
/// </summary>
[Trait("Category", "Host")]
[Collection("pty")]
public sealed partial class TwoApplianceScenarioTests : IDisposable
{
    private const string Vip = "10.214.0.100";
    private const string Key = "pair-test-key-0123456789abcdef";
    private readonly ITestOutputHelper _output;
    private readonly string _id = Random.Shared.Next(1000, 9999).ToString();
    private string NsA => $"sb{_id}a";
    private string NsB => $"sb{_id}b";
    private string NsL => $"sb{_id}l";
    private readonly SocatCable _cable;
    private readonly List<(string Name, Process P, ConcurrentQueue<string> Log)> _procs = [];

    public TwoApplianceScenarioTests(ITestOutputHelper output)
    {
        _output = output;
        // The daemon accepts serial devices under /dev/ only: socat's links to the two ptys go there (removed with the cable).
        _cable = new SocatCable(linkPrefix: $"/dev/appliance-test-{_id}-tty");
        foreach (var ns in new[] { NsA, NsB, NsL }) Sh($"ip netns add {ns}");
        Sh($"ip -n {NsA} link add hb0 type veth peer name hb0 netns {NsB}");
        Sh($"ip -n {NsL} link add br0 type bridge");
        Sh($"ip -n {NsL} link add lanA type veth peer name pub0 netns {NsA}");
        Sh($"ip -n {NsL} link add lanB type veth peer name pub0 netns {NsB}");
        foreach (var l in new[] { "lanA", "lanB" }) Sh($"ip -n {NsL} link set {l} master br0 up");
        Sh($"ip -n {NsL} link set br0 up");
        Sh($"ip -n {NsA} addr add 10.214.1.1/24 dev hb0");
        Sh($"ip -n {NsB} addr add 10.214.1.2/24 dev hb0");
        Sh($"ip -n {NsA} addr add 10.214.0.1/24 dev pub0");
        Sh($"ip -n {NsB} addr add 10.214.0.2/24 dev pub0");
        foreach (var ns in new[] { NsA, NsB })
            foreach (var l in new[] { "lo", "hb0", "pub0" }) Sh($"ip -n {ns} link set {l} up");
    }

    public void Dispose()
    {
        foreach (var (_, p, _) in _procs)
            if (!p.HasExited) { p.Kill(); p.WaitForExit(5000); }
        _cable.Dispose();
        foreach (var ns in new[] { NsA, NsB, NsL }) Sh($"ip netns del {ns}", check: false);
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

    /// <summary>The INI file of one director: the product's configuration, as an operator writes it.</summary>
    private string Ini(string name, int nodeId, int priority, string own, string peer, string? tty)
    {
        var serial = tty is null ? "enabled = no" : $"""
            device = {tty}
            baud = 115200
            interval = 100ms
            dead_time = 400ms
            key = {Key}
            """;
        var text = $"""
            [global]
            node_name = {name}
            node_id = {nodeId}
            public_interface = pub0
            heartbeat_interface = hb0
            public_address = {own}
            peer_public_address = {peer}

            [vrrp_instance VI_1]
            virtual_router_id = 51
            priority = {priority}
            advert_int = 0.1
            virtual_ipaddress = {Vip}/24 dev pub0
            track_interface = pub0

            [sync]
            enabled = no

            [serial_heartbeat]
            {serial}

            [watchdog]
            enabled = no
            """;
        var path = Path.Combine(_cable.Dir, $"{name}.ini");
        File.WriteAllText(path, text);
        return path;
    }

    private ConcurrentQueue<string> StartAppliance(string name, string ns, string ini)
    {
        var psi = new ProcessStartInfo("ip", $"netns exec {ns} {PublishedBinaryTests.Binary()} run --config {ini} --log-target stderr")
        { RedirectStandardOutput = true, RedirectStandardError = true };
        // Two daemons on one host: each keeps its state (IPVS ownership) in its own run directory.
        psi.Environment["APPLIANCE_RUN_DIR"] = Directory.CreateDirectory(Path.Combine(_cable.Dir, $"run-{name}")).FullName;
        var p = Process.Start(psi)!;
        var log = new ConcurrentQueue<string>();
        p.ErrorDataReceived += (_, e) => { if (e.Data is not null) log.Enqueue(e.Data); };
        p.OutputDataReceived += (_, e) => { if (e.Data is not null) log.Enqueue(e.Data); };
        p.BeginErrorReadLine();
        p.BeginOutputReadLine();
        _procs.Add((name, p, log));
        return log;
    }

    /// <summary>Director A (priority 150, node 1) and B (100, node 2), with or without the serial cable.</summary>
    private (ConcurrentQueue<string> A, ConcurrentQueue<string> B) StartPair(bool serial = true) => (
        StartAppliance("A", NsA, Ini("director-a", 1, 150, "10.214.0.1", "10.214.0.2", serial ? _cable.A : null)),
        StartAppliance("B", NsB, Ini("director-b", 2, 100, "10.214.0.2", "10.214.0.1", serial ? _cable.B : null)));

    [LibraryImport("libc", SetLastError = true)]
    private static partial int setns(int fd, int nstype);

    /// <summary>Samples, every 10 ms from one thread, whether each namespace has the VIP configured (two rtnetlink sockets, one per namespace).</summary>
    private sealed class VipSampler : IDisposable
    {
        private readonly Thread _thread;
        private volatile bool _stop;
        public long Samples;
        public long Both;
        public volatile bool A, B;
        /// <summary>Set when A loses power: its dead namespace keeps the VIP in its table, on a NIC without carrier, serving nobody.</summary>
        public volatile bool APoweredOff;
        public readonly List<string> Overlaps = [];
        private Exception? _error;

        public VipSampler(string nsA, string nsB)
        {
            using var ready = new ManualResetEventSlim();
            _thread = new Thread(() =>
            {
                try
                {
                    RtnetlinkAddressClient Open(string ns)
                    {
                        using var f = File.OpenHandle($"/var/run/netns/{ns}");
                        if (setns((int)f.DangerousGetHandle(), 0x40000000) != 0) throw new InvalidOperationException($"setns {ns}: errno {Marshal.GetLastPInvokeError()}");
                        return new RtnetlinkAddressClient();
                    }
                    using var a = Open(nsA);
                    using var b = Open(nsB);
                    var vip = IPAddress.Parse(Vip);
                    var sw = Stopwatch.StartNew();
                    ready.Set();
                    while (!_stop)
                    {
                        bool ha = a.List(AddressFamily.InterNetwork).Any(x => x.Address.Equals(vip));
                        bool hb = b.List(AddressFamily.InterNetwork).Any(x => x.Address.Equals(vip));
                        A = ha; B = hb;
                        Interlocked.Increment(ref Samples);
                        if (ha && hb && !APoweredOff) { Interlocked.Increment(ref Both); lock (Overlaps) Overlaps.Add($"{sw.ElapsedMilliseconds} ms"); }
                        Thread.Sleep(10);
                    }
                }
                catch (Exception e) { _error = e; ready.Set(); }
            }) { IsBackground = true };
            _thread.Start();
            ready.Wait(TimeSpan.FromSeconds(10));
            if (_error is not null) throw new AggregateException(_error);
        }

        public void Dispose()
        {
            _stop = true;
            _thread.Join(TimeSpan.FromSeconds(15));
            if (_error is not null) throw new AggregateException(_error);
        }
    }

    private void WaitSamples(VipSampler s, int n)
    {
        long target = Interlocked.Read(ref s.Samples) + n;
        Wait.Until(() => Interlocked.Read(ref s.Samples) >= target, TimeSpan.FromSeconds(30), $"sampler did not take {n} samples");
    }

    private static void AssertNeverTwoHolders(VipSampler sampler) =>
        Assert.True(sampler.Both == 0, $"two VIP holders at {string.Join(", ", sampler.Overlaps)}");

    private void DumpLogs()
    {
        foreach (var (name, _, log) in _procs) _output.WriteLine($"--- {name}\n{string.Join("\n", log)}");
    }

    private static bool Logged(ConcurrentQueue<string> log, string text) => log.Any(l => l.Contains(text));

    /// <summary>The daemons' stderr is read asynchronously: a line may arrive after the effect the sampler already saw.
    /// Bounds are 15 s because the shared 2-core machine runs at load 20-30; no-overlap is proven by the sampler, not by time.</summary>
    private static void WaitLogged(ConcurrentQueue<string> log, string text, string what) =>
        Wait.Until(() => Logged(log, text), TimeSpan.FromSeconds(15), what);

    [Fact]
    public void Heartbeat_cut_then_serial_cut_never_give_two_masters_and_a_failed_public_link_hands_over()
    {
        var (logA, logB) = StartPair();
        using var sampler = new VipSampler(NsA, NsB);
        try
        {
            Wait.Until(() => sampler.A && !sampler.B && Logged(logB, "rule B2"), TimeSpan.FromSeconds(15), "A did not become the single master");

            // 1. Heartbeat veth cut: B's master-down timer fires, the serial link says A is master: no takeover.
            Sh($"ip -n {NsA} link set hb0 down");
            Wait.Until(() => Logged(logB, "heartbeat carrier lost; the arbiter does not permit takeover"), TimeSpan.FromSeconds(15), "B's takeover was not withheld");
            WaitSamples(sampler, 100);
            Assert.True(sampler.A && !sampler.B, "after the heartbeat cut A must still be the only holder");
            WaitLogged(logB, "alarms HeartbeatLinkDown; front-panel fault", "no alarm on B");
            WaitLogged(logB, "director: front panel shows a fault", "B's fault LED was not lit (arbiter alarm -> daemon loop)");

            // 2. Serial cable pulled too: B probes A's public address, A answers: still no takeover.
            _cable.Stop();
            Wait.Until(() => Logged(logB, "rule B7"), TimeSpan.FromSeconds(15), "B did not conclude 'links cut, peer answers'");
            WaitSamples(sampler, 100);
            Assert.True(sampler.A && !sampler.B, "after both cuts A must still be the only holder");

            // 3. A's public link fails: A releases (FAULT), B's probe goes silent, B takes over.
            var sw = Stopwatch.StartNew();
            Sh($"ip -n {NsA} link set pub0 down");
            Wait.Until(() => sampler.B, TimeSpan.FromSeconds(15), "B did not take over after A's public link failed");
            var takeover = sw.Elapsed;
            WaitSamples(sampler, 50);
            Assert.True(!sampler.A && sampler.B);
            _output.WriteLine($"samples {sampler.Samples} (every 10 ms), both holding: {sampler.Both}; takeover after A's public link failed: {takeover.TotalMilliseconds:0} ms");
            // A's VRRP engine or its arbiter (rule M1), whichever sees the carrier first, releases.
            WaitLogged(logA, "MASTER -> FAULT", "A did not release (MASTER -> FAULT)");
            WaitLogged(logB, "rule B8", "B did not take over by rule B8");
            AssertNeverTwoHolders(sampler);
        }
        finally { DumpLogs(); }
    }

    [Fact]
    public void Master_power_loss_is_taken_over_without_overlap()
    {
        var (logA, logB) = StartPair();
        using var sampler = new VipSampler(NsA, NsB);
        try
        {
            Wait.Until(() => sampler.A && !sampler.B && Logged(logB, "rule B2"), TimeSpan.FromSeconds(15), "A did not become the single master");
            WaitSamples(sampler, 20);
            // Power loss: A's process dies and its links go dark (the VIP stays in A's dead
            // namespace's table, on NICs without carrier: from then on A no longer counts as a holder).
            var sw = Stopwatch.StartNew();
            _procs[0].P.Kill();
            Sh($"ip -n {NsA} link set pub0 down");
            Sh($"ip -n {NsA} link set hb0 down");
            sampler.APoweredOff = true;
            Wait.Until(() => sampler.B, TimeSpan.FromSeconds(15), "B did not take over after A's power loss");
            _output.WriteLine($"takeover after power loss: {sw.Elapsed.TotalMilliseconds:0} ms; samples {sampler.Samples}");
            WaitLogged(logB, "rule B8", "B did not take over by rule B8");
            AssertNeverTwoHolders(sampler);
        }
        finally { DumpLogs(); }
    }

    [Fact]
    public void Graceful_stop_of_the_master_says_stopping_over_serial_and_the_backup_takes_over_at_once()
    {
        var (logA, logB) = StartPair();
        using var sampler = new VipSampler(NsA, NsB);
        try
        {
            Wait.Until(() => sampler.A && !sampler.B && Logged(logB, "rule B2"), TimeSpan.FromSeconds(15), "A did not become the single master");
            WaitSamples(sampler, 20);
            var sw = Stopwatch.StartNew();
            var a = _procs[0].P;
            Sh($"kill -TERM {a.Id}");
            Wait.Until(() => sampler.B, TimeSpan.FromSeconds(15), "B did not take over after A's graceful stop");
            var takeover = sw.Elapsed;
            Assert.True(a.WaitForExit(10_000), "A did not exit after SIGTERM");
            Assert.Equal(0, a.ExitCode);
            WaitSamples(sampler, 20);
            _output.WriteLine($"takeover after SIGTERM of the master: {takeover.TotalMilliseconds:0} ms; samples {sampler.Samples}, both holding: {sampler.Both}");
            // Break before make: A released (priority 0), then said STOPPING over the cable; B took over by rule B3.
            WaitLogged(logB, "the peer says Stopping", "B did not hear STOPPING over the serial link");
            WaitLogged(logB, "rule B3", "B did not take over by rule B3 (planned handover)");
            Assert.True(!sampler.A && sampler.B);
            AssertNeverTwoHolders(sampler);
        }
        finally { DumpLogs(); }
    }

    [Fact]
    public void Without_the_serial_heartbeat_a_cut_heartbeat_link_is_judged_by_the_probe_and_a_dead_master_is_taken_over()
    {
        // A first: without the serial link nothing tells a live master to hand over, so a B that won
        // a start-up race would keep the VIP (a live master answers for it: B7 withholds preemption).
        StartAppliance("A", NsA, Ini("director-a", 1, 150, "10.214.0.1", "10.214.0.2", null));
        using var sampler = new VipSampler(NsA, NsB);
        try
        {
            Wait.Until(() => sampler.A, TimeSpan.FromSeconds(15), "A did not become master on its own");
            var logB = StartAppliance("B", NsB, Ini("director-b", 2, 100, "10.214.0.2", "10.214.0.1", null));
            Wait.Until(() => Logged(logB, "rule B4"), TimeSpan.FromSeconds(15), "B did not start as backup");
            WaitSamples(sampler, 30);
            Assert.True(sampler.A && !sampler.B, "A did not stay the single master");
            WaitLogged(logB, "[serial_heartbeat] is disabled", "B did not say it runs without the serial heartbeat");

            // Heartbeat veth cut, no serial link: A still answers ARP on the public NIC, so B stays backup (rule B7).
            Sh($"ip -n {NsA} link set hb0 down");
            Wait.Until(() => Logged(logB, "rule B7"), TimeSpan.FromSeconds(15), "B did not conclude 'links cut, peer answers'");
            WaitSamples(sampler, 100);
            Assert.True(sampler.A && !sampler.B, "after the heartbeat cut A must still be the only holder");
            WaitLogged(logB, "PeerAnswersOnPublicOnly; front-panel fault", "no alarm on B");

            // A loses power: its kernel stops answering, B's repeated probe goes silent, B takes over (rule B8).
            var sw = Stopwatch.StartNew();
            _procs[0].P.Kill();
            Sh($"ip -n {NsA} link set pub0 down");
            sampler.APoweredOff = true;
            Wait.Until(() => sampler.B, TimeSpan.FromSeconds(15), "B did not take over after A's power loss");
            _output.WriteLine($"no serial: takeover after power loss (heartbeat already cut): {sw.Elapsed.TotalMilliseconds:0} ms; samples {sampler.Samples}, both holding: {sampler.Both}");
            WaitLogged(logB, "rule B8", "B did not take over by rule B8");
            AssertNeverTwoHolders(sampler);
        }
        finally { DumpLogs(); }
    }

    [Fact]
    public void A_restarted_higher_priority_director_preempts_break_before_make()
    {
        // B (priority 100) alone first: it takes over (the peer is silent everywhere).
        var logB = StartAppliance("B", NsB, Ini("director-b", 2, 100, "10.214.0.2", "10.214.0.1", _cable.B));
        using var sampler = new VipSampler(NsA, NsB);
        try
        {
            Wait.Until(() => sampler.B && !sampler.A, TimeSpan.FromSeconds(15), "B did not become master on its own");
            // A (150, preempt = yes) comes up: it asks over the serial link, B hands over first (rule M4), A takes over (B5).
            var sw = Stopwatch.StartNew();
            var logA = StartAppliance("A", NsA, Ini("director-a", 1, 150, "10.214.0.1", "10.214.0.2", _cable.A));
            Wait.Until(() => sampler.A && !sampler.B, TimeSpan.FromSeconds(15), "A did not preempt B");
            _output.WriteLine($"preemption after A's start: {sw.Elapsed.TotalMilliseconds:0} ms; samples {sampler.Samples}, both holding: {sampler.Both}");
            WaitLogged(logB, "rule M4", "B did not hand over by rule M4");
            WaitLogged(logA, "rule B5", "A did not take over by rule B5");
            WaitSamples(sampler, 30);
            Assert.True(sampler.A && !sampler.B, "A must stay the single master");
            AssertNeverTwoHolders(sampler);
        }
        finally { DumpLogs(); }
    }
}
