using Appliance.Sync;
using Xunit;

namespace Appliance.Tests.Sync;

public class ConnSyncTableTests
{
    // The layout of ip_vs_conn_sync_seq_show (net/netfilter/ipvs/ip_vs_conn.c).
    private const string Header = "Pro FromIP   FPrt ToIP     TPrt DestIP   DPrt State       Origin Expires";

    [Fact]
    public void Counts_synced_and_local_entries_by_state()
    {
        var text = string.Join('\n',
            Header,
            "TCP 0A000302 C350 C0A80A64 0050 0A000102 0050 ESTABLISHED SYNC        27",
            "TCP 0A000302 C351 C0A80A64 0050 0A000103 0050 ESTABLISHED LOCAL      899",
            "TCP 0A000302 C352 C0A80A64 0050 0A000102 0050 FIN_WAIT    SYNC        60",
            "UDP 0A000302 0035 C0A80A64 0035 0A000103 0035 UDP         SYNC       299",
            "SCTP 0A000302 0B59 C0A80A64 0B59 0A000103 0B59 SHUTDOWN_ACK_SENT SYNC 3",
            "TCP 2001:0db8:0000:0000:0000:0000:0000:0002 C350 2001:0db8:0000:0000:0000:0000:0000:0064 0050 2001:0db8:0000:0000:0000:0000:0001:0002 0050 ESTABLISHED SYNC         5",
            "");
        var c = ConnSyncTableParser.Parse(text);
        Assert.Equal(6, c.Total);
        Assert.Equal(5, c.Synced);
        Assert.Equal(1, c.Local);
        Assert.Equal(0, c.Malformed);
        Assert.Equal(3, c.ByState["ESTABLISHED"]);
        Assert.Equal(1, c.ByState["FIN_WAIT"]);
        Assert.Equal(1, c.ByState["UDP"]);
        Assert.Equal(1, c.ByState["SHUTDOWN_ACK_SENT"]);
    }

    [Theory]
    [InlineData("TCP 0A000302 C350 C0A80A64 0050 0A000102 0050 ESTABLISHED SYNC")]          // no expiry
    [InlineData("TCP 0A000302 C350 C0A80A64 0050 0A000102 0050 ESTABLISHED SYNC 27 extra")] // a column too many
    [InlineData("TCP 0A00030 C350 C0A80A64 0050 0A000102 0050 ESTABLISHED SYNC 27")]        // short address
    [InlineData("TCP 0A000302 C35 C0A80A64 0050 0A000102 0050 ESTABLISHED SYNC 27")]        // short port
    [InlineData("TCP 0A000302 C350 C0A80A64 0050 0A000102 0050 ESTABLISHED REMOTE 27")]     // unknown origin
    [InlineData("TCP 0A000302 C350 C0A80A64 0050 0A000102 0050 ESTABLISHED SYNC -1")]       // negative expiry
    [InlineData("TCP ZZZZZZZZ C350 C0A80A64 0050 0A000102 0050 ESTABLISHED SYNC 27")]       // not hex
    [InlineData("TCP 2001:db8::2 C350 C0A80A64 0050 0A000102 0050 ESTABLISHED SYNC 27")]    // compressed IPv6 is not %pI6
    [InlineData("T\u00c9P 0A000302 C350 C0A80A64 0050 0A000102 0050 ESTABLISHED SYNC 27")]  // not ASCII
    [InlineData("TCP 0A000302 C350 C0A80A64 0050 0A000102 0050 established SYNC 27")]      // lower case state
    [InlineData("garbage")]
    public void Malformed_lines_are_counted_not_thrown(string line)
    {
        var c = ConnSyncTableParser.Parse(Header + "\n" + line + "\nTCP 0A000302 C350 C0A80A64 0050 0A000102 0050 ESTABLISHED SYNC 27\n");
        Assert.Equal(1, c.Malformed);
        Assert.Equal(1, c.Synced);
    }

    [Fact]
    public void An_empty_file_or_only_the_header_is_an_empty_table()
    {
        Assert.Equal(0, ConnSyncTableParser.Parse("").Total);
        var c = ConnSyncTableParser.Parse(Header + "\n");
        Assert.Equal((0L, 0L), (c.Total, c.Malformed));
    }
}
