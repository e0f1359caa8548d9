using System.Buffers.Binary;
using System.Net;
using Appliance.Netlink;
using Appliance.Sync;
using Xunit;

namespace Appliance.Tests.Sync;

/// <summary>
/// Against the bytes Debian's ipvsadm exchanged with Debian's 6.1 kernel
/// (tests/Appliance.Tests/Ipvs/Golden, captured on nlmon in the lab).
/// </summary>
public class SyncDaemonMessagesTests
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

    [Fact]
    public void New_daemon_is_byte_for_byte_what_ipvsadm_sends()
    {
        // ipvsadm --start-daemon master --mcast-interface eth9 --syncid 5 --sync-maxlen 1400 --mcast-group 224.0.0.81 --mcast-port 8848 --mcast-ttl 2
        var golden = Request("start-daemon-master", IpvsDaemonNetlink.CmdNewDaemon);
        var family = BinaryPrimitives.ReadUInt16LittleEndian(golden.AsSpan(4));
        var w = new NetlinkWriter();
        SyncDaemonMessages.WriteNewDaemon(w, family, 1, new SyncDaemonConfig(SyncDaemonKind.Master, "eth9", 5, 1400, IPAddress.Parse("224.0.0.81"), 8848, 2));
        var mine = w.Written.ToArray();
        Assert.Equal(Convert.ToHexString(golden.AsSpan(16)), Convert.ToHexString(mine.AsSpan(16)));
        Assert.Equal(BinaryPrimitives.ReadUInt16LittleEndian(golden.AsSpan(6)), BinaryPrimitives.ReadUInt16LittleEndian(mine.AsSpan(6)));
    }

    [Fact]
    public void Del_daemon_carries_the_state_ipvsadm_sends()
    {
        var golden = Request("stop-daemon-master", IpvsDaemonNetlink.CmdDelDaemon);
        var family = BinaryPrimitives.ReadUInt16LittleEndian(golden.AsSpan(4));
        var w = new NetlinkWriter();
        SyncDaemonMessages.WriteDelDaemon(w, family, 1, SyncDaemonKind.Master);
        var mine = w.Written.ToArray();
        // Same genl header (command 10, version 1), same nested DAEMON type (0x8003), same STATE
        // attribute first. ipvsadm adds an empty interface and syncid 0, which
        // ip_vs_genl_del_daemon ignores; the appliance sends only what the kernel reads.
        Assert.Equal(Convert.ToHexString(golden.AsSpan(16, 4)), Convert.ToHexString(mine.AsSpan(16, 4)));
        Assert.Equal(Convert.ToHexString(golden.AsSpan(22, 2)), Convert.ToHexString(mine.AsSpan(22, 2)));
        Assert.Equal(Convert.ToHexString(golden.AsSpan(24, 8)), Convert.ToHexString(mine.AsSpan(24, 8)));
        Assert.Equal(mine.Length - 20, BinaryPrimitives.ReadUInt16LittleEndian(mine.AsSpan(20)));
        Assert.Equal(32, mine.Length);
    }

    [Fact]
    public void Get_daemon_reply_of_the_kernel_decodes()
    {
        var reply = Messages("get-daemon").Single(m => m.Length > 20 && m[16] == IpvsDaemonNetlink.CmdNewDaemon
            && (BinaryPrimitives.ReadUInt16LittleEndian(m.AsSpan(6)) & 1) == 0);
        var header = new NetlinkMessageHeader((uint)reply.Length, BinaryPrimitives.ReadUInt16LittleEndian(reply.AsSpan(4)), NetlinkFlags.Multi, 0, 0);
        Assert.True(SyncDaemonMessages.TryParseDaemon(new NetlinkMessage(header, reply.AsSpan(16)), out var d));
        Assert.Equal(new SyncDaemonConfig(SyncDaemonKind.Master, "eth9", 5, 1400, IPAddress.Parse("224.0.0.81"), 8848, 2), d);
        Assert.Equal("master sync daemon (mcast=eth9, syncid=5, maxlen=1400, group=224.0.0.81, port=8848, ttl=2)", d!.ToString());
    }

    [Fact]
    public void Malformed_daemon_replies_are_rejected()
    {
        var good = Messages("get-daemon").Single(m => m.Length > 20 && m[16] == IpvsDaemonNetlink.CmdNewDaemon
            && (BinaryPrimitives.ReadUInt16LittleEndian(m.AsSpan(6)) & 1) == 0);
        var header = new NetlinkMessageHeader(0, 0x20, NetlinkFlags.Multi, 0, 0);
        for (var cut = 20; cut < good.Length; cut += 3)
        {
            var payload = good.AsSpan(16, cut - 16).ToArray();
            // Shorten the outer nest length to the cut so only attribute-level truncation remains.
            if (payload.Length >= 8) BinaryPrimitives.WriteUInt16LittleEndian(payload.AsSpan(4), (ushort)Math.Min(payload.Length - 4, BinaryPrimitives.ReadUInt16LittleEndian(payload.AsSpan(4))));
            var ok = SyncDaemonMessages.TryParseDaemon(new NetlinkMessage(header, payload), out var d);
            if (ok) Assert.False(string.IsNullOrEmpty(d!.Interface)); // a prefix may still be a full daemon
        }
        var badState = good.AsSpan(16).ToArray();
        badState[12] = 7; // IPVS_DAEMON_ATTR_STATE value
        Assert.False(SyncDaemonMessages.TryParseDaemon(new NetlinkMessage(header, badState), out _));
    }
}
