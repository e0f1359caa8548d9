using System.Buffers.Binary;

namespace Appliance.PeerLink;

/// <summary>
/// The serial frame: <c>00 | COBS( length:u16be | payload | crc32c:u32le ) | 00</c>.
/// The CRC covers length and payload. The length field tells a truncated frame (shorter than
/// announced) from noise (an impossible length). Every frame is sent between two delimiters so
/// a receiver that saw noise drops it at the leading zero instead of corrupting the next frame.
/// </summary>
public static class Frame
{
    /// <summary>Largest payload (an authenticated message with 32 instances is 210 bytes).</summary>
    public const int MaxPayload = 256;
    public const int LengthSize = 2;
    public const int CrcSize = 4;
    /// <summary>Largest encoded frame, delimiters included.</summary>
    public const int MaxEncoded = (LengthSize + MaxPayload + CrcSize) + (LengthSize + MaxPayload + CrcSize) / 254 + 1 + 2;

    /// <summary>Writes a complete frame (both delimiters) for <paramref name="payload"/>; returns its length.</summary>
    public static int Encode(ReadOnlySpan<byte> payload, Span<byte> destination)
    {
        if (payload.Length > MaxPayload)
            throw new ArgumentException($"serial frame: payload of {payload.Length} bytes exceeds the maximum of {MaxPayload}", nameof(payload));
        Span<byte> raw = stackalloc byte[LengthSize + MaxPayload + CrcSize];
        BinaryPrimitives.WriteUInt16BigEndian(raw, (ushort)payload.Length);
        payload.CopyTo(raw[LengthSize..]);
        int body = LengthSize + payload.Length;
        BinaryPrimitives.WriteUInt32LittleEndian(raw[body..], Crc32C.Compute(raw[..body]));
        destination[0] = 0;
        int n = Cobs.Encode(raw[..(body + CrcSize)], destination[1..]);
        destination[1 + n] = 0;
        return n + 2;
    }
}

/// <summary>Result of feeding one byte to a <see cref="FrameDecoder"/>.</summary>
public enum FrameStatus
{
    /// <summary>Inside a frame, or an empty frame between two delimiters.</summary>
    Pending,
    /// <summary>A frame with a good CRC is in <see cref="FrameDecoder.Payload"/>.</summary>
    Frame,
    /// <summary>A frame was dropped; the reason is in <see cref="FrameDecoder.LastReject"/>.</summary>
    Rejected,
}

/// <summary>
/// Byte-at-a-time deframer. It never throws on input: anything that is not a good frame is
/// reported as rejected with a reason and the decoder starts over at the next delimiter.
/// </summary>
public sealed class FrameDecoder
{
    private readonly byte[] _encoded = new byte[Frame.MaxEncoded];
    private readonly byte[] _decoded = new byte[Frame.LengthSize + Frame.MaxPayload + Frame.CrcSize + 1];
    private int _count;
    private bool _overflow;
    private int _payloadLength;

    /// <summary>The payload of the last frame for which <see cref="Push"/> returned <see cref="FrameStatus.Frame"/>; valid until the next push.</summary>
    public ReadOnlySpan<byte> Payload => _decoded.AsSpan(Frame.LengthSize, _payloadLength);

    public RejectReason LastReject { get; private set; }

    public FrameStatus Push(byte b)
    {
        if (b != 0)
        {
            if (_count < _encoded.Length) _encoded[_count++] = b;
            else _overflow = true;
            return FrameStatus.Pending;
        }
        if (_overflow)
        {
            _overflow = false;
            _count = 0;
            return Reject(RejectReason.Oversize);
        }
        if (_count == 0) return FrameStatus.Pending;
        var encoded = _encoded.AsSpan(0, _count);
        _count = 0;
        var result = Cobs.Decode(encoded, _decoded, out int n);
        if (result == CobsResult.Invalid) return Reject(RejectReason.Garbage);
        if (n < Frame.LengthSize) return Reject(result == CobsResult.Incomplete || n == 1 ? RejectReason.Truncated : RejectReason.Garbage);
        int declared = BinaryPrimitives.ReadUInt16BigEndian(_decoded);
        // A plausible length with fewer bytes than it announces is a cut frame; noise rarely
        // has a length field this small (256 of 65536 values).
        if (declared > Frame.MaxPayload) return Reject(RejectReason.Garbage);
        int expected = Frame.LengthSize + declared + Frame.CrcSize;
        if (n < expected) return Reject(RejectReason.Truncated);
        if (result == CobsResult.Incomplete) return Reject(RejectReason.Garbage);
        if (n > expected) return Reject(RejectReason.Garbage);
        uint crc = BinaryPrimitives.ReadUInt32LittleEndian(_decoded.AsSpan(Frame.LengthSize + declared));
        if (crc != Crc32C.Compute(_decoded.AsSpan(0, Frame.LengthSize + declared))) return Reject(RejectReason.BadCrc);
        _payloadLength = declared;
        return FrameStatus.Frame;
    }

    private FrameStatus Reject(RejectReason reason)
    {
        LastReject = reason;
        return FrameStatus.Rejected;
    }
}
