using System.Net;
using Appliance.Ipvs;
using Appliance.Netlink;
using Xunit;

namespace Appliance.Tests.Ipvs;

/// <summary>The appliance's IPVS codec against bytes the real ipvsadm exchanged with the real kernel (Golden/README.md).</summary>
public class GoldenTests
{
    private static readonly IPAddress Vip = IPAddress.Parse("192.0.2.100");
    private static readonly ServiceKey Http = ServiceKey.For(IpvsProtocol.Tcp, Vip, 80);
    private static readonly ServiceKey Https = ServiceKey.For(IpvsProtocol.Tcp, Vip, 443);

    public static TheoryData<string> RequestCases() => [.. Requests.Keys];

    private static readonly Dictionary<string, Action<NetlinkWriter, ushort>> Requests = new()
    {
        ["add-service-tcp"] = (w, f) => Change(w, f, IpvsChangeKind.AddService, new IpvsService(Http, "wlc")),
        ["add-service-persistent"] = (w, f) => Change(w, f, IpvsChangeKind.AddService,
            new IpvsService(Https, "sh", ServiceFlags.Persistent | ServiceFlags.Sched1 | ServiceFlags.Sched2, 600, IpvsService.V4Netmask(24))),
        ["add-service-udp-ops"] = (w, f) => Change(w, f, IpvsChangeKind.AddService,
            new IpvsService(ServiceKey.For(IpvsProtocol.Udp, Vip, 53), "rr", ServiceFlags.OnePacket)),
        ["add-service-sctp"] = (w, f) => Change(w, f, IpvsChangeKind.AddService, new IpvsService(ServiceKey.For(IpvsProtocol.Sctp, Vip, 3868), "wrr")),
        ["add-service-fwmark-v6"] = (w, f) => Change(w, f, IpvsChangeKind.AddService,
            new IpvsService(ServiceKey.ForFirewallMark(7, IpvsFamily.Inet6), "mh", ServiceFlags.Sched1 | ServiceFlags.Sched2, 0, 128)),
        ["add-service-v6"] = (w, f) => Change(w, f, IpvsChangeKind.AddService,
            new IpvsService(ServiceKey.For(IpvsProtocol.Tcp, IPAddress.Parse("2001:db8::100"), 80), "lc", ServiceFlags.Persistent, 300, 64)),
        ["add-service-pe-sip"] = (w, f) => Change(w, f, IpvsChangeKind.AddService,
            new IpvsService(ServiceKey.For(IpvsProtocol.Udp, Vip, 5060), "rr", ServiceFlags.Persistent, 60, 0xffffffff, "sip")),
        ["add-dest-masq"] = (w, f) => Change(w, f, IpvsChangeKind.AddDestination, new IpvsService(Http, "wlc"),
            new IpvsDestination(IPAddress.Parse("10.0.0.12"), 8080, ForwardMethod.Masq, 5, 100, 10)),
        ["add-dest-route"] = (w, f) => Change(w, f, IpvsChangeKind.AddDestination, new IpvsService(Http, "wlc"),
            new IpvsDestination(IPAddress.Parse("10.0.0.13"), 80, ForwardMethod.Route, 1)),
        ["add-dest-tunnel-gue"] = (w, f) => Change(w, f, IpvsChangeKind.AddDestination, new IpvsService(Http, "wlc"),
            new IpvsDestination(IPAddress.Parse("10.0.0.14"), 80, ForwardMethod.Tunnel, 2, TunnelType: TunnelType.Gue, TunnelPort: 6080)),
        ["add-dest-tunnel-ipip"] = (w, f) => Change(w, f, IpvsChangeKind.AddDestination, new IpvsService(Https, "sh"),
            new IpvsDestination(IPAddress.Parse("10.0.0.15"), 443, ForwardMethod.Tunnel, 3)),
        ["add-dest-v6"] = (w, f) => Change(w, f, IpvsChangeKind.AddDestination,
            new IpvsService(ServiceKey.For(IpvsProtocol.Tcp, IPAddress.Parse("2001:db8::100"), 80), "lc"),
            new IpvsDestination(IPAddress.Parse("2001:db8::12"), 80, ForwardMethod.Masq, 4)),
        ["add-dest-fwmark"] = (w, f) => Change(w, f, IpvsChangeKind.AddDestination, new IpvsService(ServiceKey.ForFirewallMark(7, IpvsFamily.Inet6), "mh"),
            new IpvsDestination(IPAddress.Parse("2001:db8::13"), 0, ForwardMethod.Route, 1)),
        ["edit-dest-weight"] = (w, f) => Change(w, f, IpvsChangeKind.EditDestination, new IpvsService(Http, "wlc"),
            new IpvsDestination(IPAddress.Parse("10.0.0.12"), 8080, ForwardMethod.Masq, 2, 100, 10)),
        ["edit-service"] = (w, f) => Change(w, f, IpvsChangeKind.EditService, new IpvsService(Http, "rr")),
        ["del-dest"] = (w, f) => Change(w, f, IpvsChangeKind.DeleteDestination, new IpvsService(Http, "rr"),
            new IpvsDestination(IPAddress.Parse("10.0.0.13"), 80, ForwardMethod.Route, 1)),
        ["del-service"] = (w, f) => Change(w, f, IpvsChangeKind.DeleteService, new IpvsService(ServiceKey.For(IpvsProtocol.Udp, Vip, 53), "rr")),
        ["set-timeouts"] = (w, f) => { IpvsCodec.BeginRequest(w, f, IpvsCommand.SetConfig, 1); IpvsCodec.PutTimeouts(w, new IpvsTimeouts(900, 120, 300)); w.EndMessage(); },
        ["start-daemon-master"] = (w, f) =>
        {
            IpvsCodec.BeginRequest(w, f, IpvsCommand.NewDaemon, 1);
            IpvsCodec.PutDaemon(w, new SyncDaemon(SyncState.Master, "eth9", 5, 1400, IPAddress.Parse("224.0.0.81"), 8848, 2), start: true);
            w.EndMessage();
        },
        ["stop-daemon-master"] = (w, f) =>
        {
            IpvsCodec.BeginRequest(w, f, IpvsCommand.DelDaemon, 1);
            IpvsCodec.PutDaemon(w, new SyncDaemon(SyncState.Master, "", 0), start: false);
            w.EndMessage();
        },
        ["zero"] = (w, f) => { IpvsCodec.BeginRequest(w, f, IpvsCommand.Zero, 1); w.EndMessage(); },
        ["flush"] = (w, f) => { IpvsCodec.BeginRequest(w, f, IpvsCommand.Flush, 1); w.EndMessage(); },
    };

