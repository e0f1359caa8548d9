using System.Net;
using System.Net.Sockets;
using Appliance.Netlink;

namespace Appliance.Sync;

/// <summary>
/// IPVS generic-netlink constants for the sync daemons (include/uapi/linux/ip_vs.h), verified
/// against the header by tests/Appliance.Tests/Sync/SyncHeaderTests.cs.
/// </summary>
public static class IpvsDaemonNetlink
{
    public const string FamilyName = "IPVS";   // IPVS_GENL_NAME
    public const byte FamilyVersion = 1;       // IPVS_GENL_VERSION
    public const byte CmdNewDaemon = 9;        // IPVS_CMD_NEW_DAEMON
    public const byte CmdDelDaemon = 10;       // IPVS_CMD_DEL_DAEMON
    public const byte CmdGetDaemon = 11;       // IPVS_CMD_GET_DAEMON
    public const ushort CmdAttrDaemon = 3;     // IPVS_CMD_ATTR_DAEMON (nested)
    public const ushort AttrState = 1;         // IPVS_DAEMON_ATTR_STATE u32
    public const ushort AttrMcastIfn = 2;      // IPVS_DAEMON_ATTR_MCAST_IFN string
    public const ushort AttrSyncId = 3;        // IPVS_DAEMON_ATTR_SYNC_ID u32
    public const ushort AttrSyncMaxLen = 4;    // IPVS_DAEMON_ATTR_SYNC_MAXLEN u16
    public const ushort AttrMcastGroup = 5;    // IPVS_DAEMON_ATTR_MCAST_GROUP in_addr (network order)
    public const ushort AttrMcastGroup6 = 6;   // IPVS_DAEMON_ATTR_MCAST_GROUP6 in6_addr
    public const ushort AttrMcastPort = 7;     // IPVS_DAEMON_ATTR_MCAST_PORT u16, host order (ip_vs_genl_new_daemon)
    public const ushort AttrMcastTtl = 8;      // IPVS_DAEMON_ATTR_MCAST_TTL u8
}

/// <summary>Encodes NEW_DAEMON / DEL_DAEMON / GET_DAEMON and decodes the kernel's daemon replies.</summary>
public static class SyncDaemonMessages
{
    public static void WriteNewDaemon(NetlinkWriter w, ushort familyId, uint sequence, SyncDaemonConfig c)
    {
        w.BeginGenericMessage(familyId, NetlinkFlags.Request | NetlinkFlags.Ack, sequence, IpvsDaemonNetlink.CmdNewDaemon, IpvsDaemonNetlink.FamilyVersion);
        var nest = w.BeginNested(IpvsDaemonNetlink.CmdAttrDaemon, setNestedFlag: true);
        w.PutU32(IpvsDaemonNetlink.AttrState, (uint)c.Kind);
        w.PutString(IpvsDaemonNetlink.AttrMcastIfn, c.Interface);
        w.PutU32(IpvsDaemonNetlink.AttrSyncId, c.SyncId);
        // Optional attributes are sent only when configured: the kernel then picks its defaults
        // (start_sync_thread), exactly as for ipvsadm without the option.
        if (c.MaxLength != 0) w.PutU16(IpvsDaemonNetlink.AttrSyncMaxLen, c.MaxLength);
        if (c.Port != 0) w.PutU16(IpvsDaemonNetlink.AttrMcastPort, c.Port);
        if (c.Ttl != 0) w.PutU8(IpvsDaemonNetlink.AttrMcastTtl, c.Ttl);
        if (c.Group is { } g)
        {
            if (g.AddressFamily == AddressFamily.InterNetwork) w.PutBytes(IpvsDaemonNetlink.AttrMcastGroup, g.GetAddressBytes());
            else w.PutBytes(IpvsDaemonNetlink.AttrMcastGroup6, g.GetAddressBytes());
        }
        w.EndNested(nest);
        w.EndMessage();
    }

    /// <summary>ip_vs_genl_del_daemon needs only the state.</summary>
    public static void WriteDelDaemon(NetlinkWriter w, ushort familyId, uint sequence, SyncDaemonKind kind)
    {
        w.BeginGenericMessage(familyId, NetlinkFlags.Request | NetlinkFlags.Ack, sequence, IpvsDaemonNetlink.CmdDelDaemon, IpvsDaemonNetlink.FamilyVersion);
        var nest = w.BeginNested(IpvsDaemonNetlink.CmdAttrDaemon, setNestedFlag: true);
        w.PutU32(IpvsDaemonNetlink.AttrState, (uint)kind);
        w.EndNested(nest);
        w.EndMessage();
    }

