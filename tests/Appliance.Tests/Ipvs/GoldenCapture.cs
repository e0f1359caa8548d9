using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using Appliance.Netlink;

namespace Appliance.Tests.Ipvs;

/// <summary>One netlink message of a golden capture (see Golden/README.md).</summary>
internal sealed record CapturedMessage(NetlinkMessageHeader Header, byte[] Bytes)
{
    public bool IsRequest => (Header.Flags & NetlinkFlags.Request) != 0;
    public byte GenericCommand => Bytes.Length > NetlinkMessageHeader.Size ? Bytes[NetlinkMessageHeader.Size] : (byte)0;
    public NetlinkMessage AsMessage() => new(Header, Bytes.AsSpan(NetlinkMessageHeader.Size));
}

internal sealed class GoldenCapture
{
    private GoldenCapture(string name, List<CapturedMessage> messages, ushort familyId)
    {
        Name = name;
        Messages = messages;
        FamilyId = familyId;
    }

    public string Name { get; }
    public List<CapturedMessage> Messages { get; }
    /// <summary>The id the controller gave "IPVS" in that boot (dynamic, 0x20 here).</summary>
    public ushort FamilyId { get; }

    public static string Directory([CallerFilePath] string here = "") => Path.Combine(Path.GetDirectoryName(here)!, "Golden");

    public static GoldenCapture Load(string name)
    {
        var messages = new List<CapturedMessage>();
        foreach (var line in File.ReadAllLines(Path.Combine(Directory(), name + ".nlmon")))
        {
            var packet = Convert.FromHexString(line[2..]);
            var reader = new NetlinkMessageReader(packet);
            while (reader.TryNext(out var m))
                messages.Add(new CapturedMessage(m.Header, packet.AsSpan(Offset(packet, m), (int)m.Header.Length).ToArray()));
            if (reader.Error != NetlinkMalformation.None) throw new InvalidDataException($"{name}: malformed capture line");
        }
        ushort family = 0;
        foreach (var m in messages.Where(m => !m.IsRequest && m.Header.Type == GenericNetlinkController.FamilyId))
            if (GenericNetlinkFamily.TryParse(m.AsMessage(), out var f) && f!.Name == "IPVS") family = f.Id;
        if (family == 0) throw new InvalidDataException($"{name}: no IPVS family resolution in the capture");
        return new GoldenCapture(name, messages, family);
    }

    private static int Offset(byte[] packet, in NetlinkMessage m)
    {
        // The payload span points into packet; its header starts 16 bytes before it.
        unsafe
        {
            fixed (byte* start = packet)
            fixed (byte* payload = m.Payload)
                return (int)(payload - start) - NetlinkMessageHeader.Size;
        }
    }

    /// <summary>The IPVS requests of the capture, GET_INFO (sent by every ipvsadm start) excluded.</summary>
    public IEnumerable<CapturedMessage> IpvsRequests(byte? command = null) =>
        Messages.Where(m => m.IsRequest && m.Header.Type == FamilyId && m.GenericCommand != 15 && (command is null || m.GenericCommand == command));

    public IEnumerable<CapturedMessage> RepliesTo(CapturedMessage request) =>
        Messages.Where(m => !m.IsRequest && m.Header.Sequence == request.Header.Sequence && m.Header.PortId == request.Header.PortId);

    public string Stdout => File.ReadAllText(Path.Combine(Directory(), Name + ".stdout"));

    /// <summary>The request bytes with sequence and port id zeroed: those differ by nature.</summary>
    public static byte[] Normalize(ReadOnlySpan<byte> message)
    {
        var copy = message.ToArray();
        BinaryPrimitives.WriteUInt64LittleEndian(copy.AsSpan(8), 0);
        return copy;
    }
}