    private static void Change(NetlinkWriter w, ushort family, IpvsChangeKind kind, IpvsService service, IpvsDestination? dest = null) =>
        new IpvsChange(kind, service, dest).Encode(w, family, 1);

    [Theory]
    [MemberData(nameof(RequestCases))]
    public void Requests_are_byte_identical_to_ipvsadm(string name)
    {
        var capture = GoldenCapture.Load(name);
        var request = Assert.Single(capture.IpvsRequests());
        var w = new NetlinkWriter();
        Requests[name](w, capture.FamilyId);
        Assert.Equal(Convert.ToHexString(GoldenCapture.Normalize(request.Bytes)), Convert.ToHexString(GoldenCapture.Normalize(w.Written)));
    }

    [Fact]
    public void Every_request_capture_has_a_case()
    {
        var files = System.IO.Directory.GetFiles(GoldenCapture.Directory(), "*.nlmon").Select(Path.GetFileNameWithoutExtension)
            .Where(n => !n!.StartsWith("list") && !n.StartsWith("get-") && !n.StartsWith("error-"));
        Assert.All(files, n => Assert.True(Requests.ContainsKey(n!), $"{n}.nlmon has no encoding case"));
    }

    private static KernelTable DecodeListing(GoldenCapture capture, out IpvsInfo info)
    {
        var infoRequest = capture.Messages.First(m => m.IsRequest && m.Header.Type == capture.FamilyId && m.GenericCommand == (byte)IpvsCommand.GetInfo);
        IpvsInfo found = default;
        Assert.Contains(capture.RepliesTo(infoRequest), r => r.Header.Type == capture.FamilyId && IpvsCodec.TryReadInfo(r.AsMessage(), out found));
        info = found;

        var serviceDump = Assert.Single(capture.IpvsRequests((byte)IpvsCommand.GetService));
        var services = new List<ServiceEntry>();
        foreach (var reply in capture.RepliesTo(serviceDump).Where(r => r.Header.Type == capture.FamilyId))
        {
            Assert.True(IpvsCodec.TryReadService(reply.AsMessage(), out var entry));
            services.Add(entry!);
        }
        Assert.Contains(capture.RepliesTo(serviceDump), r => r.Header.Type == NetlinkMessageType.Done);

        var table = new List<(ServiceEntry, IReadOnlyList<DestinationEntry>)>();
        foreach (var destDump in capture.IpvsRequests((byte)IpvsCommand.GetDest))
        {
            var m = destDump.AsMessage();
            Assert.True(m.TryGetGeneric(out _, out var attrs));
            Assert.True(attrs.TryNext(out var nest));
            Assert.True(IpvsCodec.TryReadServiceKey(nest.Nested, out var lookup));
            var service = Assert.Single(services, s => s.Service.Key == lookup);
            var dests = new List<DestinationEntry>();
            foreach (var reply in capture.RepliesTo(destDump).Where(r => r.Header.Type == capture.FamilyId))
            {
                Assert.True(IpvsCodec.TryReadDestination(reply.AsMessage(), service.Service.Key.Family, out var d));
                dests.Add(d!);
            }
            table.Add((service, dests));
        }
        Assert.Equal(services.Count, table.Count);
        return new KernelTable(table);
    }

