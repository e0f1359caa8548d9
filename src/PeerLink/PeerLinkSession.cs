namespace Appliance.PeerLink;

/// <summary>Settings of the serial heartbeat (INI section [peer_link]).</summary>
public sealed record PeerLinkOptions
{
    /// <summary>Our node id; the peer must use a different one.</summary>
    public required uint NodeId { get; init; }
    /// <summary>Heartbeat interval (INI `interval`, default 100 ms).</summary>
    public TimeSpan Interval { get; init; } = TimeSpan.FromMilliseconds(100);
    /// <summary>Silence after which the peer counts as dead on this link (INI `dead_time`, default 4 intervals).</summary>
    public TimeSpan DeadTime { get; init; } = TimeSpan.FromMilliseconds(400);
    /// <summary>How long a command is repeated while the peer does not acknowledge it.</summary>
    public TimeSpan CommandTimeout { get; init; } = TimeSpan.FromSeconds(3);

    /// <summary>Throws with a message naming the setting when the values cannot work.</summary>
    public void Validate()
    {
        if (Interval < TimeSpan.FromMilliseconds(10) || Interval > TimeSpan.FromSeconds(10))
            throw new ArgumentException($"peer link: interval {Interval.TotalMilliseconds} ms is outside 10 ms .. 10 s");
        if (DeadTime < 2 * Interval)
            throw new ArgumentException($"peer link: dead_time {DeadTime.TotalMilliseconds} ms must be at least two intervals ({2 * Interval.TotalMilliseconds} ms), or one lost frame declares the peer dead");
    }
}

/// <summary>What this node reports about itself in every heartbeat.</summary>
public sealed record LocalStatus(NodeRole Role, HealthSummary Health, IReadOnlyList<InstanceReport> Instances)
{
    public static LocalStatus Initial { get; } = new(NodeRole.Initialize, default, []);
}

/// <summary>Result of <see cref="PeerLinkSession.Receive"/>.</summary>
public readonly record struct ReceiveOutcome(bool Accepted, RejectReason Reason, PeerMessage Message,
    PeerCommand NewCommand, bool OurCommandAcknowledged, bool NewPeerBoot)
{
    public static ReceiveOutcome Reject(RejectReason reason) => new(false, reason, default, PeerCommand.None, false, false);
}

/// <summary>The peer as this link sees it.</summary>
public readonly record struct PeerView(bool Alive, PeerMessage? Last, TimeSpan? LastHeard, bool HandshakePending);

/// <summary>
/// Pure core of the serial heartbeat: builds our frames and judges the peer's, given the time.
/// No I/O, no clock, not thread-safe: one loop owns it.
///
/// Replay protection. Every boot of a node draws a random 64-bit boot id (its epoch); within a
/// boot the sequence number only grows. Within the peer's current boot a frame must carry a
/// newer sequence. A frame of an unknown boot is accepted (and becomes the peer's current boot)
/// only if it echoes OUR current boot id and one of our sequence numbers sent within the last
/// <see cref="EchoWindow"/> frames: it was made after it heard us recently, so it cannot come
/// from an old recording. Boots the peer has left are remembered (the last
/// <see cref="RetiredBootsKept"/>) and their frames rejected as stale.
/// </summary>
public sealed class PeerLinkSession
{
    public const int RetiredBootsKept = 64;

    private readonly PeerLinkOptions _options;
    private readonly MessageAuthenticator _auth;
    private readonly ulong _bootId;
    private readonly byte[] _body = new byte[PeerMessage.MaxSize];
    private readonly Queue<ulong> _retired = new();
    private readonly HashSet<ulong> _retiredSet = [];
    private ulong _sequence;
    private ulong _peerBoot;
    private ulong _peerSequence;
    private bool _havePeer;
    private PeerMessage? _last;
    private TimeSpan? _lastHeard;
    private TimeSpan? _lastUnconfirmed;
    private uint _commandId;
    private PeerCommand _pendingCommand;
    private TimeSpan _pendingSince;
    private uint _peerCommandSeen;
    private TimeSpan? _lastSent;
    // What we echo: the newest authentic frame of another node that was accepted or awaits its
    // handshake. Echoing an unconfirmed boot is what lets the handshake complete.
    private ulong _echoBoot;
    private ulong _echoSequence;

    public PeerLinkSession(PeerLinkOptions options, PeerLinkKey key, ulong bootId)
    {
        options.Validate();
        if (bootId == 0) throw new ArgumentException("peer link: boot id 0 is reserved for \"no peer seen\"", nameof(bootId));
        _options = options;
        _auth = new MessageAuthenticator(key);
        _bootId = bootId;
    }

    public PeerLinkCounters Counters { get; } = new();
    public ulong BootId => _bootId;
    public uint NodeId => _options.NodeId;
    public PeerLinkOptions Options => _options;

    /// <summary>How many of our latest sequence numbers a new peer boot may echo: the dead time's worth, at least 8.</summary>
    public ulong EchoWindow => (ulong)Math.Max(8, 2 * (int)Math.Ceiling(_options.DeadTime / _options.Interval));

    /// <summary>The command we repeat until the peer acknowledges it (None when nothing is pending).</summary>
    public PeerCommand PendingCommand => _pendingCommand;

    /// <summary>When the next heartbeat is due (immediately if none was sent yet).</summary>
    public TimeSpan NextSendDue => _lastSent is { } t ? t + _options.Interval : TimeSpan.Zero;

