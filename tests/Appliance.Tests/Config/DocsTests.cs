using System.Text.RegularExpressions;
using Appliance.Config;
using Xunit;

namespace Appliance.Tests.Config;

/// <summary>docs/configuration.md and the factory default stay true to the code and to each other.</summary>
public class DocsTests
{
    public static string RepoRoot { get; } = FindRoot();

    public static string FactoryPath => Path.Combine(RepoRoot, "rootfs", "etc", "appliance", "factory.ini");

    private static string DocPath => Path.Combine(RepoRoot, "docs", "configuration.md");

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "rootfs", "etc", "appliance", "factory.ini"))) return dir.FullName;
        throw new InvalidOperationException($"no rootfs/etc/appliance/factory.ini above {AppContext.BaseDirectory}");
    }

    /// <summary>The fenced ini block under the "Complete example" heading.</summary>
    internal static string ExampleBlock(string markdown)
    {
        var heading = markdown.IndexOf("\n## Complete example", StringComparison.Ordinal);
        Assert.True(heading >= 0, "docs/configuration.md has no '## Complete example' section");
        var open = markdown.IndexOf("\n```ini\n", heading, StringComparison.Ordinal);
        Assert.True(open >= 0, "no ```ini block after '## Complete example'");
        var start = open + "\n```ini\n".Length;
        var close = markdown.IndexOf("\n```\n", start - 1, StringComparison.Ordinal);
        Assert.True(close >= 0, "the ```ini block is not closed");
        return markdown[start..(close + 1)];
    }

    [Fact]
    public void Documented_example_is_identical_to_the_factory_default()
    {
        var example = ExampleBlock(File.ReadAllText(DocPath));
        var factory = File.ReadAllText(FactoryPath);
        Assert.Equal(factory, example);
    }

    [Fact]
    public void Example_extraction_notices_a_difference()
    {
        var doc = "x\n## Complete example\n\n```ini\n[global]\nnode_id = 1\n```\n";
        Assert.Equal("[global]\nnode_id = 1\n", ExampleBlock(doc));
        Assert.NotEqual("[global]\nnode_id = 2\n", ExampleBlock(doc));
    }

    [Fact]
    public void Factory_default_validates()
    {
        var r = ConfigLoader.Load(FactoryPath);
        Assert.True(r.Errors.Count == 0, string.Join("\n", r.Errors));
        var c = r.Config!;
        Assert.Equal(("eth0", "eth1"), (c.Global.PublicInterface, c.Global.HeartbeatInterface));
        Assert.Equal("VI_1", Assert.Single(c.VrrpInstances).Name);
        var vs = Assert.Single(c.VirtualServers);
        Assert.Equal(2, vs.RealServers.Count);
        Assert.All(vs.RealServers, r => Assert.Equal(HealthCheckKind.HttpGet, r.Check.Kind));
        Assert.Equal("/dev/ttyS1", c.SerialHeartbeat.Device);
        Assert.Equal(ConfigLoader.DefaultPath, "/boot/appliance.ini");
    }

    [Fact]
    public void Every_key_and_section_is_documented()
    {
        var doc = File.ReadAllText(DocPath);
        var missing = new List<string>();
        foreach (var type in Schema.AllTypes)
        {
            if (!Regex.IsMatch(doc, $@"^### `\[{type}[\] ]", RegexOptions.Multiline)) missing.Add($"section [{type}]");
            foreach (var key in Schema.KeysOf(type))
                if (!doc.Contains($"| `{key}` |")) missing.Add($"{type}.{key}");
        }
        foreach (var (alias, _) in Schema.Aliases)
            if (!doc.Contains($"`{alias}`")) missing.Add($"alias {alias}");
        Assert.True(missing.Count == 0, "not in docs/configuration.md: " + string.Join(", ", missing));
    }

    [Fact]
    public void Documented_check_config_output_is_what_the_loader_reports()
    {
        var doc = File.ReadAllText(DocPath);
        var start = doc.IndexOf("$ appliance check-config /boot/appliance.ini\n", StringComparison.Ordinal);
        Assert.True(start >= 0, "no check-config example in docs/configuration.md");
        var lines = doc[start..doc.IndexOf("$ echo $?", start, StringComparison.Ordinal)].Split('\n', StringSplitOptions.RemoveEmptyEntries)[1..];
        var text = File.ReadAllText(Path.Combine(RepoRoot, "tests", "Appliance.Tests", "Config", "examples", "five-mistakes.ini"));
        var r = ConfigLoader.Parse(text, "/boot/appliance.ini");
        Assert.Equal(r.Errors.Select(e => e.ToString()).Append("/boot/appliance.ini: 5 errors; configuration not valid"), lines);
    }
}
