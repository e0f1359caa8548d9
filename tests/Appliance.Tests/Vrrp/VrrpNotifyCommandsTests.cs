using Appliance.Vrrp;
using Xunit;

namespace Appliance.Tests.Vrrp;

public class VrrpNotifyCommandsTests
{
    private static VrrpInstanceConfig Config(string? notify = null, string? master = null) => new()
    {
        Name = "VI_1", VirtualRouterId = 51, Priority = 150, VirtualAddresses = [VirtualAddress.Parse("192.0.2.1/24")],
        Notify = notify, NotifyMaster = master,
    };

    [Fact]
    public void Commands_FollowKeepalived_SpecificThenGenericWithInstanceNameStatePriority()
    {
        var cmds = VrrpNotifyCommands.For(Config("/usr/bin/n 'a b'", "/usr/bin/m --up"), VrrpState.Master, false, 150);
        Assert.Equal(["/usr/bin/m", "--up"], cmds[0]);
        Assert.Equal(["/usr/bin/n", "a b", "INSTANCE", "VI_1", "MASTER", "150"], cmds[1]);
        Assert.Equal("STOP", VrrpNotifyCommands.For(Config("/n"), VrrpState.Initialize, true, 0)[0][3]);
        Assert.Equal("FAULT", VrrpNotifyCommands.For(Config("/n"), VrrpState.Fault, false, 0)[0][3]);
        Assert.Empty(VrrpNotifyCommands.For(Config(), VrrpState.Backup, false, 150));
    }
}
