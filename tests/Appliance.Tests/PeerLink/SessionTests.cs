using Appliance.PeerLink;
using Xunit;

namespace Appliance.Tests.PeerLink;

/// <summary>The pure session core: authentication, replay protection, echo and duplicate detection, liveness, commands.</summary>
public class SessionTests
{
    internal static readonly PeerLinkKey Key = new("0123456789abcdef-test-key"u8);
    internal static readonly PeerLinkKey OtherKey = new("another-key-entirely-0000"u8);
    private static readonly TimeSpan Ms = TimeSpan.FromMilliseconds(1);

    internal static LocalStatus Status(NodeRole role) => new(role,
        new HealthSummary(HealthFlags.PublicLinkUp | HealthFlags.HeartbeatLinkUp, SyncState.Master, 3, 4),
        [new InstanceReport(51, 4, role == NodeRole.Master ? InstanceState.Master : InstanceState.Backup, 150),
         new InstanceReport(52, 6, role == NodeRole.Master ? InstanceState.Master : InstanceState.Backup, 150)]);

    private sealed class Wire
    {
        public List<byte[]> Payloads { get; } = [];
        public FrameDecoder Decoder { get; } = new();
    }

    internal static byte[] Payload(PeerLinkSession s, TimeSpan now, LocalStatus status)
    {
        var frame = new byte[Frame.MaxEncoded];
        int n = s.WriteHeartbeat(now, status, frame);
        var d = new FrameDecoder();
        byte[]? payload = null;
        foreach (var b in frame.AsSpan(0, n))
            if (d.Push(b) == FrameStatus.Frame) payload = d.Payload.ToArray();
        return payload ?? throw new InvalidOperationException("own frame did not decode");
    }

    private static (PeerLinkSession A, PeerLinkSession B) Pair(PeerLinkKey? keyB = null) =>
        (new PeerLinkSession(new PeerLinkOptions { NodeId = 1 }, Key, 0xA1A1),
         new PeerLinkSession(new PeerLinkOptions { NodeId = 2 }, keyB ?? Key, 0xB2B2));

    /// <summary>Runs the exchange until both have accepted each other; returns the time reached.</summary>
    private static TimeSpan Handshake(PeerLinkSession a, PeerLinkSession b, TimeSpan t)
    {
        for (int i = 0; i < 4; i++, t += 100 * Ms)
        {
            b.Receive(Payload(a, t, Status(NodeRole.Master)), t);
            a.Receive(Payload(b, t, Status(NodeRole.Backup)), t);
        }
        Assert.True(a.View(t).Alive && b.View(t).Alive, "handshake did not complete");
        return t;
    }

    [Fact]
    public void Message_round_trips_every_field()
    {
        var m = new PeerMessage
        {
            Version = 1, Command = PeerCommand.HandoverNow, NodeId = 0xDEADBEEF, BootId = 0x0102030405060708, Sequence = 99,
            TimestampMs = 123456, EchoBootId = 7, EchoSequence = 8, CommandId = 9, AckCommandId = 10,
            Health = new HealthSummary(HealthFlags.PublicLinkUp | HealthFlags.FrontPanelFault, SyncState.Resyncing, 5, 6),
            Role = NodeRole.Fault, Instances = [new InstanceReport(1, 4, InstanceState.Fault, 0), new InstanceReport(255, 6, InstanceState.Master, 255)],
        };
        var buf = new byte[PeerMessage.MaxSize];
        int n = m.WriteTo(buf);
        Assert.Equal(PeerMessage.HeaderSize + 8, n);
        Assert.True(PeerMessage.TryRead(buf.AsSpan(0, n + PeerMessage.MacSize), out var r, out int body, out _));
        Assert.Equal(n, body);
        Assert.Equal(m.ToString(), r.ToString());
        Assert.Equal((m.Command, m.NodeId, m.BootId, m.Sequence, m.TimestampMs, m.EchoBootId, m.EchoSequence, m.CommandId, m.AckCommandId, m.Health, m.Role),
                     (r.Command, r.NodeId, r.BootId, r.Sequence, r.TimestampMs, r.EchoBootId, r.EchoSequence, r.CommandId, r.AckCommandId, r.Health, r.Role));
        Assert.Equal(m.Instances, r.Instances);
    }

