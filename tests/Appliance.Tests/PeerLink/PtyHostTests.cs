using System.Diagnostics;
using Appliance.PeerLink;
using Xunit;
using Xunit.Abstractions;

namespace Appliance.Tests.PeerLink;

/// <summary>
/// Two PeerLink endpoints over real ptys joined by socat (the null-modem cable), 100 ms interval.
/// Every wait is on a condition with a bound.
/// </summary>
[Trait("Category", "Host")]
[Collection("pty")]
public class PtyHostTests(ITestOutputHelper output)
{
    private static readonly PeerLinkKey Key = SessionTests.Key;
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(5);

    private static byte[] FrameFrom(PeerLinkSession s, NodeRole role = NodeRole.Master)
    {
        var f = new byte[Frame.MaxEncoded];
        return f.AsSpan(0, s.WriteHeartbeat(TimeSpan.FromSeconds(1), SessionTests.Status(role), f)).ToArray();
    }

    private static void AssertNoSecretLogged(params RunningEndpoint[] endpoints)
    {
        foreach (var e in endpoints)
            Assert.DoesNotContain(e.Log.Lines, l => l.Contains("0123456789abcdef"));
    }

    [Fact]
    public void Two_endpoints_exchange_authenticated_frames_at_100ms()
    {
        using var cable = new SocatCable();
        using var a = new RunningEndpoint(cable.A, 1, Key, 0xA1, NodeRole.Master);
        using var b = new RunningEndpoint(cable.B, 2, Key, 0xB2, NodeRole.Backup);
        Wait.Until(() => a.Status.PeerAlive && b.Status.PeerAlive, Bound, "the two endpoints did not see each other alive");
        long before = b.Status.Counters.Accepted;
        var sw = Stopwatch.StartNew();
        Wait.Until(() => b.Status.Counters.Accepted >= before + 20, Bound, "B did not accept 20 more frames");
        double rate = 20 / sw.Elapsed.TotalSeconds;
        output.WriteLine($"accepted rate {rate:0.0} frames/s; A: {a.Status.Counters}; B: {b.Status.Counters}");
        Assert.InRange(rate, 5, 13); // 10/s nominal; never more than configured, fewer only when the host is starved
        Assert.Equal(NodeRole.Master, b.Status.LastMessage!.Value.Role);
        Assert.Equal(NodeRole.Backup, a.Status.LastMessage!.Value.Role);
        Assert.Equal(2, b.Status.LastMessage!.Value.Instances.Count);
        foreach (var r in Enum.GetValues<RejectReason>().Where(r => r != RejectReason.UnconfirmedEpoch))
        {
            Assert.Equal(0, a.Status.Counters.Rejected(r));
            Assert.Equal(0, b.Status.Counters.Rejected(r));
        }
        // At most the frames before the handshake completed.
        Assert.InRange(b.Status.Counters.Rejected(RejectReason.UnconfirmedEpoch), 0, 3);
        AssertNoSecretLogged(a, b);
    }

    [Fact]
    public void Injected_garbage_truncated_wrong_key_and_duplicate_id_frames_are_counted_and_liveness_holds()
    {
        using var cable = new SocatCable();
        using var a = new RunningEndpoint(cable.A, 1, Key, 0xA1, NodeRole.Master);
        using var b = new RunningEndpoint(cable.B, 2, Key, 0xB2, NodeRole.Backup);
        // A second opener of A's pty: what it writes arrives at B, between A's frames (one write() is not split).
        using var injector = new SerialPort(cable.A);
        injector.Open();
        Wait.Until(() => b.Status.PeerAlive, Bound, "B did not see A alive");

        bool bEverDead = false;
        void Inject(byte[] bytes, RejectReason reason, string what)
        {
            long before = b.Status.Counters.Rejected(reason);
            Assert.Equal(bytes.Length, injector.Write(bytes));
            Wait.Until(() => { bEverDead |= !b.Status.PeerAlive; return b.Status.Counters.Rejected(reason) > before; },
                Bound, $"B did not count {what} as {reason}; B: {b.Status.Counters}");
        }

        var rng = new Random(42);
        var noise = new byte[64];
        rng.NextBytes(noise);
        for (int i = 0; i < noise.Length; i++) noise[i] = (byte)(noise[i] | 1);
        Inject([.. noise, 0], RejectReason.Garbage, "64 bytes of noise");

        var good = FrameFrom(new PeerLinkSession(new PeerLinkOptions { NodeId = 9 }, Key, 0x99));
        Inject([.. good.AsSpan(0, good.Length / 2), 0], RejectReason.Truncated, "half a frame");
        Inject(FrameFrom(new PeerLinkSession(new PeerLinkOptions { NodeId = 1 }, SessionTests.OtherKey, 0xA1)), RejectReason.BadMac, "a frame with another key");
        Inject(FrameFrom(new PeerLinkSession(new PeerLinkOptions { NodeId = 2 }, Key, 0x2222)), RejectReason.DuplicateNodeId, "a frame with B's node id");
        var flipped = FrameFrom(new PeerLinkSession(new PeerLinkOptions { NodeId = 1 }, Key, 0xA1));
        flipped[20] ^= 0x10;
        if (flipped[20] == 0) flipped[20] = 0x10;
        Inject(flipped, RejectReason.BadCrc, "a frame with a flipped bit");

        // A's frames kept arriving between the injections: B never lost the peer.
        Wait.Until(() => { bEverDead |= !b.Status.PeerAlive; return b.Status.Counters.Accepted > 20; }, Bound, "B stopped accepting A's frames");
        Assert.False(bEverDead, "B declared A dead during the injections");
        output.WriteLine($"B: {b.Status.Counters}");
        AssertNoSecretLogged(a, b);
    }

