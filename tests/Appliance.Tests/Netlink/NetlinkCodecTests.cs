using System.Buffers.Binary;
using Appliance.Netlink;
using Xunit;

namespace Appliance.Tests.Netlink;

public class NetlinkCodecTests
{
    [Fact]
    public void Writer_pads_attributes_to_four_bytes_and_fills_lengths()
    {
        var w = new NetlinkWriter();
        w.BeginGenericMessage(0x20, NetlinkFlags.Request | NetlinkFlags.Ack, 7, 1, 1);
        w.PutU8(1, 0xAB);
        var nest = w.BeginNested(2);
        w.PutU16(3, 0x1234);
        w.PutString(4, "wlc");
        w.EndNested(nest);
        w.EndMessage();

        var bytes = w.Written.ToArray();
        Assert.Equal(bytes.Length, BinaryPrimitives.ReadInt32LittleEndian(bytes));
        Assert.Equal(0, bytes.Length % 4);
        // nlmsghdr(16) genlmsghdr(4) u8 attr(8 with padding) nest hdr(4) u16 attr(8) string "wlc\0"(8)
        Assert.Equal(16 + 4 + 8 + 4 + 8 + 8, bytes.Length);
        Assert.Equal(new byte[] { 5, 0, 1, 0, 0xAB, 0, 0, 0 }, bytes[20..28]);
        Assert.Equal(20, BinaryPrimitives.ReadUInt16LittleEndian(bytes.AsSpan(28))); // nest length covers its children
        Assert.Equal(new byte[] { 8, 0, 4, 0, (byte)'w', (byte)'l', (byte)'c', 0 }, bytes[40..48]);
    }

    [Fact]
    public void Reader_walks_what_the_writer_wrote()
    {
        var w = new NetlinkWriter();
        w.BeginGenericMessage(0x20, NetlinkFlags.Request, 1, 4, 1);
        var nest = w.BeginNested(1);
        w.PutU32(5, 42);
        w.PutU16BigEndian(4, 80);
        w.EndNested(nest);
        w.EndMessage();
        w.BeginGenericMessage(0x20, NetlinkFlags.Request, 2, 4, 1);
        w.PutU64(9, ulong.MaxValue - 1);
        w.EndMessage();

        var reader = new NetlinkMessageReader(w.Written);
        Assert.True(reader.TryNext(out var first));
        Assert.Equal(1u, first.Header.Sequence);
        Assert.True(first.TryGetGeneric(out var genl, out var attrs));
        Assert.Equal(4, genl.Command);
        Assert.True(attrs.TryNext(out var outer));
        Assert.Equal(1, outer.Type);
        var inner = outer.Nested;
        Assert.True(inner.TryNext(out var a));
        Assert.True(a.TryU32(out var v) && v == 42);
        Assert.True(inner.TryNext(out a));
        Assert.True(a.TryU16BigEndian(out var port) && port == 80);
        Assert.False(inner.TryNext(out _));
        Assert.Equal(NetlinkMalformation.None, inner.Error);

        Assert.True(reader.TryNext(out var second));
        Assert.True(second.TryGetGeneric(out _, out attrs));
        Assert.True(attrs.TryNext(out a) && a.TryU64(out var big) && big == ulong.MaxValue - 1);
        Assert.False(reader.TryNext(out _));
        Assert.Equal(NetlinkMalformation.None, reader.Error);
    }

    [Theory]
    [InlineData(new byte[] { 3, 0, 1, 0 }, NetlinkMalformation.BadAttributeLength)]          // nla_len below header size
    [InlineData(new byte[] { 12, 0, 1, 0, 1, 2, 3, 4 }, NetlinkMalformation.BadAttributeLength)] // runs past the end
    [InlineData(new byte[] { 8, 0, 1, 0, 1, 2, 3, 4, 9 }, NetlinkMalformation.BadAttributeLength)] // trailing garbage
    public void Attribute_reader_rejects_bad_lengths(byte[] input, NetlinkMalformation expected)
    {
        var reader = new NetlinkAttributeReader(input);
        while (reader.TryNext(out _)) { }
        Assert.Equal(expected, reader.Error);
    }

    [Fact]
    public void Message_reader_rejects_lengths_that_do_not_fit()
    {
        var buffer = new byte[20];
        new NetlinkMessageHeader(64, 16, NetlinkFlags.None, 1, 1).WriteTo(buffer);
        var reader = new NetlinkMessageReader(buffer);
        Assert.False(reader.TryNext(out _));
        Assert.Equal(NetlinkMalformation.BadMessageLength, reader.Error);

        new NetlinkMessageHeader(8, 16, NetlinkFlags.None, 1, 1).WriteTo(buffer);
        reader = new NetlinkMessageReader(buffer);
        Assert.False(reader.TryNext(out _));
        Assert.Equal(NetlinkMalformation.BadMessageLength, reader.Error);

        reader = new NetlinkMessageReader(buffer.AsSpan(0, 10));
        Assert.False(reader.TryNext(out _));
        Assert.Equal(NetlinkMalformation.TruncatedHeader, reader.Error);
    }

    [Fact]
    public void Random_garbage_never_throws_and_is_counted()
    {
        var random = new Random(4);
        var counters = new NetlinkCounters();
        for (var i = 0; i < 5000; i++)
        {
            var buffer = new byte[random.Next(0, 200)];
            random.NextBytes(buffer);
            // Give half of them a plausible header so the attribute paths run too.
            if (buffer.Length >= 16 && i % 2 == 0)
            {
                new NetlinkMessageHeader((uint)random.Next(0, buffer.Length + 8), (ushort)random.Next(0, 40), NetlinkFlags.None, 100, 5).WriteTo(buffer);
            }
            var collector = new NetlinkReplyCollector(5, 100, 1, counters, (int idx, in NetlinkMessage m) =>
            {
                if (!m.TryGetGeneric(out _, out var attrs)) return false;
                while (attrs.TryNext(out var a)) { var nested = a.Nested; while (nested.TryNext(out _)) { } }
                return attrs.Error == NetlinkMalformation.None;
            });
            collector.Accept(buffer);
        }
        Assert.True(counters.Malformed > 1000, $"only {counters.Malformed} malformed inputs counted");
    }
}
