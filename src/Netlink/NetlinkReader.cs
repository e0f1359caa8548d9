using System.Buffers.Binary;
using System.Text;

namespace Appliance.Netlink;

/// <summary>Why a piece of netlink input was rejected (counted, never thrown).</summary>
public enum NetlinkMalformation
{
    None = 0,
    TruncatedHeader,
    BadMessageLength,
    TruncatedGenericHeader,
    BadAttributeLength,
    BadAttributePayload,
}

/// <summary>One message from a receive buffer: its header and its payload (after nlmsghdr).</summary>
public readonly ref struct NetlinkMessage
{
    public NetlinkMessage(NetlinkMessageHeader header, ReadOnlySpan<byte> payload)
    {
        Header = header;
        Payload = payload;
    }

    public NetlinkMessageHeader Header { get; }
    public ReadOnlySpan<byte> Payload { get; }

    /// <summary>For generic netlink: the genlmsghdr and the attributes after it.</summary>
    public bool TryGetGeneric(out GenericNetlinkHeader header, out NetlinkAttributeReader attributes)
    {
        if (!GenericNetlinkHeader.TryRead(Payload, out header))
        {
            attributes = default;
            return false;
        }
        attributes = new NetlinkAttributeReader(Payload[GenericNetlinkHeader.Size..]);
        return true;
    }
}

/// <summary>
/// Walks the messages of one datagram. A length that does not fit stops the walk and sets
/// <see cref="Error"/>; the caller counts it. Nothing here throws on bad input.
/// </summary>
public ref struct NetlinkMessageReader
{
    private ReadOnlySpan<byte> _rest;

    public NetlinkMessageReader(ReadOnlySpan<byte> datagram) { _rest = datagram; Error = NetlinkMalformation.None; }

    public NetlinkMalformation Error { get; private set; }

    public bool TryNext(out NetlinkMessage message)
    {
        message = default;
        if (_rest.IsEmpty || Error != NetlinkMalformation.None) return false;
        if (!NetlinkMessageHeader.TryRead(_rest, out var header))
        {
            Error = NetlinkMalformation.TruncatedHeader;
            return false;
        }
        if (header.Length < NetlinkMessageHeader.Size || header.Length > (uint)_rest.Length)
        {
            Error = NetlinkMalformation.BadMessageLength;
            return false;
        }
        message = new NetlinkMessage(header, _rest[NetlinkMessageHeader.Size..(int)header.Length]);
        var advance = Math.Min(NetlinkAlign.Align((int)header.Length), _rest.Length);
        _rest = _rest[advance..];
        return true;
    }
}

/// <summary>One attribute: its type (flags stripped), whether NLA_F_NESTED was set, and its payload.</summary>
public readonly ref struct NetlinkAttribute
{
    public NetlinkAttribute(ushort rawType, ReadOnlySpan<byte> payload)
    {
        RawType = rawType;
        Payload = payload;
    }

    public ushort RawType { get; }
    public ushort Type => (ushort)(RawType & NetlinkAttributeFlags.TypeMask);
    public ReadOnlySpan<byte> Payload { get; }

    public NetlinkAttributeReader Nested => new(Payload);

    public bool TryU8(out byte value) { value = Payload.Length >= 1 ? Payload[0] : (byte)0; return Payload.Length >= 1; }
    public bool TryU16(out ushort value) { var ok = Payload.Length >= 2; value = ok ? BinaryPrimitives.ReadUInt16LittleEndian(Payload) : (ushort)0; return ok; }
    public bool TryU16BigEndian(out ushort value) { var ok = Payload.Length >= 2; value = ok ? BinaryPrimitives.ReadUInt16BigEndian(Payload) : (ushort)0; return ok; }
    public bool TryU32(out uint value) { var ok = Payload.Length >= 4; value = ok ? BinaryPrimitives.ReadUInt32LittleEndian(Payload) : 0; return ok; }
    public bool TryU32BigEndian(out uint value) { var ok = Payload.Length >= 4; value = ok ? BinaryPrimitives.ReadUInt32BigEndian(Payload) : 0; return ok; }
    public bool TryU64(out ulong value) { var ok = Payload.Length >= 8; value = ok ? BinaryPrimitives.ReadUInt64LittleEndian(Payload) : 0; return ok; }

    /// <summary>A string up to the first NUL (or the whole payload when the sender left none).</summary>
    public string AsString()
    {
        var end = Payload.IndexOf((byte)0);
        return Encoding.ASCII.GetString(end < 0 ? Payload : Payload[..end]);
    }
}

/// <summary>
/// Iterates attributes with 4-byte alignment. A length shorter than the attribute header or
/// running past the end stops the walk and sets <see cref="Error"/>.
/// </summary>
public ref struct NetlinkAttributeReader
{
    private ReadOnlySpan<byte> _rest;

    public NetlinkAttributeReader(ReadOnlySpan<byte> attributes) { _rest = attributes; Error = NetlinkMalformation.None; }

    public NetlinkMalformation Error { get; private set; }

    public bool TryNext(out NetlinkAttribute attribute)
    {
        attribute = default;
        if (Error != NetlinkMalformation.None) return false;
        // Trailing bytes shorter than an attribute header are padding only if they are zero-length.
        if (_rest.Length < 4)
        {
            if (!_rest.IsEmpty) Error = NetlinkMalformation.BadAttributeLength;
            return false;
        }
        var length = BinaryPrimitives.ReadUInt16LittleEndian(_rest);
        var type = BinaryPrimitives.ReadUInt16LittleEndian(_rest[2..]);
        if (length < 4 || length > _rest.Length)
        {
            Error = NetlinkMalformation.BadAttributeLength;
            return false;
        }
        attribute = new NetlinkAttribute(type, _rest[4..length]);
        _rest = _rest[Math.Min(NetlinkAlign.Align(length), _rest.Length)..];
        return true;
    }

    /// <summary>Marks the input malformed because an attribute's payload had the wrong size for its type.</summary>
    public void Reject() => Error = NetlinkMalformation.BadAttributePayload;
}
