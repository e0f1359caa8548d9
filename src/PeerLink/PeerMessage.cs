using System.Buffers.Binary;
using System.Text;

namespace Appliance.PeerLink;

/// <summary>What the sender says about itself as a whole (its VRRP instances move together).</summary>
public enum NodeRole : byte
{
    Initialize = 0,
    Backup = 1,
    Master = 2,
    /// <summary>Its public link failed: it holds no VIP and will not take over.</summary>
    Fault = 3,
    /// <summary>It is shutting down and has already released its VIPs.</summary>
    Stopping = 4,
}

/// <summary>State of one VRRP instance; values as in RFC 5798 section 6.4 plus keepalived's FAULT.</summary>
public enum InstanceState : byte
{
    Initialize = 0,
    Backup = 1,
    Master = 2,
    Fault = 3,
}

/// <summary>An order carried in a heartbeat, repeated until the peer acknowledges its id.</summary>
public enum PeerCommand : byte
{
    None = 0,
    /// <summary>"Take over now": the sender has released (or is about to have released) its VIPs and wants the receiver to become master without waiting for VRRP's Master_Down_Interval.</summary>
    HandoverNow = 1,
    /// <summary>"I am stopping": orderly shutdown; the sender holds no VIP any more.</summary>
    Stopping = 2,
}

[Flags]
public enum HealthFlags : byte
{
    None = 0,
    PublicLinkUp = 1,
    HeartbeatLinkUp = 2,
    /// <summary>The sender shows a fault on its front panel.</summary>
    FrontPanelFault = 4,
    /// <summary>The sender is BACKUP and its VRRP engine wants to take over (Master_Down expired, or it would preempt): a live master with lower precedence hands over first (break before make).</summary>
    WantsMaster = 8,
}

/// <summary>State of the sender's IPVS connection-sync daemon.</summary>
public enum SyncState : byte
{
    Off = 0,
    Master = 1,
    Backup = 2,
    Resyncing = 3,
}

/// <summary>One VRRP instance as reported to the peer.</summary>
public readonly record struct InstanceReport(byte VirtualRouterId, byte Family, InstanceState State, byte Priority)
{
    public const int Size = 4;
}

/// <summary>The sender's health summary.</summary>
public readonly record struct HealthSummary(HealthFlags Flags, SyncState Sync, ushort RealServersHealthy, ushort RealServersTotal);

