using System.Buffers.Binary;
using System.Net;
using Appliance.Ipvs;
using Appliance.Netlink;
using Appliance.Sync;
using Xunit;

namespace Appliance.Tests.Sync;

/// <summary>
/// The sync daemons go through the IPVS codec (src/Ipvs); these check the sync subsystem's mapping
/// against the bytes Debian's ipvsadm exchanged with Debian's 6.1 kernel
/// (tests/Appliance.Tests/Ipvs/Golden, captured on nlmon in the lab).
/// </summary>
public class SyncDaemonClientTests
{
    private static string GoldenDir([System.Runtime.CompilerServices.CallerFilePath] string here = "") =>
        Path.Combine(Path.GetDirectoryName(here)!, "..", "Ipvs", "Golden");

    private static List<byte[]> Messages(string name)
    {
        var list = new List<byte[]>();
        foreach (var line in File.ReadAllLines(Path.Combine(GoldenDir(), name + ".nlmon")))
        {
            var parts = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (parts.Length != 2) continue;
            var packet = Convert.FromHexString(parts[1]);
            for (var off = 0; off + 16 <= packet.Length;)
            {
                var len = (int)BinaryPrimitives.ReadUInt32LittleEndian(packet.AsSpan(off));
                list.Add(packet.AsSpan(off, len).ToArray());
                off += (len + 3) & ~3;
            }
        }
        return list;
    }

    /// <summary>The IPVS family's request carrying <paramref name="command"/> (type 0x20 is not fixed: pick by genl command and REQUEST flag).</summary>
    private static byte[] Request(string name, byte command) => Messages(name).Single(m =>
        BinaryPrimitives.ReadUInt16LittleEndian(m.AsSpan(4)) >= 0x11 // not the controller
        && (BinaryPrimitives.ReadUInt16LittleEndian(m.AsSpan(6)) & 1) == 1 && m[16] == command);

    private static NetlinkMessage Reply(byte[] payload) => new(new NetlinkMessageHeader(0, 0x20, NetlinkFlags.Multi, 0, 0), payload);

    private static byte[] GoldenReply() => Messages("get-daemon").Single(m => m.Length > 20 && m[16] == (byte)IpvsCommand.NewDaemon
        && (BinaryPrimitives.ReadUInt16LittleEndian(m.AsSpan(6)) & 1) == 0);

    private static byte[] Encode(ushort family, IpvsCommand command, SyncDaemon d, bool start)
    {
        var w = new NetlinkWriter();
        IpvsCodec.BeginRequest(w, family, command, 1);
        IpvsCodec.PutDaemon(w, d, start);
        w.EndMessage();
        return w.Written.ToArray();
    }

    [Fact]
    public void New_daemon_of_a_sync_configuration_is_byte_for_byte_what_ipvsadm_sends()
    {
        // ipvsadm --start-daemon master --mcast-interface eth9 --syncid 5 --sync-maxlen 1400 --mcast-group 224.0.0.81 --mcast-port 8848 --mcast-ttl 2
        var golden = Request("start-daemon-master", (byte)IpvsCommand.NewDaemon);
        var family = BinaryPrimitives.ReadUInt16LittleEndian(golden.AsSpan(4));
        var config = new SyncDaemonConfig(SyncDaemonKind.Master, "eth9", 5, 1400, IPAddress.Parse("224.0.0.81"), 8848, 2);
        var mine = Encode(family, IpvsCommand.NewDaemon, SyncDaemonClient.ToIpvs(config), start: true);
        Assert.Equal(Convert.ToHexString(golden.AsSpan(16)), Convert.ToHexString(mine.AsSpan(16)));
        Assert.Equal(BinaryPrimitives.ReadUInt16LittleEndian(golden.AsSpan(6)), BinaryPrimitives.ReadUInt16LittleEndian(mine.AsSpan(6)));
    }

