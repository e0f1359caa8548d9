namespace Appliance.PeerLink;

/// <summary>Why a frame from the serial line was dropped. Every value has a counter in <see cref="PeerLinkCounters"/>.</summary>
public enum RejectReason
{
    /// <summary>Bytes between two delimiters that are not a COBS frame, or whose length field is impossible (line noise, wrong baud rate).</summary>
    Garbage,
    /// <summary>More bytes than the largest frame arrived without a delimiter; the receiver skipped to the next delimiter.</summary>
    Oversize,
    /// <summary>A frame shorter than its own length field says (cut off by a reset, unplug or overrun).</summary>
    Truncated,
    /// <summary>The CRC-32C over the frame does not match (bit errors on the line).</summary>
    BadCrc,
    /// <summary>The CRC is good but the message does not start with the protocol magic.</summary>
    BadMagic,
    /// <summary>A protocol version this build does not speak.</summary>
    UnsupportedVersion,
    /// <summary>Fields out of range (instance count, enum values, trailing bytes).</summary>
    Malformed,
    /// <summary>The HMAC does not verify: the peer uses another key (or the frame was forged).</summary>
    BadMac,
    /// <summary>A sequence number not newer than the last accepted one of the peer's current boot.</summary>
    Replay,
    /// <summary>A frame of a boot (epoch) of the peer that has been superseded by a newer one.</summary>
    StaleEpoch,
    /// <summary>An authentic frame of an unknown peer boot that does not yet echo our current boot id and a recent sequence (handshake pending, or a replay from an old recording).</summary>
    UnconfirmedEpoch,
    /// <summary>Our own frame came back: the cable loops back (loopback plug, echoing modem).</summary>
    Echo,
    /// <summary>Another node uses our node id (with a different boot id): misconfiguration.</summary>
    DuplicateNodeId,
}
