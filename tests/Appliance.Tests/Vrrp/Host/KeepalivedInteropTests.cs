using Xunit;

namespace Appliance.Tests.Vrrp.Host;

/// <summary>
/// The appliance against real keepalived 2.2.7 in network namespaces: roles both ways, v2 and v3, graceful
/// stop both ways, preemption both ways. After every step exactly one node holds the VIP.
/// </summary>
[Trait("Category", "Host")]
public class KeepalivedInteropTests
{
    private static readonly TimeSpan Within = TimeSpan.FromSeconds(15);
    private static readonly TimeSpan Stable = TimeSpan.FromSeconds(1.5);

    // v2 adverts are whole seconds (RFC 3768); v3 runs at the appliance default of 0.1 s.
    public static TheoryData<int, string> Versions => new() { { 2, "1" }, { 3, "0.1" } };

    private static string Opts(int version, string advertInt, int priority, string extra = "") =>
        $"--virtual-router-id 51 --version {version} --advert-int {advertInt} --priority {priority} --virtual-ipaddress {VrrpLab.Vip}/24 {extra}";

    [Theory]
    [MemberData(nameof(Versions))]
    public void ApplianceMaster_KeepalivedBackup_ThenGracefulStop(int version, string advertInt)
    {
        using var lab = new VrrpLab();
        var k = lab.StartKeepalived('B', version, 100, advertInt);
        var a = lab.StartAppliance('A', Opts(version, advertInt, 150));
        lab.AssertSoleHolder('A', Within, Stable, $"v{version}: appliance (150) MASTER, keepalived (100) BACKUP");
        lab.Stop(a);
        lab.AssertSoleHolder('B', Within, Stable, $"v{version}: appliance stopped gracefully, keepalived takes over");
        lab.Stop(k);
        lab.AssertNoHolder(Within, "keepalived stopped too");
    }

    [Theory]
    [MemberData(nameof(Versions))]
    public void KeepalivedMaster_ApplianceBackup_ThenGracefulStop(int version, string advertInt)
    {
        using var lab = new VrrpLab();
        var k = lab.StartKeepalived('B', version, 150, advertInt);
        lab.AssertSoleHolder('B', Within, TimeSpan.Zero, $"v{version}: keepalived alone becomes MASTER");
        var a = lab.StartAppliance('A', Opts(version, advertInt, 100));
        lab.AssertSoleHolder('B', Within, Stable, $"v{version}: appliance (100) stays BACKUP under keepalived (150)");
        lab.Stop(k);
        lab.AssertSoleHolder('A', Within, Stable, $"v{version}: keepalived stopped gracefully, appliance takes over");
        lab.Stop(a);
        lab.AssertNoHolder(Within, "appliance stopped too: VIP released");
    }

    [Theory]
    [MemberData(nameof(Versions))]
    public void AppliancePreemptsLowerKeepalived(int version, string advertInt)
    {
        using var lab = new VrrpLab();
        lab.StartKeepalived('B', version, 100, advertInt);
        lab.AssertSoleHolder('B', Within, TimeSpan.Zero, $"v{version}: keepalived alone is MASTER");
        lab.StartAppliance('A', Opts(version, advertInt, 150));
        lab.AssertSoleHolder('A', Within, Stable, $"v{version}: appliance (150) preempts keepalived (100)");
    }

    [Theory]
    [MemberData(nameof(Versions))]
    public void KeepalivedPreemptsLowerAppliance(int version, string advertInt)
    {
        using var lab = new VrrpLab();
        lab.StartAppliance('A', Opts(version, advertInt, 100));
        lab.AssertSoleHolder('A', Within, TimeSpan.Zero, $"v{version}: appliance alone is MASTER");
        lab.StartKeepalived('B', version, 150, advertInt);
        lab.AssertSoleHolder('B', Within, Stable, $"v{version}: keepalived (150) preempts the appliance (100)");
    }

    [Fact]
    public void NopreemptAppliance_DoesNotTakeBackFromLowerKeepalived()
    {
        using var lab = new VrrpLab();
        lab.StartKeepalived('B', 3, 100, "0.1");
        lab.AssertSoleHolder('B', Within, TimeSpan.Zero, "keepalived alone is MASTER");
        lab.StartAppliance('A', Opts(3, "0.1", 150, "--nopreempt"));
        lab.AssertSoleHolder('B', Within, TimeSpan.FromSeconds(2), "appliance (150, nopreempt) leaves keepalived (100) MASTER");
    }

    [Fact]
    public void V2WithPassAuthentication_Interoperates()
    {
        using var lab = new VrrpLab();
        var k = lab.StartKeepalived('B', 2, 150, "1", "authentication {\n auth_type PASS\n auth_pass labpass1\n }");
        lab.AssertSoleHolder('B', Within, TimeSpan.Zero, "keepalived (PASS) alone is MASTER");
        lab.StartAppliance('A', Opts(2, "1", 100, "--auth-pass labpass1"));
        lab.AssertSoleHolder('B', Within, TimeSpan.FromSeconds(4), "appliance with the same password stays BACKUP");
        lab.Stop(k);
        lab.AssertSoleHolder('A', Within, Stable, "keepalived stopped: appliance takes over");
        Assert.DoesNotContain("labpass1", lab.Logs().Replace("auth_pass labpass1", ""));
    }
}
