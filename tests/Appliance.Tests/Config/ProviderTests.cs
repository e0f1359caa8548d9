using Appliance.Config.Ini;
using Microsoft.Extensions.Configuration;
using Xunit;

namespace Appliance.Tests.Config;

public class ProviderTests
{
    private const string Text = "[global]\nnode_name = a\n\n[vrrp_instance VI_1]\npriority = 100\nvirtual_ipaddress = 192.0.2.1/24, 192.0.2.2/24\n[real_server web1]\n";

    [Fact]
    public void Keys_are_type_name_key_paths()
    {
        var root = new ConfigurationBuilder().AddApplianceIni(IniParser.Parse(Text, "t.ini")).Build();
        Assert.Equal("a", root["global:node_name"]);
        Assert.Equal("100", root["vrrp_instance:VI_1:priority"]);
        Assert.Equal("100", root["VRRP_INSTANCE:vi_1:PRIORITY"]);
        Assert.Equal("192.0.2.1/24, 192.0.2.2/24", root["vrrp_instance:VI_1:virtual_ipaddress"]);
        Assert.Equal(["VI_1"], root.GetSection("vrrp_instance").GetChildren().Select(c => c.Key));
    }

    [Fact]
    public void An_empty_section_still_shows_up()
    {
        var root = new ConfigurationBuilder().AddApplianceIni(IniParser.Parse(Text, "t.ini")).Build();
        Assert.Equal(["web1"], root.GetSection("real_server").GetChildren().Select(c => c.Key));
    }

    [Fact]
    public void Locations_of_keys_and_sections_are_kept()
    {
        var root = new ConfigurationBuilder().AddApplianceIni(IniParser.Parse(Text, "t.ini")).Build();
        Assert.True(root.TryGetIniLocation("vrrp_instance:VI_1:priority", out var file, out var line));
        Assert.Equal(("t.ini", 5), (file, line));
        Assert.True(root.TryGetIniLocation("vrrp_instance:VI_1", out _, out line));
        Assert.Equal(4, line);
        Assert.False(root.TryGetIniLocation("vrrp_instance:VI_1:nothing", out _, out _));
    }

    [Fact]
    public void File_source_reads_the_file_and_throws_every_syntax_error()
    {
        var path = Path.Combine(Path.GetTempPath(), $"appliance-provider-{Guid.NewGuid():N}.ini");
        try
        {
            File.WriteAllText(path, "[global]\nnode_name = a\n");
            var root = new ConfigurationBuilder().AddApplianceIni(path).Build();
            Assert.Equal("a", root["global:node_name"]);

            File.WriteAllText(path, "[global]\nbroken\nk = 1\nk = 2\n");
            var e = Assert.Throws<IniFormatException>(() => new ConfigurationBuilder().AddApplianceIni(path).Build());
            Assert.Equal([2, 4], e.Errors.Select(x => x.Line));
            Assert.Contains($"{path}:2:", e.Message);
            Assert.Contains($"{path}:4:", e.Message);
        }
        finally { File.Delete(path); }
    }

    [Fact]
    public void Later_source_wins_and_its_location_is_reported()
    {
        var root = new ConfigurationBuilder()
            .AddApplianceIni(IniParser.Parse("[global]\nnode_name = a\n", "base.ini"))
            .AddApplianceIni(IniParser.Parse("\n\n[global]\nnode_name = b\n", "override.ini"))
            .Build();
        Assert.Equal("b", root["global:node_name"]);
        Assert.True(root.TryGetIniLocation("global:node_name", out var file, out var line));
        Assert.Equal(("override.ini", 4), (file, line));
    }
}