    [Fact]
    public void Every_truncation_and_extension_of_a_message_is_rejected_without_throwing()
    {
        var (a, b) = Pair();
        var p = Payload(a, TimeSpan.Zero, Status(NodeRole.Master));
        for (int len = 0; len < p.Length; len++)
            Assert.False(b.Receive(p.AsSpan(0, len), TimeSpan.Zero).Accepted);
        Assert.False(b.Receive([.. p, 0], TimeSpan.Zero).Accepted);
        Assert.Equal(0, b.Counters.Accepted);
        Assert.True(b.Counters.Rejected(RejectReason.Truncated) > 0);
        Assert.Equal(1, b.Counters.Rejected(RejectReason.Malformed));
    }

    [Fact]
    public void Out_of_range_fields_are_malformed_and_wrong_magic_or_version_are_named()
    {
        var (a, b) = Pair();
        var p = Payload(a, TimeSpan.Zero, Status(NodeRole.Master));
        foreach (var (offset, value, reason) in new (int, byte, RejectReason)[]
                 { (0, 0x42, RejectReason.BadMagic), (2, 2, RejectReason.UnsupportedVersion), (3, 9, RejectReason.Malformed),
                   (64, 9, RejectReason.Malformed), (59, 9, RejectReason.Malformed), (58, 0x80, RejectReason.Malformed),
                   (65, 33, RejectReason.Malformed), (PeerMessage.HeaderSize + 1, 5, RejectReason.Malformed),
                   (PeerMessage.HeaderSize + 2, 7, RejectReason.Malformed) })
        {
            var bad = (byte[])p.Clone();
            bad[offset] = value;
            var o = b.Receive(bad, TimeSpan.Zero);
            Assert.False(o.Accepted);
            Assert.Equal(reason, o.Reason);
        }
    }

    [Fact]
    public void Any_changed_byte_or_wrong_key_fails_the_MAC()
    {
        var (a, b) = Pair();
        var p = Payload(a, TimeSpan.Zero, Status(NodeRole.Master));
        // Bytes whose change keeps the message well-formed: ids, sequence, times, priorities, the MAC itself.
        foreach (int i in new[] { 6, 10, 17, 25, 30, 40, 49, 53, 57, 60, PeerMessage.HeaderSize + 3, p.Length - 1, p.Length - 16 })
        {
            var bad = (byte[])p.Clone();
            bad[i] ^= 0x01;
            Assert.Equal(RejectReason.BadMac, b.Receive(bad, TimeSpan.Zero).Reason);
        }
        var (_, wrongKey) = Pair(OtherKey);
        Assert.Equal(RejectReason.BadMac, wrongKey.Receive(p, TimeSpan.Zero).Reason);
    }

    [Fact]
    public void Handshake_completes_within_two_exchanges_and_peer_state_is_visible()
    {
        var (a, b) = Pair();
        var t = TimeSpan.Zero;
        // First frame of A: B has never been heard by A, so it echoes nothing: unconfirmed.
        Assert.Equal(RejectReason.UnconfirmedEpoch, b.Receive(Payload(a, t, Status(NodeRole.Master)), t).Reason);
        Assert.True(b.View(t).HandshakePending);
        // B's frame echoes A's boot and sequence 1: A accepts it. Then A echoes B: B accepts.
        var ob = a.Receive(Payload(b, t, Status(NodeRole.Backup)), t);
        Assert.True(ob.Accepted && ob.NewPeerBoot);
        var oa = b.Receive(Payload(a, t + 100 * Ms, Status(NodeRole.Master)), t + 100 * Ms);
        Assert.True(oa.Accepted && oa.NewPeerBoot);
        Assert.Equal(NodeRole.Master, b.View(t + 100 * Ms).Last!.Value.Role);
        Assert.Equal(2, b.View(t + 100 * Ms).Last!.Value.Instances.Count);
    }

