using System.Buffers.Binary;
using Appliance.Netlink;
using Xunit;

namespace Appliance.Tests.Netlink;

public class NetlinkReplyCollectorTests
{
    private const uint Port = 4242;

    private static byte[] Ack(uint seq, int error, uint port = Port, string? extMessage = null, uint? offset = null)
    {
        var w = new NetlinkWriter();
        var flags = NetlinkFlags.Capped | (extMessage is not null || offset is not null ? NetlinkFlags.AckTlvs : NetlinkFlags.None);
        w.BeginMessage(NetlinkMessageType.Error, flags, seq, port);
        var body = w.PutFixedHeader(4 + NetlinkMessageHeader.Size);
        BinaryPrimitives.WriteInt32LittleEndian(body, error);
        new NetlinkMessageHeader(40, 0x21, NetlinkFlags.Request | NetlinkFlags.Ack, seq, port).WriteTo(body[4..]);
        if (extMessage is not null) w.PutString(NetlinkErrorAttribute.Msg, extMessage);
        if (offset is not null) w.PutU32(NetlinkErrorAttribute.Offset, offset.Value);
        w.EndMessage();
        return w.Written.ToArray();
    }

    [Fact]
    public void Acks_and_errors_are_matched_by_sequence_in_any_order()
    {
        var counters = new NetlinkCounters();
        var c = new NetlinkReplyCollector(Port, 10, 3, counters, null);
        c.Accept(Ack(12, 0));
        c.Accept([.. Ack(10, -17, extMessage: "Destination already exists", offset: 28), .. Ack(11, 0)]);
        Assert.Equal(0, c.Outstanding);
        Assert.Equal(17, c.Results[0].Error);
        Assert.Equal("Destination already exists", c.Results[0].KernelMessage);
        Assert.Equal(28u, c.Results[0].ErrorOffset);
        Assert.True(c.Results[1].Ok);
        Assert.True(c.Results[2].Ok);
        Assert.Equal(0, counters.Dropped);
    }

    [Fact]
    public void Replies_for_another_port_or_sequence_are_dropped_and_counted()
    {
        var counters = new NetlinkCounters();
        var c = new NetlinkReplyCollector(Port, 10, 1, counters, null);
        c.Accept(Ack(10, 0, port: Port + 1));
        c.Accept(Ack(9, 0));
        c.Accept(Ack(11, 0));
        Assert.Equal(1, c.Outstanding);
        Assert.Equal(1, counters.UnexpectedPort);
        Assert.Equal(2, counters.UnexpectedSequence);
        c.Accept(Ack(10, 0));
        c.Accept(Ack(10, 0)); // a duplicate ACK is not a second completion
        Assert.Equal(0, c.Outstanding);
        Assert.Equal(3, counters.UnexpectedSequence);
    }

    [Fact]
    public void Dump_data_goes_to_the_handler_until_done()
    {
        var w = new NetlinkWriter();
        for (var i = 0; i < 3; i++)
        {
            w.BeginGenericMessage(0x21, NetlinkFlags.Multi, 5, 1, 1);
            w.PutU32(1, (uint)i);
            w.EndMessage();
        }
        w.BeginMessage(NetlinkMessageType.Done, NetlinkFlags.Multi, 5);
        w.PutFixedHeader(4);
        w.EndMessage();
        var bytes = w.Written.ToArray();
        for (var i = 0; i < bytes.Length; i += 0) { BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(i + 12), Port); i += BinaryPrimitives.ReadInt32LittleEndian(bytes.AsSpan(i)); }

        var seen = new List<uint>();
        var c = new NetlinkReplyCollector(Port, 5, 1, new NetlinkCounters(), (int index, in NetlinkMessage m) =>
        {
            Assert.Equal(0, index);
            uint v = 0;
            Assert.True(m.TryGetGeneric(out _, out var a) && a.TryNext(out var attr) && attr.TryU32(out v));
            seen.Add(v);
            return true;
        });
        c.Accept(bytes);
        Assert.Equal([0u, 1u, 2u], seen);
        Assert.True(c.Results[0].Ok);
    }

    [Fact]
    public void A_truncated_error_message_fails_the_request_and_is_counted()
    {
        var counters = new NetlinkCounters();
        var ack = Ack(10, -2);
        BinaryPrimitives.WriteUInt32LittleEndian(ack, 24); // cut inside the echoed header
        var c = new NetlinkReplyCollector(Port, 10, 1, counters, null);
        c.Accept(ack.AsSpan(0, 24));
        Assert.Equal(Errno.EBADMSG, c.Results[0].Error);
        Assert.Equal(1, counters.Malformed);
    }
}
