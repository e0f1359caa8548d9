using System.Diagnostics;
using Xunit;

namespace Appliance.Tests.Vrrp.Host;

/// <summary>Two appliances: planned handover is immediate (priority 0 from an appliance peer), and a restart never grabs the VIP.</summary>
[Trait("Category", "Host")]
public class ApplianceHandoverTests
{
    private static readonly TimeSpan Within = TimeSpan.FromSeconds(15);

    private static string Opts(int priority, string extra = "") =>
        $"--virtual-router-id 51 --advert-int 1 --priority {priority} --peer-appliance --virtual-ipaddress {VrrpLab.Vip}/24 {extra}";

    [Fact]
    public void GracefulStop_HandsOverWithoutWaitingSkewTime()
    {
        using var lab = new VrrpLab();
        var a = lab.StartAppliance('A', Opts(150));
        lab.AssertSoleHolder('A', Within, TimeSpan.Zero, "appliance A alone is MASTER");
        lab.StartAppliance('B', Opts(100));
        lab.AssertSoleHolder('A', Within, TimeSpan.FromSeconds(1.5), "B (100) stays BACKUP");
        var sw = Stopwatch.StartNew();
        VrrpLab.Sh("kill", $"-TERM {a.Process.Id}");
        while (!lab.Holds('B'))
        {
            Assert.True(sw.Elapsed < Within, $"B never took over\n{lab.Logs()}");
            Thread.Sleep(1);
        }
        var took = sw.Elapsed;
        // With advert_int 1 s a keepalived-style backup would wait Skew_Time (0.61 s); the appliance peer does not.
        Assert.True(took < TimeSpan.FromMilliseconds(400), $"handover took {took.TotalMilliseconds:0} ms\n{lab.Logs()}");
        Assert.True(a.Process.WaitForExit(10_000));
        lab.AssertSoleHolder('B', Within, TimeSpan.FromSeconds(1), "B holds the VIP alone");
    }

    [Fact]
    public void RestartedDaemon_RemovesLeftoverVip_AndDoesNotHoldItUntilItWins()
    {
        using var lab = new VrrpLab();
        lab.StartAppliance('B', Opts(200));
        lab.AssertSoleHolder('B', Within, TimeSpan.Zero, "B (200) is MASTER");
        // A previous run of A was killed and left the VIP configured (what SIGKILL does to keepalived too).
        VrrpLab.Sh("ip", $"-n {lab.A} addr add {VrrpLab.Vip}/24 dev {lab.PubA}");
        var a = lab.StartAppliance('A', Opts(100));
        lab.AssertSoleHolder('B', Within, TimeSpan.FromSeconds(1.5), "restarted A removed its leftover VIP and stays BACKUP");
        Assert.Contains("left on", lab.Logs());
    }
}
