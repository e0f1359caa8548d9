using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using Appliance.Interop;
using Appliance.Vrrp;

namespace Appliance.Takeover;

/// <summary>
/// rtnetlink address messages (RTM_NEWADDR / RTM_DELADDR / RTM_GETADDR, include/uapi/linux/rtnetlink.h and
/// if_addr.h) as pure encoders and a parser that drops malformed replies with a reason instead of throwing.
/// Kept separate from src/Netlink (the IPVS branch's generic core); values verified by NativeLayoutTests.
/// </summary>
public static class RouteAddress
{
    // sizeof(struct nlmsghdr) and sizeof(struct ifaddrmsg); RouteAddressTests checks them against src/Interop's structs.
    public const int NlmsgHeaderSize = 16;
    public const int IfaddrmsgSize = 8;
    private const ushort RTM_NEWADDR = Libc.RTM_NEWADDR;
    private const ushort RTM_DELADDR = Libc.RTM_DELADDR;
    private const ushort RTM_GETADDR = Libc.RTM_GETADDR;
    private const ushort NLM_F_REQUEST = Libc.NLM_F_REQUEST;
    private const ushort NLM_F_ACK = Libc.NLM_F_ACK;
    private const ushort NLM_F_EXCL = Libc.NLM_F_EXCL;
    private const ushort NLM_F_CREATE = Libc.NLM_F_CREATE;
    private const ushort NLM_F_DUMP = Libc.NLM_F_DUMP;
    private const ushort NLMSG_ERROR = Libc.NLMSG_ERROR;
    private const ushort NLMSG_DONE = Libc.NLMSG_DONE;
    private const ushort IFA_ADDRESS = Libc.IFA_ADDRESS;
    private const ushort IFA_LOCAL = Libc.IFA_LOCAL;
    private const ushort IFA_FLAGS = Libc.IFA_FLAGS;
    private const uint IFA_F_NODAD = Libc.IFA_F_NODAD;
    private const byte RT_SCOPE_UNIVERSE = Libc.RT_SCOPE_UNIVERSE;

    /// <summary>RTM_NEWADDR (create, exclusive, ack) or RTM_DELADDR (ack) for one address on one interface.</summary>
    public static byte[] EncodeChange(bool add, int ifindex, VirtualAddress vip, uint seq)
    {
        int addrLen = vip.Family == AddressFamily.InterNetwork ? 4 : 16;
        int attr = Align(4 + addrLen);
        bool v6 = vip.Family == AddressFamily.InterNetworkV6;
        int length = NlmsgHeaderSize + IfaddrmsgSize + 2 * attr + (add && v6 ? 8 : 0);
        var b = new byte[length];
        WriteHeader(b, length, add ? RTM_NEWADDR : RTM_DELADDR,
            (ushort)(NLM_F_REQUEST | NLM_F_ACK | (add ? NLM_F_CREATE | NLM_F_EXCL : 0)), seq);
        WriteIfaddrmsg(b.AsSpan(NlmsgHeaderSize), vip.Family, (byte)vip.PrefixLength, ifindex);
        int offset = NlmsgHeaderSize + IfaddrmsgSize;
        offset += WriteAddressAttr(b.AsSpan(offset), IFA_LOCAL, vip.Address);
        offset += WriteAddressAttr(b.AsSpan(offset), IFA_ADDRESS, vip.Address);
        if (add && v6)
        {
            // A VIP must answer at once: no duplicate address detection (the VRRP election is the arbiter of ownership).
            BinaryPrimitives.WriteUInt16LittleEndian(b.AsSpan(offset), 8);
            BinaryPrimitives.WriteUInt16LittleEndian(b.AsSpan(offset + 2), IFA_FLAGS);
            BinaryPrimitives.WriteUInt32LittleEndian(b.AsSpan(offset + 4), IFA_F_NODAD);
        }
        return b;
    }

    /// <summary>RTM_GETADDR dump request for one family (AF_UNSPEC = 0 for both).</summary>
    public static byte[] EncodeDump(AddressFamily family, uint seq)
    {
        int length = NlmsgHeaderSize + IfaddrmsgSize;
        var b = new byte[length];
        WriteHeader(b, length, RTM_GETADDR, (ushort)(NLM_F_REQUEST | NLM_F_DUMP), seq);
        WriteIfaddrmsg(b.AsSpan(NlmsgHeaderSize), family, 0, 0);
        return b;
    }

    /// <summary>One address as the kernel reports it.</summary>
    public readonly record struct InterfaceAddress(int InterfaceIndex, IPAddress Address, int PrefixLength);

