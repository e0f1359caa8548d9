using System.Buffers.Binary;

namespace Appliance.Netlink;

/// <summary>struct nlmsghdr (linux/netlink.h): 16 bytes, host byte order.</summary>
public readonly record struct NetlinkMessageHeader(uint Length, ushort Type, NetlinkFlags Flags, uint Sequence, uint PortId)
{
    public const int Size = 16;

    public static bool TryRead(ReadOnlySpan<byte> source, out NetlinkMessageHeader header)
    {
        if (source.Length < Size) { header = default; return false; }
        header = new NetlinkMessageHeader(
            BinaryPrimitives.ReadUInt32LittleEndian(source),
            BinaryPrimitives.ReadUInt16LittleEndian(source[4..]),
            (NetlinkFlags)BinaryPrimitives.ReadUInt16LittleEndian(source[6..]),
            BinaryPrimitives.ReadUInt32LittleEndian(source[8..]),
            BinaryPrimitives.ReadUInt32LittleEndian(source[12..]));
        return true;
    }

    public void WriteTo(Span<byte> destination)
    {
        BinaryPrimitives.WriteUInt32LittleEndian(destination, Length);
        BinaryPrimitives.WriteUInt16LittleEndian(destination[4..], Type);
        BinaryPrimitives.WriteUInt16LittleEndian(destination[6..], (ushort)Flags);
        BinaryPrimitives.WriteUInt32LittleEndian(destination[8..], Sequence);
        BinaryPrimitives.WriteUInt32LittleEndian(destination[12..], PortId);
    }

    public override string ToString() => $"nlmsg(len={Length} type={Type} flags={Flags} seq={Sequence} pid={PortId})";
}

/// <summary>struct genlmsghdr (linux/genetlink.h): cmd, version, 2 reserved bytes.</summary>
public readonly record struct GenericNetlinkHeader(byte Command, byte Version)
{
    public const int Size = 4;

    public static bool TryRead(ReadOnlySpan<byte> source, out GenericNetlinkHeader header)
    {
        if (source.Length < Size) { header = default; return false; }
        header = new GenericNetlinkHeader(source[0], source[1]);
        return true;
    }

    public void WriteTo(Span<byte> destination)
    {
        destination[0] = Command;
        destination[1] = Version;
        destination[2] = 0;
        destination[3] = 0;
    }
}

/// <summary>Netlink's 4-byte alignment (NLMSG_ALIGN, NLA_ALIGN).</summary>
public static class NetlinkAlign
{
    public const int To = 4;
    public static int Align(int length) => (length + To - 1) & ~(To - 1);
}
