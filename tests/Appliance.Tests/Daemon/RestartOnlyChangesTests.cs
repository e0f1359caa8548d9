using Appliance.Daemon;
using Appliance.Tests.Config;
using Xunit;

namespace Appliance.Tests.Daemon;

public class RestartOnlyChangesTests
{
    private static IReadOnlyList<string> Between(string next) =>
        RestartOnlyChanges.Between(ConfigText.Valid_(ConfigText.Valid), ConfigText.Valid_(next));

    [Fact]
    public void What_a_reload_applies_live_is_not_listed()
    {
        Assert.Empty(Between(ConfigText.Valid));
        Assert.Empty(Between(ConfigText.Valid.Replace("port = 80\n        check = HTTP_GET", "port = 8080\n        check = HTTP_GET")));
        Assert.Empty(Between(ConfigText.Valid.Replace("node_id = 1\n", "node_id = 1\nlog_level = debug\n")));
    }

    [Fact]
    public void Vrrp_keys_are_named_per_instance()
    {
        var changes = Between(ConfigText.Valid
            .Replace("priority = 150", "priority = 100")
            .Replace("virtual_ipaddress = 192.0.2.10/24, 198.51.100.1/24 dev eth0", "virtual_ipaddress = 192.0.2.10/24"));
        Assert.Equal(["[vrrp_instance VI_1] priority, virtual_ipaddress"], changes);
    }

    [Fact]
    public void Instances_added_and_removed_and_global_keys_are_named()
    {
        var renamed = Between(ConfigText.Valid.Replace("[vrrp_instance VI_1]", "[vrrp_instance VI_2]").Replace("node_id = 1", "node_id = 2"));
        Assert.Equal(["[global] node_id", "[vrrp_instance VI_1] removed", "[vrrp_instance VI_2] added"], renamed);
    }

    [Fact]
    public void A_changed_heartbeat_key_names_the_section_and_never_the_key()
    {
        var changes = Between(ConfigText.Valid.Replace("key = 0123456789abcdef0123", "key = fedcba9876543210fedc"));
        Assert.Equal(["[serial_heartbeat]"], changes);
        Assert.DoesNotContain("fedcba", string.Join(" ", changes));
    }
}