    [Fact]
    public void Service_and_destination_dumps_decode_to_what_was_programmed()
    {
        var table = DecodeListing(GoldenCapture.Load("list"), out var info);
        Assert.Equal("1.2.1", info.VersionString);
        Assert.Equal(4096u, info.ConnectionTableSize);
        var https = table.Services.Single(s => s.Service.Service.Key == Https);
        Assert.Equal("sh", https.Service.Service.Scheduler);
        Assert.Equal(ServiceFlags.Persistent | ServiceFlags.Sched1 | ServiceFlags.Sched2, https.Service.Service.UserFlags);
        Assert.Equal(600u, https.Service.Service.Timeout);
        Assert.Equal(IpvsService.V4Netmask(24), https.Service.Service.Netmask);
        var tunnel = Assert.Single(https.Destinations).Destination;
        Assert.Equal(new IpvsDestination(IPAddress.Parse("10.0.0.15"), 443, ForwardMethod.Tunnel, 3), tunnel);
        var http = table.Services.Single(s => s.Service.Service.Key == Http);
        Assert.Contains(http.Destinations, d => d.Destination == new IpvsDestination(IPAddress.Parse("10.0.0.14"), 80, ForwardMethod.Tunnel, 2,
            TunnelType: TunnelType.Gue, TunnelPort: 6080));
        Assert.Contains(http.Destinations, d => d.Destination == new IpvsDestination(IPAddress.Parse("10.0.0.12"), 8080, ForwardMethod.Masq, 2, 100, 10));
        var sip = table.Services.Single(s => s.Service.Service.Key.Port == 5060).Service.Service;
        Assert.Equal("sip", sip.PeName);
        var mark = table.Services.Single(s => s.Service.Service.Key.IsFirewallMark).Service.Service;
        Assert.Equal(ServiceKey.ForFirewallMark(7, IpvsFamily.Inet6), mark.Key);
    }

