using System.Net;
using Appliance.Health;
using Appliance.Ipvs;
using Xunit;

namespace Appliance.Tests.Health;

public class HealthTableAdapterTests
{
    private static readonly VirtualServerKey Web = VirtualServerKey.Tcp(IPEndPoint.Parse("192.0.2.10:80"));
    private static TimeSpan S(double s) => TimeSpan.FromSeconds(s);

    private static IpvsDestination Dest(int n, int weight = 1) =>
        new(IPAddress.Parse($"10.0.0.{n}"), 80, ForwardMethod.Route, weight, UpperThreshold: 100);

    private static DesiredTable Configured() => new(
    [
        new VirtualServer(new IpvsService(ServiceKey.For(IpvsProtocol.Tcp, IPAddress.Parse("192.0.2.10"), 80), "wlc"), [Dest(1), Dest(2, 5), Dest(3, 9)]),
        new VirtualServer(new IpvsService(ServiceKey.For(IpvsProtocol.Udp, IPAddress.Parse("192.0.2.10"), 53), "rr"), [Dest(7)]),
    ]);

    private static RealServerSpec Rs(int n, int weight, bool inhibit = false) => new()
    {
        Address = IPEndPoint.Parse($"10.0.0.{n}:80"), Weight = weight, InhibitOnFailure = inhibit,
        Check = new CheckSettings { Target = IPEndPoint.Parse($"10.0.0.{n}:80"), Retry = 0, Warmup = TimeSpan.Zero },
    };

    private static RealServerKey Key(int n) => new(Web, IPEndPoint.Parse($"10.0.0.{n}:80"));

    [Fact]
    public void Failed_servers_leave_inhibited_ones_get_weight_0_and_nothing_else_changes()
    {
        var core = new HealthCore(1);
        core.Load(new HealthModel([new VirtualServerSpec { Key = Web, RealServers = [Rs(1, 1), Rs(2, 5, inhibit: true), Rs(3, 9)] }]), S(0));
        var configured = Configured();
        var all = HealthTableAdapter.Apply(configured, core.Desired());
        Assert.Equal(configured.Services[0].Destinations, all.Services[0].Destinations);

        core.OnResult(Key(1), CheckResult.Failed("refused", S(0)), S(1));
        core.OnResult(Key(2), CheckResult.Failed("refused", S(0)), S(1));
        core.OnResult(Key(3), CheckResult.Ok("exit 5", S(0), weight: 3), S(1));
        var t = HealthTableAdapter.Apply(configured, core.Desired());
        var web = t.Services[0].Destinations;
        Assert.Equal([Dest(2, 0), Dest(3, 3)], web);                  // forward method and thresholds kept
        Assert.Same(configured.Services[1], t.Services[1]);           // a service health does not watch is untouched
        Assert.Same(configured.Services[0].Service, t.Services[0].Service);
    }

    [Fact]
    public void The_sorry_server_serves_while_quorum_is_lost_and_is_quiesced_not_deleted_when_it_returns()
    {
        var core = new HealthCore(1);
        var sorry = new RealServerSpec { Address = IPEndPoint.Parse("10.9.9.9:80"), Weight = 1 };
        core.Load(new HealthModel([new VirtualServerSpec { Key = Web, SorryServer = sorry, RealServers = [Rs(1, 1), Rs(2, 5), Rs(3, 9)] }]), S(0));
        foreach (var n in new[] { 1, 2, 3 }) core.OnResult(Key(n), CheckResult.Failed("x", S(0)), S(1));
        var t = HealthTableAdapter.Apply(Configured(), core.Desired());
        var only = Assert.Single(t.Services[0].Destinations);
        Assert.Equal(new IpvsDestination(IPAddress.Parse("10.9.9.9"), 80, ForwardMethod.Route, 1), only);

        // Quorum back: the sorry server is quiesced (weight 0), not deleted, so the connections it
        // serves finish; new ones go to the real server.
        core.OnResult(Key(2), CheckResult.Ok("ok", S(0)), S(2));
        Assert.Equal([Dest(2, 5), new IpvsDestination(IPAddress.Parse("10.9.9.9"), 80, ForwardMethod.Route, 0)],
            HealthTableAdapter.Apply(Configured(), core.Desired()).Services[0].Destinations);
    }
}