    [Fact]
    public void Captured_and_replayed_frames_are_rejected_and_do_not_keep_a_dead_peer_alive()
    {
        // A -- cable1 -- relay (this test, capturing) -- cable2 -- B
        using var cable1 = new SocatCable();
        using var cable2 = new SocatCable();
        using var a = new RunningEndpoint(cable1.A, 1, Key, 0xA1, NodeRole.Master);
        using var b = new RunningEndpoint(cable2.B, 2, Key, 0xB2, NodeRole.Backup);
        using var m1 = new SerialPort(cable1.B);
        using var m2 = new SerialPort(cable2.A);
        m1.Open();
        m2.Open();
        var captured = new List<byte[]>();
        var decoder = new FrameDecoder();
        var current = new List<byte>();
        var buf = new byte[512];
        bool relaying = true;
        void Pump()
        {
            if (m1.WaitReadable(5))
                for (int n; (n = m1.Read(buf)) > 0;)
                {
                    if (relaying) m2.Write(buf.AsSpan(0, n));
                    foreach (var x in buf.AsSpan(0, n))
                    {
                        current.Add(x);
                        if (x == 0)
                        {
                            if (current.Count > 2) captured.Add([0, .. current]);
                            current.Clear();
                        }
                    }
                }
            if (m2.WaitReadable(5))
                for (int n; (n = m2.Read(buf)) > 0;) m1.Write(buf.AsSpan(0, n));
        }
        Wait.Until(() => { Pump(); return b.Status.PeerAlive && a.Status.PeerAlive; }, Bound, "no session through the relay");
        Wait.Until(() => { Pump(); return captured.Count >= 30; }, Bound, "did not capture 30 frames of A");

        // Re-send frames B has already accepted: replays.
        long replays = b.Status.Counters.Rejected(RejectReason.Replay);
        foreach (var f in captured.TakeLast(10)) m2.Write(f);
        Wait.Until(() => { Pump(); return b.Status.Counters.Rejected(RejectReason.Replay) >= replays + 10; }, Bound,
            $"B did not count 10 replays; B: {b.Status.Counters}");

        // Cut A off (stop relaying) and keep replaying everything captured: B must declare A dead anyway.
        relaying = false;
        var sw = Stopwatch.StartNew();
        int i = 0;
        Wait.Until(() =>
        {
            Pump();
            m2.Write(captured[i++ % captured.Count]);
            return !b.Status.PeerAlive;
        }, Bound, "replayed frames kept a silent peer alive");
        output.WriteLine($"B declared A dead {sw.ElapsedMilliseconds} ms after the cut despite {i} replayed frames; B: {b.Status.Counters}");
        Assert.Equal(0, b.Status.Counters.Rejected(RejectReason.BadCrc));
    }

    [Fact]
    public void Loopback_plug_is_recognised_as_echo_and_never_makes_a_peer()
    {
        using var plug = new SocatCable(loop: true);
        using var a = new RunningEndpoint(plug.A, 1, Key, 0xA1, NodeRole.Master);
        Wait.Until(() => a.Status.Counters.Rejected(RejectReason.Echo) >= 5, Bound, $"no echo counted; A: {a.Status.Counters}");
        Assert.False(a.Status.PeerAlive);
        Assert.Equal(0, a.Status.Counters.Accepted);
        Assert.Contains(a.Log.Lines, l => l.Contains("loops back"));
    }

    [Fact]
    public void Peer_with_the_same_node_id_is_refused_on_both_sides()
    {
        using var cable = new SocatCable();
        using var a = new RunningEndpoint(cable.A, 5, Key, 0xA1, NodeRole.Master);
        using var b = new RunningEndpoint(cable.B, 5, Key, 0xB2, NodeRole.Master);
        Wait.Until(() => a.Status.Counters.Rejected(RejectReason.DuplicateNodeId) >= 3 && b.Status.Counters.Rejected(RejectReason.DuplicateNodeId) >= 3,
            Bound, "duplicate node id not counted on both sides");
        Assert.False(a.Status.PeerAlive || b.Status.PeerAlive);
        Assert.Contains(a.Log.Lines, l => l.Contains("uses our node id 5"));
    }