    [Fact]
    public void Del_daemon_is_byte_for_byte_what_ipvsadm_sends()
    {
        // The golden capture wins: ipvsadm sends the state, an empty interface and syncid 0
        // (ip_vs_genl_del_daemon reads only the state), 44 bytes in all.
        var golden = Request("stop-daemon-master", (byte)IpvsCommand.DelDaemon);
        var family = BinaryPrimitives.ReadUInt16LittleEndian(golden.AsSpan(4));
        Assert.Equal(SyncState.Master, (SyncState)SyncDaemonKind.Master);
        Assert.Equal(SyncState.Backup, (SyncState)SyncDaemonKind.Backup);
        var mine = Encode(family, IpvsCommand.DelDaemon, new SyncDaemon((SyncState)SyncDaemonKind.Master, "", 0), start: false);
        Assert.Equal(Convert.ToHexString(golden.AsSpan(16)), Convert.ToHexString(mine.AsSpan(16)));
        Assert.Equal(golden.Length, mine.Length);
    }

    [Fact]
    public void Get_daemon_reply_of_the_kernel_decodes_into_the_sync_configuration()
    {
        var reply = GoldenReply();
        Assert.True(IpvsCodec.TryReadDaemon(Reply(reply.AsSpan(16).ToArray()), out var d));
        var config = SyncDaemonClient.FromIpvs(d!);
        Assert.Equal(new SyncDaemonConfig(SyncDaemonKind.Master, "eth9", 5, 1400, IPAddress.Parse("224.0.0.81"), 8848, 2), config);
        Assert.Equal("master sync daemon (mcast=eth9, syncid=5, maxlen=1400, group=224.0.0.81, port=8848, ttl=2)", config.ToString());
    }

    // Offsets in the genl payload of the golden reply: genl header (4), CMD_ATTR_DAEMON nest header (4),
    // then STATE (len 8: header 4 + u32) at 8, MCAST_IFN at 16.
    private static int Find(byte[] payload, ushort type)
    {
        for (int off = 8; off + 4 <= payload.Length;)
        {
            var len = BinaryPrimitives.ReadUInt16LittleEndian(payload.AsSpan(off));
            if (BinaryPrimitives.ReadUInt16LittleEndian(payload.AsSpan(off + 2)) == type) return off;
            off += (len + 3) & ~3;
        }
        throw new InvalidOperationException($"attribute {type} not in the golden reply");
    }

    [Fact]
    public void Malformed_daemon_replies_are_rejected()
    {
        var good = GoldenReply().AsSpan(16).ToArray();
        for (var cut = 4; cut < good.Length; cut += 3)
        {
            var payload = good.AsSpan(0, cut).ToArray();
            // Shorten the outer nest length to the cut so only attribute-level truncation remains.
            if (payload.Length >= 8) BinaryPrimitives.WriteUInt16LittleEndian(payload.AsSpan(4), (ushort)Math.Min(payload.Length - 4, BinaryPrimitives.ReadUInt16LittleEndian(payload.AsSpan(4))));
            if (IpvsCodec.TryReadDaemon(Reply(payload), out var d)) Assert.False(string.IsNullOrEmpty(d!.Interface)); // a prefix may still be a full daemon
        }
        Assert.True(IpvsCodec.TryReadDaemon(Reply(good), out _));

        var badState = (byte[])good.Clone();
        badState[Find(good, IpvsAttr.DaemonState) + 4] = 7;
        Assert.False(IpvsCodec.TryReadDaemon(Reply(badState), out _));

        var bigSyncId = (byte[])good.Clone();
        BinaryPrimitives.WriteUInt32LittleEndian(bigSyncId.AsSpan(Find(good, IpvsAttr.DaemonSyncId) + 4), 300);
        Assert.False(IpvsCodec.TryReadDaemon(Reply(bigSyncId), out _));

        var noInterface = (byte[])good.Clone();
        noInterface[Find(good, IpvsAttr.DaemonMcastIfn) + 4] = 0;
        Assert.False(IpvsCodec.TryReadDaemon(Reply(noInterface), out _));

        var groupAsV6 = (byte[])good.Clone();   // 4 bytes labelled as an IPv6 group
        BinaryPrimitives.WriteUInt16LittleEndian(groupAsV6.AsSpan(Find(good, IpvsAttr.DaemonMcastGroup) + 2), IpvsAttr.DaemonMcastGroup6);
        Assert.False(IpvsCodec.TryReadDaemon(Reply(groupAsV6), out _));

        var otherCommand = (byte[])good.Clone();
        otherCommand[0] = (byte)IpvsCommand.DelDaemon;
        Assert.False(IpvsCodec.TryReadDaemon(Reply(otherCommand), out _));
    }
}
