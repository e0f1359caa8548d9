namespace Appliance.Netlink;

/// <summary>A generic-netlink family as the controller (nlctrl) describes it.</summary>
public sealed record GenericNetlinkFamily(string Name, ushort Id, uint Version, uint HeaderSize, uint MaxAttribute)
{
    /// <summary>Asks the controller for <paramref name="name"/> (CTRL_CMD_GETFAMILY); ENOENT when the family is not registered.</summary>
    public static GenericNetlinkFamily Resolve(NetlinkSocket socket, string name)
    {
        var writer = new NetlinkWriter(128);
        WriteRequest(writer, name, socket.NextSequence());
        GenericNetlinkFamily? family = null;
        var operation = $"resolving the generic-netlink family \"{name}\"";
        socket.ExecuteOrThrow(writer, operation, (int _, in NetlinkMessage m) => TryParse(m, out family));
        return family ?? throw new NetlinkException(operation, Errno.EBADMSG, "no CTRL_CMD_NEWFAMILY reply");
    }

    public static void WriteRequest(NetlinkWriter writer, string name, uint sequence)
    {
        writer.BeginGenericMessage(GenericNetlinkController.FamilyId, NetlinkFlags.Request | NetlinkFlags.Ack, sequence, GenericNetlinkController.CmdGetFamily, 1);
        writer.PutString(GenericNetlinkController.AttrFamilyName, name);
        writer.EndMessage();
    }

    public static bool TryParse(in NetlinkMessage message, out GenericNetlinkFamily? family)
    {
        family = null;
        if (!message.TryGetGeneric(out _, out var attributes)) return false;
        string? name = null;
        ushort id = 0;
        uint version = 0, hdrSize = 0, maxAttr = 0;
        while (attributes.TryNext(out var a))
        {
            switch (a.Type)
            {
                case GenericNetlinkController.AttrFamilyId: if (!a.TryU16(out id)) return false; break;
                case GenericNetlinkController.AttrFamilyName: name = a.AsString(); break;
                case GenericNetlinkController.AttrVersion: if (!a.TryU32(out version)) return false; break;
                case GenericNetlinkController.AttrHdrSize: if (!a.TryU32(out hdrSize)) return false; break;
                case GenericNetlinkController.AttrMaxAttr: if (!a.TryU32(out maxAttr)) return false; break;
            }
        }
        if (attributes.Error != NetlinkMalformation.None || name is null || id == 0) return false;
        family = new GenericNetlinkFamily(name, id, version, hdrSize, maxAttr);
        return true;
    }
}