    [Fact]
    public void Peer_with_a_wrong_key_is_never_alive()
    {
        using var cable = new SocatCable();
        using var a = new RunningEndpoint(cable.A, 1, Key, 0xA1, NodeRole.Master);
        using var b = new RunningEndpoint(cable.B, 2, SessionTests.OtherKey, 0xB2, NodeRole.Backup);
        Wait.Until(() => a.Status.Counters.Rejected(RejectReason.BadMac) >= 5 && b.Status.Counters.Rejected(RejectReason.BadMac) >= 5,
            Bound, "bad MAC not counted on both sides");
        Assert.False(a.Status.PeerAlive || b.Status.PeerAlive);
        Assert.Equal(0, a.Status.Counters.Accepted + b.Status.Counters.Accepted);
    }

    [Fact]
    public void Dead_time_detection_is_within_one_interval_of_the_setting()
    {
        using var cable = new SocatCable();
        // Keeps A's pty open after A stops, so socat stays up and B sees silence, not a hang-up.
        using var holder = new SerialPort(cable.A);
        holder.Open();
        using var b = new RunningEndpoint(cable.B, 2, Key, 0xB2, NodeRole.Backup);
        var samples = new List<double>();
        for (int run = 0; run < 5; run++)
        {
            var a = new RunningEndpoint(cable.A, 1, Key, (ulong)(0xA100 + run), NodeRole.Master);
            Wait.Until(() => b.Status.PeerAlive && b.Status.LastMessage?.BootId == (ulong)(0xA100 + run), Bound, "B did not see A alive");
            a.Dispose();
            var sw = Stopwatch.StartNew();
            Wait.Until(() => !b.Status.PeerAlive, Bound, "B never declared A dead");
            samples.Add(sw.Elapsed.TotalMilliseconds);
        }
        samples.Sort();
        output.WriteLine($"dead-time detection after the peer stopped (dead_time 400 ms, interval 100 ms): {string.Join(", ", samples.Select(s => $"{s:0}"))} ms; median {samples[2]:0} ms");
        // The last frame left up to one interval before the stop; the loop samples every <= 50 ms.
        // Never early (that would be a false "peer dead"); late only by scheduling delay, generous under load.
        Assert.All(samples, s => Assert.InRange(s, 400 - 100 - 20, 400 + 1000));
    }

    [Fact]
    public void Pulled_cable_fails_the_ports_and_they_reopen_when_it_is_back()
    {
        using var cable = new SocatCable();
        using var a = new RunningEndpoint(cable.A, 1, Key, 0xA1, NodeRole.Master);
        using var b = new RunningEndpoint(cable.B, 2, Key, 0xB2, NodeRole.Backup);
        Wait.Until(() => a.Status.PeerAlive && b.Status.PeerAlive, Bound, "no session");
        cable.Stop();
        Wait.Until(() => a.Status.Port == PortState.Failed && b.Status.Port == PortState.Failed, Bound, "ports did not fail after the cable was pulled");
        Assert.Contains("serial port", a.Status.LastError);
        Wait.Until(() => !b.Status.PeerAlive, Bound, "peer still alive without a cable");
        cable.Start();
        var t = Wait.Until(() => a.Status.PeerAlive && b.Status.PeerAlive, TimeSpan.FromSeconds(15), "no session after the cable came back");
        output.WriteLine($"session back {t.TotalMilliseconds:0} ms after the cable; A: {a.Status.Counters}");
        Assert.True(a.Status.Counters.Opens >= 2 && a.Status.Counters.PortErrors >= 1);
    }

    [Fact]
    public void Handover_command_crosses_the_cable_once_and_is_acknowledged()
    {
        using var cable = new SocatCable();
        using var a = new RunningEndpoint(cable.A, 1, Key, 0xA1, NodeRole.Master);
        using var b = new RunningEndpoint(cable.B, 2, Key, 0xB2, NodeRole.Backup);
        Wait.Until(() => a.Status.PeerAlive && b.Status.PeerAlive, Bound, "no session");
        var sw = Stopwatch.StartNew();
        a.Endpoint.Post(now => { a.Endpoint.Session.Issue(PeerCommand.HandoverNow, now); a.Endpoint.SendNow(now); });
        Wait.Until(() => !b.Commands.IsEmpty, Bound, "B did not receive HANDOVER_NOW");
        output.WriteLine($"HANDOVER_NOW delivered in {sw.Elapsed.TotalMilliseconds:0.0} ms");
        Wait.Until(() => a.Status.Counters.CommandsAcknowledged == 1, Bound, "A's command was not acknowledged");
        Assert.Single(b.Commands);
        Assert.Equal(1, b.Status.Counters.CommandsReceived);
    }
}