    /// <summary>Starts repeating <paramref name="command"/> in every frame; send a frame at once after calling this.</summary>
    public void Issue(PeerCommand command, TimeSpan now)
    {
        if (command == PeerCommand.None) throw new ArgumentException("peer link: cannot issue the empty command", nameof(command));
        _commandId++;
        _pendingCommand = command;
        _pendingSince = now;
    }

    /// <summary>Writes our next heartbeat frame (delimiters included) into <paramref name="frame"/>; returns its length.</summary>
    public int WriteHeartbeat(TimeSpan now, LocalStatus status, Span<byte> frame)
    {
        if (_pendingCommand != PeerCommand.None && now - _pendingSince > _options.CommandTimeout)
            _pendingCommand = PeerCommand.None;
        var message = new PeerMessage
        {
            Version = PeerMessage.CurrentVersion,
            Command = _pendingCommand,
            CommandId = _pendingCommand == PeerCommand.None ? 0 : _commandId,
            AckCommandId = _peerCommandSeen,
            NodeId = _options.NodeId,
            BootId = _bootId,
            Sequence = ++_sequence,
            TimestampMs = (ulong)Math.Max(0, (long)now.TotalMilliseconds),
            EchoBootId = _echoBoot,
            EchoSequence = _echoSequence,
            Health = status.Health,
            Role = status.Role,
            Instances = status.Instances,
        };
        int body = message.WriteTo(_body);
        _auth.Sign(_body.AsSpan(0, body), _body.AsSpan(body, MessageAuthenticator.MacSize));
        int n = Frame.Encode(_body.AsSpan(0, body + MessageAuthenticator.MacSize), frame);
        _lastSent = now;
        Counters.CountSent(n);
        return n;
    }

    /// <summary>Judges one deframed payload. Counts every rejection; never throws on input.</summary>
    public ReceiveOutcome Receive(ReadOnlySpan<byte> payload, TimeSpan now)
    {
        var outcome = Judge(payload, now);
        if (outcome.Accepted) Counters.CountAccepted();
        else Counters.CountRejected(outcome.Reason);
        return outcome;
    }

    /// <summary>Counts a rejection that happened in the framing layer.</summary>
    public void CountFramingReject(RejectReason reason) => Counters.CountRejected(reason);

    private ReceiveOutcome Judge(ReadOnlySpan<byte> payload, TimeSpan now)
    {
        if (!PeerMessage.TryRead(payload, out var m, out int bodyLength, out var reason))
            return ReceiveOutcome.Reject(reason);
        if (!_auth.Verify(payload[..bodyLength], payload.Slice(bodyLength, MessageAuthenticator.MacSize)))
            return ReceiveOutcome.Reject(RejectReason.BadMac);
        if (m.NodeId == _options.NodeId)
            return ReceiveOutcome.Reject(m.BootId == _bootId ? RejectReason.Echo : RejectReason.DuplicateNodeId);
        if (m.BootId == 0) return ReceiveOutcome.Reject(RejectReason.Malformed);

        bool newBoot = false;
        if (_havePeer && m.BootId == _peerBoot)
        {
            if (m.Sequence <= _peerSequence) return ReceiveOutcome.Reject(RejectReason.Replay);
        }
        else
        {
            if (_retiredSet.Contains(m.BootId)) return ReceiveOutcome.Reject(RejectReason.StaleEpoch);
            bool fresh = m.EchoBootId == _bootId && m.EchoSequence <= _sequence && _sequence - m.EchoSequence < EchoWindow
                && m.EchoSequence != 0;
            if (!fresh)
            {
                _lastUnconfirmed = now;
                if (m.BootId != _echoBoot || m.Sequence > _echoSequence)
                {
                    _echoBoot = m.BootId;
                    _echoSequence = m.Sequence;
                }
                return ReceiveOutcome.Reject(RejectReason.UnconfirmedEpoch);
            }
            if (_havePeer) Retire(_peerBoot);
            _havePeer = true;
            _peerBoot = m.BootId;
            _peerCommandSeen = 0;
            newBoot = true;
        }

        _peerSequence = m.Sequence;
        _echoBoot = m.BootId;
        _echoSequence = m.Sequence;
        _last = m;
        _lastHeard = now;

        bool acked = false;
        if (_pendingCommand != PeerCommand.None && m.AckCommandId == _commandId)
        {
            _pendingCommand = PeerCommand.None;
            acked = true;
            Counters.CountCommandAcknowledged();
        }
        var newCommand = PeerCommand.None;
        if (m.Command != PeerCommand.None && m.CommandId != _peerCommandSeen)
        {
            _peerCommandSeen = m.CommandId;
            newCommand = m.Command;
            Counters.CountCommandReceived();
        }
        return new ReceiveOutcome(true, default, m, newCommand, acked, newBoot);
    }

    private void Retire(ulong boot)
    {
        if (_retiredSet.Add(boot)) _retired.Enqueue(boot);
        while (_retired.Count > RetiredBootsKept) _retiredSet.Remove(_retired.Dequeue());
    }

    /// <summary>The peer as seen at <paramref name="now"/>: alive while an accepted frame is younger than the dead time.</summary>
    public PeerView View(TimeSpan now)
    {
        bool alive = _lastHeard is { } t && now - t < _options.DeadTime;
        bool pending = !alive && _lastUnconfirmed is { } u && now - u < _options.DeadTime;
        return new PeerView(alive, _last, _lastHeard, pending);
    }
}