    public static void WriteGetDaemons(NetlinkWriter w, ushort familyId, uint sequence)
    {
        w.BeginGenericMessage(familyId, NetlinkFlags.Request | NetlinkFlags.Ack | NetlinkFlags.Dump, sequence, IpvsDaemonNetlink.CmdGetDaemon, IpvsDaemonNetlink.FamilyVersion);
        w.EndMessage();
    }

    /// <summary>
    /// Decodes one daemon reply (ip_vs_genl_dump_daemon sends IPVS_CMD_NEW_DAEMON with a nested
    /// IPVS_CMD_ATTR_DAEMON). False for anything malformed; the caller counts it.
    /// </summary>
    public static bool TryParseDaemon(in NetlinkMessage message, out SyncDaemonConfig? daemon)
    {
        daemon = null;
        if (!message.TryGetGeneric(out var genl, out var attributes) || genl.Command != IpvsDaemonNetlink.CmdNewDaemon) return false;
        while (attributes.TryNext(out var a))
        {
            if (a.Type != IpvsDaemonNetlink.CmdAttrDaemon) continue;
            uint? state = null, syncId = null;
            string? ifname = null;
            ushort maxlen = 0, port = 0;
            byte ttl = 0;
            IPAddress? group = null;
            var nested = a.Nested;
            while (nested.TryNext(out var d))
            {
                switch (d.Type)
                {
                    case IpvsDaemonNetlink.AttrState: if (!d.TryU32(out var s)) return false; state = s; break;
                    case IpvsDaemonNetlink.AttrMcastIfn: ifname = d.AsString(); break;
                    case IpvsDaemonNetlink.AttrSyncId: if (!d.TryU32(out var id)) return false; syncId = id; break;
                    case IpvsDaemonNetlink.AttrSyncMaxLen: if (!d.TryU16(out maxlen)) return false; break;
                    case IpvsDaemonNetlink.AttrMcastPort: if (!d.TryU16(out port)) return false; break;
                    case IpvsDaemonNetlink.AttrMcastTtl: if (!d.TryU8(out ttl)) return false; break;
                    case IpvsDaemonNetlink.AttrMcastGroup:
                        if (d.Payload.Length != 4) return false;
                        group = new IPAddress(d.Payload);
                        break;
                    case IpvsDaemonNetlink.AttrMcastGroup6:
                        if (d.Payload.Length != 16) return false;
                        group = new IPAddress(d.Payload);
                        break;
                }
            }
            if (nested.Error != NetlinkMalformation.None || state is not (1 or 2) || syncId is null or > 255 || string.IsNullOrEmpty(ifname)) return false;
            daemon = new SyncDaemonConfig((SyncDaemonKind)state.Value, ifname, (byte)syncId.Value, maxlen, group, port, ttl);
        }
        return attributes.Error == NetlinkMalformation.None && daemon is not null;
    }
}

/// <summary>The IPVS daemon commands over one netlink socket (the shell).</summary>
public sealed class SyncDaemonClient : IDisposable
{
    private readonly NetlinkSocket _socket;
    private readonly ushort _family;

    private SyncDaemonClient(NetlinkSocket socket, ushort family)
    {
        _socket = socket;
        _family = family;
    }

    public NetlinkCounters Counters => _socket.Counters;

    /// <summary>Opens a generic-netlink socket and resolves the IPVS family (ENOENT: ip_vs not loaded).</summary>
    public static SyncDaemonClient Open()
    {
        var socket = NetlinkSocket.Open(NetlinkProtocol.Generic);
        try
        {
            var family = GenericNetlinkFamily.Resolve(socket, IpvsDaemonNetlink.FamilyName);
            return new SyncDaemonClient(socket, family.Id);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    public IReadOnlyList<SyncDaemonConfig> List()
    {
        var w = new NetlinkWriter(64);
        SyncDaemonMessages.WriteGetDaemons(w, _family, _socket.NextSequence());
        var list = new List<SyncDaemonConfig>();
        _socket.ExecuteOrThrow(w, "listing the IPVS sync daemons", (int _, in NetlinkMessage m) =>
        {
            if (!SyncDaemonMessages.TryParseDaemon(m, out var d)) return false;
            list.Add(d!);
            return true;
        });
        return list;
    }

    public void Start(SyncDaemonConfig config)
    {
        var w = new NetlinkWriter(128);
        SyncDaemonMessages.WriteNewDaemon(w, _family, _socket.NextSequence(), config);
        _socket.ExecuteOrThrow(w, $"starting the {config}");
    }

    public void Stop(SyncDaemonKind kind)
    {
        var w = new NetlinkWriter(64);
        SyncDaemonMessages.WriteDelDaemon(w, _family, _socket.NextSequence(), kind);
        _socket.ExecuteOrThrow(w, $"stopping the {(kind == SyncDaemonKind.Master ? "master" : "backup")} sync daemon");
    }

    public void Dispose() => _socket.Dispose();
}
