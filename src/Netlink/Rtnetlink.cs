using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;

namespace Appliance.Netlink;

/// <summary>rtnetlink message types and attributes (linux/rtnetlink.h, if_addr.h, if_link.h).</summary>
public static class Rtm
{
    public const ushort NewLink = 16, DelLink = 17, GetLink = 18, NewAddr = 20, DelAddr = 21, GetAddr = 22;
    public const ushort IfaAddress = 1, IfaLocal = 2, IfaLabel = 3, IfaBroadcast = 4;
    public const ushort IflaAddress = 1, IflaIfname = 3, IflaMtu = 4, IflaOperstate = 16;
    public const byte RtScopeUniverse = 0, RtScopeHost = 254;
    /// <summary>sizeof(struct ifaddrmsg).</summary>
    public const int IfAddrMsgSize = 8;
    /// <summary>sizeof(struct ifinfomsg).</summary>
    public const int IfInfoMsgSize = 16;
    public const uint IffUp = 0x1, IffLowerUp = 0x10000;
}

/// <summary>One link as RTM_NEWLINK describes it.</summary>
public sealed record LinkInfo(int Index, string Name, uint Flags, byte OperState, byte[] HardwareAddress, uint Mtu)
{
    public bool IsUp => (Flags & Rtm.IffUp) != 0;
    public bool HasCarrier => (Flags & Rtm.IffLowerUp) != 0;
}

/// <summary>Addresses and links over rtnetlink, for the VIP takeover and the link monitor.</summary>
public sealed class RtnetlinkClient : IDisposable
{
    private readonly NetlinkSocket _socket;

    public RtnetlinkClient(NetlinkSocket socket) => _socket = socket;

    public static RtnetlinkClient Open() => new(NetlinkSocket.Open(NetlinkProtocol.Route));

    public NetlinkCounters Counters => _socket.Counters;

    /// <summary>Adds <paramref name="address"/>/<paramref name="prefixLength"/> to a link (RTM_NEWADDR, NLM_F_CREATE|NLM_F_EXCL).</summary>
    public void AddAddress(int ifIndex, IPAddress address, int prefixLength, string? label = null) =>
        ChangeAddress(Rtm.NewAddr, NetlinkFlags.Create | NetlinkFlags.Excl, ifIndex, address, prefixLength, label,
            $"adding address {address}/{prefixLength} to link {ifIndex}");

    /// <summary>Removes an address from a link (RTM_DELADDR).</summary>
    public void DeleteAddress(int ifIndex, IPAddress address, int prefixLength) =>
        ChangeAddress(Rtm.DelAddr, NetlinkFlags.None, ifIndex, address, prefixLength, null,
            $"removing address {address}/{prefixLength} from link {ifIndex}");

    public static void WriteAddressRequest(NetlinkWriter writer, ushort type, NetlinkFlags flags, uint sequence, int ifIndex, IPAddress address, int prefixLength, string? label)
    {
        writer.BeginMessage(type, NetlinkFlags.Request | NetlinkFlags.Ack | flags, sequence);
        var header = writer.PutFixedHeader(Rtm.IfAddrMsgSize);
        header[0] = (byte)(address.AddressFamily == AddressFamily.InterNetworkV6 ? 10 : 2);
        header[1] = (byte)prefixLength;
        header[2] = 0;
        header[3] = Rtm.RtScopeUniverse;
        BinaryPrimitives.WriteInt32LittleEndian(header[4..], ifIndex);
        Span<byte> bytes = stackalloc byte[16];
        address.TryWriteBytes(bytes, out var n);
        writer.PutBytes(Rtm.IfaLocal, bytes[..n]);
        writer.PutBytes(Rtm.IfaAddress, bytes[..n]);
        if (label is not null) writer.PutString(Rtm.IfaLabel, label);
        writer.EndMessage();
    }

    private void ChangeAddress(ushort type, NetlinkFlags flags, int ifIndex, IPAddress address, int prefixLength, string? label, string operation)
    {
        var writer = new NetlinkWriter(128);
        WriteAddressRequest(writer, type, flags, _socket.NextSequence(), ifIndex, address, prefixLength, label);
        _socket.ExecuteOrThrow(writer, operation);
    }

    /// <summary>Dumps every link (RTM_GETLINK with NLM_F_DUMP).</summary>
    public IReadOnlyList<LinkInfo> ListLinks()
    {
        var writer = new NetlinkWriter(64);
        writer.BeginMessage(Rtm.GetLink, NetlinkFlags.Request | NetlinkFlags.Dump, _socket.NextSequence());
        writer.PutFixedHeader(Rtm.IfInfoMsgSize);
        writer.EndMessage();
        var links = new List<LinkInfo>();
        _socket.ExecuteOrThrow(writer, "listing links", (int _, in NetlinkMessage m) =>
        {
            if (m.Header.Type != Rtm.NewLink) return true;
            if (!TryParseLink(m, out var link)) return false;
            links.Add(link!);
            return true;
        });
        return links;
    }

    public static bool TryParseLink(in NetlinkMessage message, out LinkInfo? link)
    {
        link = null;
        var p = message.Payload;
        if (p.Length < Rtm.IfInfoMsgSize) return false;
        var index = BinaryPrimitives.ReadInt32LittleEndian(p[4..]);
        var flags = BinaryPrimitives.ReadUInt32LittleEndian(p[8..]);
        string? name = null;
        byte oper = 0;
        uint mtu = 0;
        byte[] mac = [];
        var attributes = new NetlinkAttributeReader(p[Rtm.IfInfoMsgSize..]);
        while (attributes.TryNext(out var a))
        {
            switch (a.Type)
            {
                case Rtm.IflaIfname: name = a.AsString(); break;
                case Rtm.IflaOperstate: a.TryU8(out oper); break;
                case Rtm.IflaMtu: a.TryU32(out mtu); break;
                case Rtm.IflaAddress: mac = a.Payload.ToArray(); break;
            }
        }
        if (attributes.Error != NetlinkMalformation.None || name is null) return false;
        link = new LinkInfo(index, name, flags, oper, mac, mtu);
        return true;
    }

    public void Dispose() => _socket.Dispose();
}
