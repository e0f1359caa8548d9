using System.Net;
using Appliance.Arbiter;
using Xunit;

namespace Appliance.Tests.Arbiter;

public class ArpProbeTests
{
    private static readonly IPAddress Peer = IPAddress.Parse("192.0.2.2");
    private static TimeSpan Ms(double ms) => TimeSpan.FromMilliseconds(ms);

    [Fact]
    public void Request_round_trips_and_matches_RFC_826_layout()
    {
        var p = ArpPacket.Request([2, 0, 0, 0, 0, 1], IPAddress.Parse("192.0.2.1"), Peer);
        var b = new byte[ArpPacket.Size];
        p.WriteTo(b);
        Assert.Equal(Convert.FromHexString("0001080006040001020000000001C0000201000000000000C0000202"), b);
        Assert.True(ArpPacket.TryRead(b, out var r));
        Assert.Equal((ArpPacket.OpRequest, "192.0.2.1", "192.0.2.2"), (r.Operation, r.SenderIp.ToString(), r.TargetIp.ToString()));
    }

    [Fact]
    public void Malformed_ARP_is_refused()
    {
        var b = new byte[ArpPacket.Size];
        ArpPacket.Request([2, 0, 0, 0, 0, 1], IPAddress.Parse("192.0.2.1"), Peer).WriteTo(b);
        Assert.False(ArpPacket.TryRead(b.AsSpan(0, 27), out _));
        foreach (var (i, v) in new[] { (1, (byte)6), (2, (byte)0x86), (4, (byte)8), (5, (byte)16), (7, (byte)3) })
        {
            var bad = (byte[])b.Clone();
            bad[i] = v;
            Assert.False(ArpPacket.TryRead(bad, out _));
        }
    }

    [Fact]
    public void A_late_caller_still_listens_after_its_last_request()
    {
        // The caller was descheduled for 500 ms after the first request: the other two go out
        // at once, late, and silence may be concluded only 100 ms (200 - 2 x 50) after them.
        var run = new ArpProbeRun(new ArpProbeTiming(), Peer, Ms(0));
        Assert.True(run.ShouldSend(Ms(0)));
        Assert.False(run.ShouldSend(Ms(0)));
        Assert.True(run.ShouldSend(Ms(500)));
        Assert.True(run.ShouldSend(Ms(500)));
        run.OnTimer(Ms(500));
        Assert.False(run.Done);
        Assert.Equal(Ms(600), run.NextDeadline);
        run.OnTimer(Ms(599));
        Assert.False(run.Done);
        run.OnTimer(Ms(600));
        Assert.Equal(ProbeResult.PeerSilent, run.Result);
    }

    [Fact]
    public void Run_sends_its_requests_spaced_and_goes_silent_at_the_deadline()
    {
        var run = new ArpProbeRun(new ArpProbeTiming(), Peer, Ms(1000));
        Assert.True(run.ShouldSend(Ms(1000)));
        Assert.False(run.ShouldSend(Ms(1000)));
        Assert.Equal(Ms(1050), run.NextDeadline);
        Assert.False(run.ShouldSend(Ms(1049)));
        Assert.True(run.ShouldSend(Ms(1050)));
        Assert.True(run.ShouldSend(Ms(1100)));
        Assert.False(run.ShouldSend(Ms(1150)));
        Assert.Equal(3, run.Sent);
        run.OnTimer(Ms(1199));
        Assert.Equal(ProbeResult.NotProbed, run.Result);
        run.OnTimer(Ms(1200));
        Assert.Equal(ProbeResult.PeerSilent, run.Result);
    }

    [Fact]
    public void Any_ARP_from_the_peer_address_means_answers_and_others_do_not()
    {
        var run = new ArpProbeRun(new ArpProbeTiming(), Peer, Ms(0));
        var mac = new byte[] { 2, 0, 0, 0, 0, 2 };
        run.OnPacket(ArpPacket.Request(mac, IPAddress.Parse("192.0.2.3"), Peer)); // someone else asking for the peer
        Assert.False(run.Done);
        run.OnPacket(ArpPacket.Request(mac, Peer, IPAddress.Parse("192.0.2.1")) with { Operation = ArpPacket.OpReply });
        Assert.Equal(ProbeResult.PeerAnswers, run.Result);
        run.OnTimer(Ms(1000));
        Assert.Equal(ProbeResult.PeerAnswers, run.Result); // a late deadline does not overturn it
    }

    [Fact]
    public void With_a_VIP_an_answer_for_it_means_held_at_once_and_the_peer_alone_means_vip_free_at_the_deadline()
    {
        var vip = IPAddress.Parse("192.0.2.100");
        var mac = new byte[] { 2, 0, 0, 0, 0, 2 };
        var reply = (IPAddress from) => ArpPacket.Request(mac, from, IPAddress.Parse("192.0.2.1")) with { Operation = ArpPacket.OpReply };

        var held = new ArpProbeRun(new ArpProbeTiming(), Peer, Ms(0), vip);
        held.OnPacket(reply(Peer));
        Assert.False(held.Done); // the peer is alive; whether it holds the VIP is not known yet
        held.OnPacket(reply(vip));
        Assert.Equal(ProbeResult.PeerAnswers, held.Result);

        var free = new ArpProbeRun(new ArpProbeTiming(), Peer, Ms(0), vip);
        while (free.ShouldSend(Ms(100))) { }
        free.OnPacket(reply(Peer));
        free.OnTimer(Ms(199));
        Assert.False(free.Done);
        free.OnTimer(Ms(200));
        Assert.Equal(ProbeResult.PeerAnswersVipFree, free.Result);

        var silent = new ArpProbeRun(new ArpProbeTiming(), Peer, Ms(0), vip);
        while (silent.ShouldSend(Ms(100))) { }
        silent.OnTimer(Ms(200));
        Assert.Equal(ProbeResult.PeerSilent, silent.Result);
    }
}
