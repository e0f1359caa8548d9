using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using System.Runtime.CompilerServices;
using Appliance.Interop;
using Appliance.Takeover;
using Appliance.Vrrp;
using Xunit;

namespace Appliance.Tests.Takeover;

public class RouteAddressTests
{
    [Fact]
    public void HeaderSizes_MatchTheInteropStructs()
    {
        Assert.Equal(RouteAddress.NlmsgHeaderSize, Unsafe.SizeOf<nlmsghdr>());
        Assert.Equal(RouteAddress.IfaddrmsgSize, Unsafe.SizeOf<ifaddrmsg>());
    }

    [Fact]
    public void NewAddrV4_IsWhatIproute2Sends()
    {
        // `ip addr add 192.0.2.10/24 dev IFINDEX 7` carries ifaddrmsg{AF_INET,24,0,universe,7} + IFA_LOCAL + IFA_ADDRESS.
        var m = RouteAddress.EncodeChange(true, 7, VirtualAddress.Parse("192.0.2.10/24"), 42);
        Assert.Equal(m.Length, (int)BinaryPrimitives.ReadUInt32LittleEndian(m));
        Assert.Equal(Libc.RTM_NEWADDR, BinaryPrimitives.ReadUInt16LittleEndian(m.AsSpan(4)));
        Assert.Equal(Libc.NLM_F_REQUEST | Libc.NLM_F_ACK | Libc.NLM_F_CREATE | Libc.NLM_F_EXCL, BinaryPrimitives.ReadUInt16LittleEndian(m.AsSpan(6)));
        Assert.Equal(42u, BinaryPrimitives.ReadUInt32LittleEndian(m.AsSpan(8)));
        Assert.Equal(new byte[] { 2, 24, 0, 0, 7, 0, 0, 0 }, m[16..24]);
        Assert.Equal(new byte[] { 8, 0, (byte)Libc.IFA_LOCAL, 0, 192, 0, 2, 10, 8, 0, (byte)Libc.IFA_ADDRESS, 0, 192, 0, 2, 10 }, m[24..]);
    }

    [Fact]
    public void NewAddrV6_AsksForNoDad_DelAddrDoesNot()
    {
        var add = RouteAddress.EncodeChange(true, 3, VirtualAddress.Parse("2001:db8::36/64"), 1);
        Assert.Equal(16 + 8 + 20 + 20 + 8, add.Length);
        Assert.Equal(Libc.IFA_FLAGS, BinaryPrimitives.ReadUInt16LittleEndian(add.AsSpan(add.Length - 6)));
        Assert.Equal(Libc.IFA_F_NODAD, BinaryPrimitives.ReadUInt32LittleEndian(add.AsSpan(add.Length - 4)));
        var del = RouteAddress.EncodeChange(false, 3, VirtualAddress.Parse("2001:db8::36/64"), 2);
        Assert.Equal(Libc.RTM_DELADDR, BinaryPrimitives.ReadUInt16LittleEndian(del.AsSpan(4)));
        Assert.Equal(16 + 8 + 20 + 20, del.Length);
    }

    private static byte[] AddrMessage(uint seq, byte family, byte prefix, int index, params (ushort Type, byte[] Value)[] attrs)
    {
        int len = 16 + 8 + attrs.Sum(a => (4 + a.Value.Length + 3) & ~3);
        var b = new byte[len];
        BinaryPrimitives.WriteUInt32LittleEndian(b, (uint)len);
        BinaryPrimitives.WriteUInt16LittleEndian(b.AsSpan(4), Libc.RTM_NEWADDR);
        BinaryPrimitives.WriteUInt32LittleEndian(b.AsSpan(8), seq);
        b[16] = family; b[17] = prefix;
        BinaryPrimitives.WriteUInt32LittleEndian(b.AsSpan(20), (uint)index);
        int o = 24;
        foreach (var (t, v) in attrs)
        {
            BinaryPrimitives.WriteUInt16LittleEndian(b.AsSpan(o), (ushort)(4 + v.Length));
            BinaryPrimitives.WriteUInt16LittleEndian(b.AsSpan(o + 2), t);
            v.CopyTo(b, o + 4);
            o += (4 + v.Length + 3) & ~3;
        }
        return b;
    }

