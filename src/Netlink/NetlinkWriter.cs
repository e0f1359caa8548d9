using System.Buffers.Binary;
using System.Text;

namespace Appliance.Netlink;

/// <summary>
/// Builds one or more netlink messages into a single buffer (several messages in one buffer is
/// how a batch goes to the kernel in one send). Attributes are padded to 4 bytes (NLA_ALIGNTO);
/// nested attributes are opened with <see cref="BeginNested"/> and closed with <see cref="EndNested"/>.
/// </summary>
public sealed class NetlinkWriter
{
    private byte[] _buffer;
    private int _length;
    private int _messageStart = -1;
    private readonly List<uint> _sequences = [];

    public NetlinkWriter(int capacity = 4096) => _buffer = new byte[Math.Max(capacity, 64)];

    /// <summary>The bytes written so far (every completed message).</summary>
    public ReadOnlySpan<byte> Written => _buffer.AsSpan(0, _length);

    public int Length => _length;

    /// <summary>Sequence numbers of the messages in the buffer, in order.</summary>
    public IReadOnlyList<uint> Sequences => _sequences;

    public int MessageCount => _sequences.Count;

    public void Clear()
    {
        _length = 0;
        _messageStart = -1;
        _sequences.Clear();
    }

    /// <summary>Starts a message; the length is filled in by <see cref="EndMessage"/>.</summary>
    public void BeginMessage(ushort type, NetlinkFlags flags, uint sequence, uint portId = 0)
    {
        if (_messageStart >= 0) throw new InvalidOperationException("netlink writer: previous message not ended");
        _messageStart = _length;
        var span = Reserve(NetlinkMessageHeader.Size);
        new NetlinkMessageHeader(0, type, flags, sequence, portId).WriteTo(span);
        _sequences.Add(sequence);
    }

    /// <summary>Starts a generic-netlink message: nlmsghdr + genlmsghdr.</summary>
    public void BeginGenericMessage(ushort familyId, NetlinkFlags flags, uint sequence, byte command, byte version)
    {
        BeginMessage(familyId, flags, sequence);
        new GenericNetlinkHeader(command, version).WriteTo(Reserve(GenericNetlinkHeader.Size));
    }

    /// <summary>Writes a fixed family header (struct ifaddrmsg, ifinfomsg, ...) verbatim, padded.</summary>
    public Span<byte> PutFixedHeader(int size)
    {
        var span = Reserve(NetlinkAlign.Align(size));
        span.Clear();
        return span[..size];
    }

    public void EndMessage()
    {
        if (_messageStart < 0) throw new InvalidOperationException("netlink writer: no message open");
        BinaryPrimitives.WriteUInt32LittleEndian(_buffer.AsSpan(_messageStart), (uint)(_length - _messageStart));
        _messageStart = -1;
    }

    /// <summary>Adds an attribute and returns its payload to fill in.</summary>
    public Span<byte> PutAttribute(ushort type, int payloadLength)
    {
        var total = 4 + payloadLength;
        if (total > ushort.MaxValue) throw new ArgumentOutOfRangeException(nameof(payloadLength), "netlink attribute longer than 65535 bytes");
        var span = Reserve(NetlinkAlign.Align(total));
        BinaryPrimitives.WriteUInt16LittleEndian(span, (ushort)total);
        BinaryPrimitives.WriteUInt16LittleEndian(span[2..], type);
        span[total..].Clear(); // padding is zero, as the kernel's nla_put does
        return span.Slice(4, payloadLength);
    }

    public void PutU8(ushort type, byte value) => PutAttribute(type, 1)[0] = value;
    public void PutU16(ushort type, ushort value) => BinaryPrimitives.WriteUInt16LittleEndian(PutAttribute(type, 2), value);
    public void PutU32(ushort type, uint value) => BinaryPrimitives.WriteUInt32LittleEndian(PutAttribute(type, 4), value);
    public void PutU64(ushort type, ulong value) => BinaryPrimitives.WriteUInt64LittleEndian(PutAttribute(type, 8), value);
    /// <summary>A 16-bit value in network byte order (ports: NLA_U16 carrying a __be16).</summary>
    public void PutU16BigEndian(ushort type, ushort value) => BinaryPrimitives.WriteUInt16BigEndian(PutAttribute(type, 2), value);
    public void PutU32BigEndian(ushort type, uint value) => BinaryPrimitives.WriteUInt32BigEndian(PutAttribute(type, 4), value);
    public void PutBytes(ushort type, ReadOnlySpan<byte> value) => value.CopyTo(PutAttribute(type, value.Length));
    public void PutFlag(ushort type) => PutAttribute(type, 0);

    /// <summary>A NUL-terminated string (NLA_NUL_STRING / NLA_STRING as the kernel's users send it).</summary>
    public void PutString(ushort type, string value)
    {
        var count = Encoding.ASCII.GetByteCount(value);
        var span = PutAttribute(type, count + 1);
        Encoding.ASCII.GetBytes(value, span);
        span[count] = 0;
    }

    /// <summary>Opens a nested attribute; returns a token for <see cref="EndNested"/>.</summary>
    public int BeginNested(ushort type, bool setNestedFlag = false)
    {
        var start = _length;
        var span = Reserve(4);
        BinaryPrimitives.WriteUInt16LittleEndian(span[2..], setNestedFlag ? (ushort)(type | NetlinkAttributeFlags.Nested) : type);
        return start;
    }

    public void EndNested(int token)
    {
        var length = _length - token;
        if (length > ushort.MaxValue) throw new InvalidOperationException("netlink nested attribute longer than 65535 bytes");
        BinaryPrimitives.WriteUInt16LittleEndian(_buffer.AsSpan(token), (ushort)length);
    }

    private Span<byte> Reserve(int count)
    {
        if (_length + count > _buffer.Length)
            Array.Resize(ref _buffer, Math.Max(_buffer.Length * 2, _length + count));
        var span = _buffer.AsSpan(_length, count);
        _length += count;
        return span;
    }
}