    [Fact]
    public void Replayed_frame_is_rejected_and_does_not_refresh_liveness()
    {
        var (a, b) = Pair();
        var t = Handshake(a, b, TimeSpan.Zero);
        var captured = Payload(a, t, Status(NodeRole.Master));
        Assert.True(b.Receive(captured, t).Accepted);
        // A dies. An attacker (or a buffering modem) re-sends the captured frame later.
        var later = t + 300 * Ms;
        Assert.Equal(RejectReason.Replay, b.Receive(captured, later).Reason);
        Assert.False(b.View(t + 400 * Ms).Alive);
        Assert.Equal(1, b.Counters.Rejected(RejectReason.Replay));
    }

    [Fact]
    public void Restarted_peer_is_accepted_and_frames_of_its_old_boot_are_stale()
    {
        var (a, b) = Pair();
        var t = Handshake(a, b, TimeSpan.Zero);
        var oldFrames = Enumerable.Range(0, 5).Select(i => Payload(a, t + i * 10 * Ms, Status(NodeRole.Master))).ToList();
        // A reboots with a new boot id.
        var a2 = new PeerLinkSession(new PeerLinkOptions { NodeId = 1 }, Key, 0xA2A2);
        t += 200 * Ms;
        Assert.Equal(RejectReason.UnconfirmedEpoch, b.Receive(Payload(a2, t, Status(NodeRole.Backup)), t).Reason);
        a2.Receive(Payload(b, t, Status(NodeRole.Master)), t);
        var o = b.Receive(Payload(a2, t + 100 * Ms, Status(NodeRole.Backup)), t + 100 * Ms);
        Assert.True(o.Accepted && o.NewPeerBoot);
        // The old boot's frames (never delivered, so their sequence numbers are "new") are stale now.
        foreach (var f in oldFrames) Assert.Equal(RejectReason.StaleEpoch, b.Receive(f, t + 150 * Ms).Reason);
    }

    [Fact]
    public void Recording_from_an_earlier_boot_of_ours_cannot_establish_a_session()
    {
        // Frames of A recorded while B ran with an earlier boot id echo that boot: after B restarts they prove nothing.
        var a = new PeerLinkSession(new PeerLinkOptions { NodeId = 1 }, Key, 0xA1A1);
        var bOld = new PeerLinkSession(new PeerLinkOptions { NodeId = 2 }, Key, 0xB0B0);
        var t = Handshake(a, bOld, TimeSpan.Zero);
        var recorded = Enumerable.Range(0, 10).Select(i => Payload(a, t + i * 100 * Ms, Status(NodeRole.Master))).ToList();
        var bNew = new PeerLinkSession(new PeerLinkOptions { NodeId = 2 }, Key, 0xB1B1);
        foreach (var f in recorded) Assert.Equal(RejectReason.UnconfirmedEpoch, bNew.Receive(f, t).Reason);
        Assert.False(bNew.View(t).Alive);
    }

    [Fact]
    public void Frame_echoing_an_old_sequence_of_ours_cannot_switch_the_peer_boot()
    {
        var (a, b) = Pair();
        var t = Handshake(a, b, TimeSpan.Zero);
        // C (same key, new boot) heard B long ago and then B sent many frames since.
        var c = new PeerLinkSession(new PeerLinkOptions { NodeId = 1 }, Key, 0xC3C3);
        c.Receive(Payload(b, t, Status(NodeRole.Master)), t);
        for (int i = 0; i < (int)b.EchoWindow + 1; i++) b.WriteHeartbeat(t, Status(NodeRole.Master), new byte[Frame.MaxEncoded]);
        Assert.Equal(RejectReason.UnconfirmedEpoch, b.Receive(Payload(c, t, Status(NodeRole.Master)), t).Reason);
    }

    [Fact]
    public void Own_frames_coming_back_are_echo_and_same_node_id_is_duplicate()
    {
        var (a, _) = Pair();
        var own = Payload(a, TimeSpan.Zero, Status(NodeRole.Master));
        Assert.Equal(RejectReason.Echo, a.Receive(own, TimeSpan.Zero).Reason);
        var twin = new PeerLinkSession(new PeerLinkOptions { NodeId = 1 }, Key, 0xF00D);
        Assert.Equal(RejectReason.DuplicateNodeId, a.Receive(Payload(twin, TimeSpan.Zero, Status(NodeRole.Master)), TimeSpan.Zero).Reason);
        Assert.False(a.View(TimeSpan.Zero).Alive);
    }