    private static byte[] Control(uint seq, ushort type, int? error = null)
    {
        var b = new byte[error is null ? 16 : 36];
        BinaryPrimitives.WriteUInt32LittleEndian(b, (uint)b.Length);
        BinaryPrimitives.WriteUInt16LittleEndian(b.AsSpan(4), type);
        BinaryPrimitives.WriteUInt32LittleEndian(b.AsSpan(8), seq);
        if (error is int e) BinaryPrimitives.WriteInt32LittleEndian(b.AsSpan(16), e);
        return b;
    }

    [Fact]
    public void Dump_IsParsed_PreferringIfaLocal()
    {
        var data = AddrMessage(5, 2, 24, 4, (Libc.IFA_ADDRESS, [10, 0, 0, 9]), (Libc.IFA_LOCAL, [10, 0, 0, 1]), (Libc.IFA_LABEL, "eth0\0"u8.ToArray()))
            .Concat(AddrMessage(5, 10, 64, 4, (Libc.IFA_ADDRESS, IPAddress.Parse("fe80::1").GetAddressBytes())))
            .Concat(Control(5, Libc.NLMSG_DONE)).ToArray();
        var r = RouteAddress.Parse(data, 5);
        Assert.True(r.Done);
        Assert.Equal(0, r.Malformed);
        Assert.Equal([new(4, IPAddress.Parse("10.0.0.1"), 24), new RouteAddress.InterfaceAddress(4, IPAddress.Parse("fe80::1"), 64)], r.Addresses);
    }

    [Fact]
    public void ErrorAndAck_AreReported()
    {
        Assert.Equal(0, RouteAddress.Parse(Control(9, Libc.NLMSG_ERROR, 0), 9).Error);
        Assert.Equal(-17, RouteAddress.Parse(Control(9, Libc.NLMSG_ERROR, -17), 9).Error);
        Assert.Null(RouteAddress.Parse(Control(8, Libc.NLMSG_ERROR, -17), 9).Error); // another request's answer
    }

    [Fact]
    public void MalformedReplies_AreCountedNotThrown()
    {
        var good = AddrMessage(5, 2, 24, 4, (Libc.IFA_LOCAL, [10, 0, 0, 1]));
        for (int n = 1; n < good.Length; n++)
        {
            var r = RouteAddress.Parse(good.AsSpan(0, n), 5);
            Assert.Empty(r.Addresses);
        }
        var badAttr = (byte[])good.Clone();
        BinaryPrimitives.WriteUInt16LittleEndian(badAttr.AsSpan(24), 200);
        Assert.Equal(1, RouteAddress.Parse(badAttr, 5).Malformed);
        var badLen = (byte[])good.Clone();
        BinaryPrimitives.WriteUInt32LittleEndian(badLen, 4);
        Assert.Equal(1, RouteAddress.Parse(badLen, 5).Malformed);
        var random = new Random(1);
        var buf = new byte[64];
        for (int i = 0; i < 5000; i++) { random.NextBytes(buf); _ = RouteAddress.Parse(buf, BinaryPrimitives.ReadUInt32LittleEndian(buf.AsSpan(8))); }
    }

    [Fact]
    public void DumpRequest_ForBothFamilies()
    {
        var m = RouteAddress.EncodeDump(AddressFamily.Unspecified, 3);
        Assert.Equal(24, m.Length);
        Assert.Equal(Libc.NLM_F_REQUEST | Libc.NLM_F_DUMP, BinaryPrimitives.ReadUInt16LittleEndian(m.AsSpan(6)));
        Assert.Equal(0, m[16]);
    }
}