    /// <summary>What one datagram from the kernel said.</summary>
    public sealed class Reply
    {
        public List<InterfaceAddress> Addresses { get; } = [];
        /// <summary>NLMSG_ERROR for the sequence: 0 is an ACK, otherwise a negative errno.</summary>
        public int? Error { get; set; }
        public bool Done { get; set; }
        public int Malformed { get; set; }
    }

    /// <summary>Parses a datagram of netlink messages for sequence <paramref name="seq"/>; malformed parts are counted, never thrown.</summary>
    public static Reply Parse(ReadOnlySpan<byte> data, uint seq)
    {
        var reply = new Reply();
        while (data.Length >= NlmsgHeaderSize)
        {
            int len = (int)BinaryPrimitives.ReadUInt32LittleEndian(data);
            ushort type = BinaryPrimitives.ReadUInt16LittleEndian(data[4..]);
            uint mseq = BinaryPrimitives.ReadUInt32LittleEndian(data[8..]);
            if (len < NlmsgHeaderSize || len > data.Length) { reply.Malformed++; break; }
            var body = data[NlmsgHeaderSize..len];
            if (mseq == seq)
            {
                if (type == NLMSG_DONE) reply.Done = true;
                else if (type == NLMSG_ERROR)
                {
                    if (body.Length < 4) reply.Malformed++;
                    else reply.Error = BinaryPrimitives.ReadInt32LittleEndian(body);
                }
                else if (type == RTM_NEWADDR)
                {
                    if (TryParseAddress(body, out var a)) reply.Addresses.Add(a);
                    else reply.Malformed++;
                }
            }
            data = data[Math.Min(Align(len), data.Length)..];
        }
        if (data.Length is > 0 and < NlmsgHeaderSize) reply.Malformed++;
        return reply;
    }

    private static bool TryParseAddress(ReadOnlySpan<byte> body, out InterfaceAddress address)
    {
        address = default;
        if (body.Length < IfaddrmsgSize) return false;
        byte family = body[0];
        int addrLen = family == Libc.AF_INET ? 4 : family == Libc.AF_INET6 ? 16 : 0;
        if (addrLen == 0) return false;
        int prefix = body[1];
        int index = (int)BinaryPrimitives.ReadUInt32LittleEndian(body[4..]);
        IPAddress? local = null, addr = null;
        var attrs = body[IfaddrmsgSize..];
        while (attrs.Length >= 4)
        {
            int alen = BinaryPrimitives.ReadUInt16LittleEndian(attrs);
            ushort atype = BinaryPrimitives.ReadUInt16LittleEndian(attrs[2..]);
            if (alen < 4 || alen > attrs.Length) return false;
            var value = attrs[4..alen];
            if (value.Length == addrLen && atype == IFA_LOCAL) local = new IPAddress(value);
            else if (value.Length == addrLen && atype == IFA_ADDRESS) addr = new IPAddress(value);
            attrs = attrs[Math.Min(Align(alen), attrs.Length)..];
        }
        // IPv4: IFA_LOCAL is the interface's own address (IFA_ADDRESS is the peer on point-to-point links).
        var own = local ?? addr;
        if (own is null) return false;
        address = new InterfaceAddress(index, own, prefix);
        return true;
    }

    private static void WriteHeader(Span<byte> b, int length, ushort type, ushort flags, uint seq)
    {
        BinaryPrimitives.WriteUInt32LittleEndian(b, (uint)length);
        BinaryPrimitives.WriteUInt16LittleEndian(b[4..], type);
        BinaryPrimitives.WriteUInt16LittleEndian(b[6..], flags);
        BinaryPrimitives.WriteUInt32LittleEndian(b[8..], seq);
        BinaryPrimitives.WriteUInt32LittleEndian(b[12..], 0);
    }

    private static void WriteIfaddrmsg(Span<byte> b, AddressFamily family, byte prefix, int ifindex)
    {
        b[0] = family switch { AddressFamily.InterNetwork => Libc.AF_INET, AddressFamily.InterNetworkV6 => Libc.AF_INET6, _ => Libc.AF_UNSPEC };
        b[1] = prefix;
        b[2] = 0;
        b[3] = RT_SCOPE_UNIVERSE;
        BinaryPrimitives.WriteUInt32LittleEndian(b[4..], (uint)ifindex);
    }

    private static int WriteAddressAttr(Span<byte> b, ushort type, IPAddress address)
    {
        address.TryWriteBytes(b[4..], out int n);
        BinaryPrimitives.WriteUInt16LittleEndian(b, (ushort)(4 + n));
        BinaryPrimitives.WriteUInt16LittleEndian(b[2..], type);
        return Align(4 + n);
    }

    private static int Align(int n) => (n + 3) & ~3;
}