    [Theory]
    [InlineData("list", IpvsListFormat.Normal)]
    [InlineData("list-stats", IpvsListFormat.Stats)]
    public void Listing_matches_ipvsadm_line_for_line(string name, IpvsListFormat format)
    {
        var capture = GoldenCapture.Load(name);
        var table = DecodeListing(capture, out var info);
        var expected = capture.Stdout.Replace("exit 0\n", "");
        Assert.Equal(expected.Split('\n'), IpvsListing.Render(info, table, format).Split('\n'));
    }

    [Theory]
    [InlineData("error-duplicate-service", IpvsChangeKind.AddService, Errno.EEXIST,
        "adding virtual service TCP 192.0.2.100:80 (scheduler wlc): the service already exists (EEXIST)")]
    [InlineData("error-unknown-scheduler", IpvsChangeKind.AddService, Errno.ENOENT,
        "adding virtual service TCP 192.0.2.100:81 (scheduler twos): scheduler \"twos\" not available in this kernel (ENOENT)")]
    [InlineData("error-dest-no-service", IpvsChangeKind.AddDestination, Errno.ESRCH,
        "adding real server 10.0.0.12:80 to TCP 192.0.2.200:80: no such service (ESRCH)")]
    public void Kernel_refusals_decode_to_messages_naming_operation_and_object(string name, IpvsChangeKind kind, int errno, string message)
    {
        var capture = GoldenCapture.Load(name);
        var request = Assert.Single(capture.IpvsRequests());
        var counters = new NetlinkCounters();
        var collector = new NetlinkReplyCollector(request.Header.PortId, request.Header.Sequence, 1, counters, null);
        foreach (var reply in capture.RepliesTo(request)) collector.Accept(reply.Bytes);
        Assert.Equal(0, collector.Outstanding);
        Assert.Equal(errno, collector.Results[0].Error);
        Assert.Equal(0, counters.Dropped);

        var m = request.AsMessage();
        Assert.True(m.TryGetGeneric(out _, out var attrs));
        IpvsService? service = null;
        IpvsDestination? dest = null;
        while (attrs.TryNext(out var a))
        {
            if (a.Type == IpvsAttr.CmdService && IpvsCodec.TryReadServiceNest(a.Nested, out var s)) service = s!.Service;
            if (a.Type == IpvsAttr.CmdDest && IpvsCodec.TryReadDestinationNest(a.Nested, IpvsFamily.Inet, out var d)) dest = d!.Destination;
        }
        var change = new IpvsChange(kind, service!, dest);
        Assert.Equal(message, change.FormatError(collector.Results[0].Error, collector.Results[0].KernelMessage));
    }

    [Fact]
    public void Timeouts_and_daemon_replies_decode()
    {
        var t = GoldenCapture.Load("get-timeouts");
        var req = Assert.Single(t.IpvsRequests((byte)IpvsCommand.GetConfig));
        IpvsTimeouts timeouts = default;
        Assert.Contains(t.RepliesTo(req), r => r.Header.Type == t.FamilyId && IpvsCodec.TryReadTimeouts(r.AsMessage(), out timeouts));
        Assert.Equal(new IpvsTimeouts(900, 120, 300), timeouts);

        var d = GoldenCapture.Load("get-daemon");
        req = Assert.Single(d.IpvsRequests((byte)IpvsCommand.GetDaemon));
        SyncDaemon? daemon = null;
        Assert.Contains(d.RepliesTo(req), r => r.Header.Type == d.FamilyId && IpvsCodec.TryReadDaemon(r.AsMessage(), out daemon));
        Assert.Equal(new SyncDaemon(SyncState.Master, "eth9", 5, 1400, IPAddress.Parse("224.0.0.81"), 8848, 2), daemon);
    }
}