    [Fact]
    public void Peer_is_dead_exactly_after_the_dead_time()
    {
        var (a, b) = Pair();
        var t = Handshake(a, b, TimeSpan.Zero);
        Assert.True(b.Receive(Payload(a, t, Status(NodeRole.Master)), t).Accepted);
        Assert.True(b.View(t + 399 * Ms).Alive);
        Assert.False(b.View(t + 400 * Ms).Alive);
    }

    [Fact]
    public void Command_is_repeated_until_acknowledged_and_delivered_once()
    {
        var (a, b) = Pair();
        var t = Handshake(a, b, TimeSpan.Zero);
        a.Issue(PeerCommand.HandoverNow, t);
        var f1 = Payload(a, t, Status(NodeRole.Fault));
        // First copy lost on the line; the second one arrives.
        var f2 = Payload(a, t + 10 * Ms, Status(NodeRole.Fault));
        var o = b.Receive(f2, t + 10 * Ms);
        Assert.Equal(PeerCommand.HandoverNow, o.NewCommand);
        Assert.Equal(RejectReason.Replay, b.Receive(f1, t + 11 * Ms).Reason);
        // A third copy (A has not heard the ack yet) is accepted but not delivered again.
        Assert.Equal(PeerCommand.None, b.Receive(Payload(a, t + 20 * Ms, Status(NodeRole.Fault)), t + 20 * Ms).NewCommand);
        Assert.Equal(PeerCommand.HandoverNow, a.PendingCommand);
        Assert.True(a.Receive(Payload(b, t + 30 * Ms, Status(NodeRole.Master)), t + 30 * Ms).OurCommandAcknowledged);
        Assert.Equal(PeerCommand.None, a.PendingCommand);
        Assert.Equal(1, b.Counters.CommandsReceived);
        Assert.Equal(1, a.Counters.CommandsAcknowledged);
    }

    [Fact]
    public void Unacknowledged_command_gives_up_after_its_timeout()
    {
        var (a, _) = Pair();
        a.Issue(PeerCommand.Stopping, TimeSpan.Zero);
        Payload(a, TimeSpan.FromSeconds(2), Status(NodeRole.Stopping));
        Assert.Equal(PeerCommand.Stopping, a.PendingCommand);
        Payload(a, TimeSpan.FromSeconds(3.1), Status(NodeRole.Stopping));
        Assert.Equal(PeerCommand.None, a.PendingCommand);
    }

    [Fact]
    public void Key_is_never_shown_and_short_keys_are_refused()
    {
        Assert.DoesNotContain("0123456789", Key.ToString());
        var e = Assert.Throws<ArgumentException>(() => new PeerLinkKey("short-secret"u8));
        Assert.DoesNotContain("short-secret", e.Message);
    }

    [Fact]
    public void Options_refuse_a_dead_time_shorter_than_two_intervals()
    {
        var e = Assert.Throws<ArgumentException>(() => new PeerLinkOptions { NodeId = 1, DeadTime = TimeSpan.FromMilliseconds(150) }.Validate());
        Assert.Contains("dead_time", e.Message);
    }

    [Fact]
    public void Fuzzed_payloads_never_throw_and_never_get_accepted()
    {
        var (a, b) = Pair();
        var t = Handshake(a, b, TimeSpan.Zero);
        var rng = new Random(7);
        var good = Payload(a, t, Status(NodeRole.Master));
        long before = b.Counters.Accepted, rejectedBefore = b.Counters.RejectedTotal;
        for (int i = 0; i < 20000; i++)
        {
            var p = (byte[])good.Clone();
            for (int k = rng.Next(1, 4); k > 0; k--) p[rng.Next(p.Length)] ^= (byte)rng.Next(1, 256);
            b.Receive(p.AsSpan(0, rng.Next(p.Length + 1)), t);
        }
        Assert.Equal(before, b.Counters.Accepted);
        Assert.Equal(20000, b.Counters.RejectedTotal - rejectedBefore);
    }
}
