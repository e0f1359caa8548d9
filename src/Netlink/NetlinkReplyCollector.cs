using System.Buffers.Binary;

namespace Appliance.Netlink;

/// <summary>Receives one data message of a dump or a reply; returns false if its content is malformed (counted).</summary>
public delegate bool NetlinkDataHandler(int requestIndex, in NetlinkMessage message);

/// <summary>
/// The pure half of a netlink exchange: matches received datagrams to the requests of one batch
/// by sequence number and port id, records each request's ACK or error (with the extended-ACK
/// text), hands data messages to a handler, and counts everything it has to drop.
/// Requests must carry NLM_F_ACK or NLM_F_DUMP so that each one ends with an NLMSG_ERROR or NLMSG_DONE.
/// </summary>
public sealed class NetlinkReplyCollector
{
    private readonly uint _portId;
    private readonly uint _firstSequence;
    private readonly NetlinkCounters _counters;
    private readonly NetlinkDataHandler? _onData;

    public NetlinkReplyCollector(uint portId, uint firstSequence, int count, NetlinkCounters counters, NetlinkDataHandler? onData)
    {
        _portId = portId;
        _firstSequence = firstSequence;
        _counters = counters;
        _onData = onData;
        Results = new NetlinkResult[count];
        Outstanding = count;
    }

    public NetlinkResult[] Results { get; }
    public int Outstanding { get; private set; }

    /// <summary>Processes one received datagram (possibly several messages).</summary>
    public void Accept(ReadOnlySpan<byte> datagram)
    {
        var reader = new NetlinkMessageReader(datagram);
        while (reader.TryNext(out var message))
        {
            _counters.Received++;
            // Kernel unicast replies carry our port id; 0 is what older kernels put in some
            // notifications, never in replies to us.
            if (message.Header.PortId != _portId)
            {
                _counters.UnexpectedPort++;
                continue;
            }
            var index = (long)message.Header.Sequence - _firstSequence;
            if (index < 0 || index >= Results.Length || Results[index].Completed)
            {
                _counters.UnexpectedSequence++;
                continue;
            }
            ref var result = ref Results[index];
            if ((message.Header.Flags & NetlinkFlags.DumpIntr) != 0) result.Interrupted = true;
            switch (message.Header.Type)
            {
                case NetlinkMessageType.Error:
                    if (!TryReadError(message, out result.Error, out result.KernelMessage, out result.ErrorOffset))
                    {
                        _counters.Malformed++;
                        result.Error = Errno.EBADMSG;
                    }
                    Complete(ref result);
                    break;
                case NetlinkMessageType.Done:
                    // A dump that failed midway reports the error as an int in NLMSG_DONE.
                    result.Error = message.Payload.Length >= 4 ? -BinaryPrimitives.ReadInt32LittleEndian(message.Payload) : 0;
                    if (result.Error < 0) result.Error = Errno.EBADMSG;
                    Complete(ref result);
                    break;
                case NetlinkMessageType.Noop:
                    break;
                case NetlinkMessageType.Overrun:
                    _counters.Malformed++;
                    break;
                default:
                    if (_onData is not null && !_onData((int)index, message)) _counters.Malformed++;
                    break;
            }
        }
        if (reader.Error != NetlinkMalformation.None) _counters.Malformed++;
    }

    private void Complete(ref NetlinkResult result)
    {
        result.Completed = true;
        Outstanding--;
    }

    /// <summary>Decodes struct nlmsgerr and, when NLM_F_ACK_TLVS is set, the extended-ACK attributes.</summary>
    public static bool TryReadError(in NetlinkMessage message, out int errno, out string? kernelMessage, out uint? offset)
    {
        kernelMessage = null;
        offset = null;
        errno = 0;
        var payload = message.Payload;
        if (payload.Length < 4 + NetlinkMessageHeader.Size) return false;
        var error = BinaryPrimitives.ReadInt32LittleEndian(payload);
        if (error > 0) return false;
        errno = -error;
        if ((message.Header.Flags & NetlinkFlags.AckTlvs) == 0) return true;
        // The echoed request is only its header when NLM_F_CAPPED is set; otherwise all of it.
        NetlinkMessageHeader.TryRead(payload[4..], out var echoed);
        var echoedLength = (message.Header.Flags & NetlinkFlags.Capped) != 0 ? NetlinkMessageHeader.Size : NetlinkAlign.Align((int)echoed.Length);
        if (echoedLength < NetlinkMessageHeader.Size || 4 + echoedLength > payload.Length) return false;
        var attributes = new NetlinkAttributeReader(payload[(4 + echoedLength)..]);
        while (attributes.TryNext(out var attribute))
        {
            if (attribute.Type == NetlinkErrorAttribute.Msg) kernelMessage = attribute.AsString();
            else if (attribute.Type == NetlinkErrorAttribute.Offset && attribute.TryU32(out var o)) offset = o;
        }
        return attributes.Error == NetlinkMalformation.None;
    }
}