/// <summary>
/// One heartbeat message (the payload of a <see cref="Frame"/>), network byte order:
/// <code>
///  0 magic "AL" (0x41 0x4C)   2 version (1)      3 command
///  4 flags u16 (reserved, 0)   6 node id u32
/// 10 boot id u64             18 sequence u64     26 sender monotonic time, ms u64
/// 34 echo boot id u64        42 echo sequence u64 (the newest frame of the receiver the sender accepted)
/// 50 command id u32          54 acknowledged command id u32
/// 58 health flags u8         59 sync state u8    60 real servers healthy u16  62 total u16
/// 64 node role u8            65 instance count u8 (at most 32)
/// 66 instances, 4 bytes each: VRID, family (4/6), state, priority
///  . MAC: HMAC-SHA256 over everything before it, truncated to 16 bytes
/// </code>
/// </summary>
public readonly struct PeerMessage
{
    public const ushort Magic = 0x414C;
    public const byte CurrentVersion = 1;
    public const int HeaderSize = 66;
    public const int MaxInstances = 32;
    public const int MacSize = MessageAuthenticator.MacSize;
    public const int MaxSize = HeaderSize + MaxInstances * InstanceReport.Size + MacSize;

    public byte Version { get; init; }
    public PeerCommand Command { get; init; }
    public uint NodeId { get; init; }
    public ulong BootId { get; init; }
    public ulong Sequence { get; init; }
    public ulong TimestampMs { get; init; }
    public ulong EchoBootId { get; init; }
    public ulong EchoSequence { get; init; }
    public uint CommandId { get; init; }
    public uint AckCommandId { get; init; }
    public HealthSummary Health { get; init; }
    public NodeRole Role { get; init; }
    public IReadOnlyList<InstanceReport> Instances { get; init; }

    /// <summary>Length of the signed part (everything before the MAC).</summary>
    public int BodySize => HeaderSize + (Instances?.Count ?? 0) * InstanceReport.Size;

    /// <summary>Writes the body (without MAC); returns its length.</summary>
    public int WriteTo(Span<byte> destination)
    {
        var instances = Instances ?? [];
        if (instances.Count > MaxInstances)
            throw new ArgumentException($"peer message: {instances.Count} VRRP instances exceed the maximum of {MaxInstances}");
        var d = destination[..BodySize];
        BinaryPrimitives.WriteUInt16BigEndian(d, Magic);
        d[2] = Version == 0 ? CurrentVersion : Version;
        d[3] = (byte)Command;
        BinaryPrimitives.WriteUInt16BigEndian(d[4..], 0);
        BinaryPrimitives.WriteUInt32BigEndian(d[6..], NodeId);
        BinaryPrimitives.WriteUInt64BigEndian(d[10..], BootId);
        BinaryPrimitives.WriteUInt64BigEndian(d[18..], Sequence);
        BinaryPrimitives.WriteUInt64BigEndian(d[26..], TimestampMs);
        BinaryPrimitives.WriteUInt64BigEndian(d[34..], EchoBootId);
        BinaryPrimitives.WriteUInt64BigEndian(d[42..], EchoSequence);
        BinaryPrimitives.WriteUInt32BigEndian(d[50..], CommandId);
        BinaryPrimitives.WriteUInt32BigEndian(d[54..], AckCommandId);
        d[58] = (byte)Health.Flags;
        d[59] = (byte)Health.Sync;
        BinaryPrimitives.WriteUInt16BigEndian(d[60..], Health.RealServersHealthy);
        BinaryPrimitives.WriteUInt16BigEndian(d[62..], Health.RealServersTotal);
        d[64] = (byte)Role;
        d[65] = (byte)instances.Count;
        for (int i = 0; i < instances.Count; i++)
        {
            var s = d.Slice(HeaderSize + i * InstanceReport.Size, InstanceReport.Size);
            s[0] = instances[i].VirtualRouterId;
            s[1] = instances[i].Family;
            s[2] = (byte)instances[i].State;
            s[3] = instances[i].Priority;
        }
        return d.Length;
    }

    /// <summary>
    /// Parses an authenticated payload (body + MAC) without checking the MAC; returns the body
    /// length in <paramref name="bodyLength"/>. Never throws on malformed input.
    /// </summary>
    public static bool TryRead(ReadOnlySpan<byte> payload, out PeerMessage message, out int bodyLength, out RejectReason reason)
    {
        message = default;
        bodyLength = 0;
        reason = default;
        if (payload.Length < 3) { reason = RejectReason.Truncated; return false; }
        if (BinaryPrimitives.ReadUInt16BigEndian(payload) != Magic) { reason = RejectReason.BadMagic; return false; }
        if (payload[2] != CurrentVersion) { reason = RejectReason.UnsupportedVersion; return false; }
        if (payload.Length < HeaderSize + MacSize) { reason = RejectReason.Truncated; return false; }
        int count = payload[65];
        if (count > MaxInstances) { reason = RejectReason.Malformed; return false; }
        bodyLength = HeaderSize + count * InstanceReport.Size;
        if (payload.Length < bodyLength + MacSize) { reason = RejectReason.Truncated; return false; }
        if (payload.Length > bodyLength + MacSize) { reason = RejectReason.Malformed; return false; }
        if (payload[3] > (byte)PeerCommand.Stopping || payload[64] > (byte)NodeRole.Stopping
            || payload[59] > (byte)SyncState.Resyncing || (payload[58] & ~0x0F) != 0
            || BinaryPrimitives.ReadUInt16BigEndian(payload[4..]) != 0)
        { reason = RejectReason.Malformed; return false; }
        var instances = new InstanceReport[count];
        for (int i = 0; i < count; i++)
        {
            var s = payload.Slice(HeaderSize + i * InstanceReport.Size, InstanceReport.Size);
            if (s[2] > (byte)InstanceState.Fault || (s[1] != 4 && s[1] != 6)) { reason = RejectReason.Malformed; return false; }
            instances[i] = new InstanceReport(s[0], s[1], (InstanceState)s[2], s[3]);
        }
        message = new PeerMessage
        {
            Version = payload[2],
            Command = (PeerCommand)payload[3],
            NodeId = BinaryPrimitives.ReadUInt32BigEndian(payload[6..]),
            BootId = BinaryPrimitives.ReadUInt64BigEndian(payload[10..]),
            Sequence = BinaryPrimitives.ReadUInt64BigEndian(payload[18..]),
            TimestampMs = BinaryPrimitives.ReadUInt64BigEndian(payload[26..]),
            EchoBootId = BinaryPrimitives.ReadUInt64BigEndian(payload[34..]),
            EchoSequence = BinaryPrimitives.ReadUInt64BigEndian(payload[42..]),
            CommandId = BinaryPrimitives.ReadUInt32BigEndian(payload[50..]),
            AckCommandId = BinaryPrimitives.ReadUInt32BigEndian(payload[54..]),
            Health = new HealthSummary((HealthFlags)payload[58], (SyncState)payload[59],
                BinaryPrimitives.ReadUInt16BigEndian(payload[60..]), BinaryPrimitives.ReadUInt16BigEndian(payload[62..])),
            Role = (NodeRole)payload[64],
            Instances = instances,
        };
        return true;
    }

    public override string ToString()
    {
        var sb = new StringBuilder();
        sb.Append($"node {NodeId} boot {BootId:x16} seq {Sequence} role {Role}");
        if (Command != PeerCommand.None) sb.Append($" command {Command}#{CommandId}");
        if (AckCommandId != 0) sb.Append($" ack #{AckCommandId}");
        sb.Append($" health {Health.Flags} servers {Health.RealServersHealthy}/{Health.RealServersTotal} sync {Health.Sync}");
        foreach (var i in Instances ?? []) sb.Append($" vrid {i.VirtualRouterId}/v{i.Family} {i.State} prio {i.Priority}");
        return sb.ToString();
    }
}
