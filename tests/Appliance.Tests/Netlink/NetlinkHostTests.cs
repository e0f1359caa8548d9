using Appliance.Netlink;
using Xunit;

namespace Appliance.Tests.Netlink;

/// <summary>Against the host kernel: generic netlink's controller and rtnetlink exist everywhere.</summary>
[Trait("Category", "Host")]
public class NetlinkHostTests
{
    [Fact]
    public void Resolves_the_controller_family_itself()
    {
        using var socket = NetlinkSocket.Open(NetlinkProtocol.Generic);
        var family = GenericNetlinkFamily.Resolve(socket, "nlctrl");
        Assert.Equal(GenericNetlinkController.FamilyId, family.Id);
        Assert.Equal("nlctrl", family.Name);
        Assert.True(family.Version >= 1);
        Assert.Equal(0, socket.Counters.Dropped);
    }

    [Fact]
    public void An_unknown_family_is_ENOENT_with_the_operation_named()
    {
        using var socket = NetlinkSocket.Open(NetlinkProtocol.Generic);
        var e = Assert.Throws<NetlinkException>(() => GenericNetlinkFamily.Resolve(socket, "NO_SUCH_FAMILY"));
        Assert.Equal(Errno.ENOENT, e.ErrorNumber);
        Assert.Contains("resolving the generic-netlink family \"NO_SUCH_FAMILY\"", e.Message);
    }

    [Fact]
    public void Batched_requests_get_one_result_each()
    {
        using var socket = NetlinkSocket.Open(NetlinkProtocol.Generic);
        var w = new NetlinkWriter();
        var first = socket.ReserveSequences(3);
        GenericNetlinkFamily.WriteRequest(w, "nlctrl", first);
        GenericNetlinkFamily.WriteRequest(w, "NO_SUCH_FAMILY", first + 1);
        GenericNetlinkFamily.WriteRequest(w, "nlctrl", first + 2);
        var replies = 0;
        var results = socket.Execute(w, (int i, in NetlinkMessage m) => { replies++; return GenericNetlinkFamily.TryParse(m, out _); });
        Assert.True(results[0].Ok);
        Assert.Equal(Errno.ENOENT, results[1].Error);
        Assert.True(results[2].Ok);
        Assert.Equal(2, replies);
    }

    [Fact]
    public void Lists_links_including_loopback()
    {
        using var rt = RtnetlinkClient.Open();
        var links = rt.ListLinks();
        Assert.Contains(links, l => l.Name == "lo" && l.Index == 1);
        Assert.Equal(0, rt.Counters.Dropped);
    }
}
