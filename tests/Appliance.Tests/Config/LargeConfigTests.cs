using Appliance.Config;
using Appliance.Config.Ini;
using Microsoft.Extensions.Configuration;
using Xunit;

namespace Appliance.Tests.Config;

/// <summary>
/// A director with 1,000 services of 10 real servers (11,000 sections) must load in well under a
/// second. Timing is a benchmark (docs/benchmarks.md), not a test; these tests check that the
/// result is right and that the work grows linearly with the file.
/// </summary>
public class LargeConfigTests
{
    private const int Services = 1000, Reals = 10;

    [Fact]
    public void Thousand_services_of_ten_real_servers_load_valid()
    {
        var text = LargeConfig.Text(Services, Reals);
        var path = Path.Combine(Path.GetTempPath(), $"large-{Environment.ProcessId}.ini");
        File.WriteAllText(path, text);
        try
        {
            Assert.True(new FileInfo(path).Length < IniParser.MaxFileBytes, $"generated file is {new FileInfo(path).Length} bytes");
            // `make` + `time out/bin/appliance check-config FILE` on this file is the benchmark.
            if (Environment.GetEnvironmentVariable("APPLIANCE_LARGE_CONFIG_OUT") is { Length: > 0 } copy)
            {
                File.Copy(path, copy, true);
                File.WriteAllText(copy + ".keepalived.conf", LargeConfig.KeepalivedText(Services, Reals));
            }
            var r = ConfigLoader.Load(path);
            Assert.True(r.Errors.Count == 0, "expected no errors, got:\n" + string.Join("\n", r.Errors.Take(20)));
            var config = r.Config!;
            Assert.Equal(Services, config.VirtualServers.Count);
            Assert.Equal(Services / 2 / LargeConfig.VipsPerInstance, config.VrrpInstances.Count);
            for (var i = 0; i < Services; i++)
            {
                var vs = config.VirtualServers[i];
                Assert.Equal(LargeConfig.ServiceName(i), vs.Name);
                Assert.Equal(LargeConfig.Vip(i / 2), vs.Address!.ToString());
                Assert.Equal(Reals, vs.RealServers.Count);
                for (var j = 0; j < Reals; j++)
                {
                    Assert.Equal(LargeConfig.RealName(i, j), vs.RealServers[j].Name);
                    Assert.Equal(LargeConfig.RealAddress(i * Reals + j), vs.RealServers[j].Address.ToString());
                }
            }
            Assert.Equal(Services * Reals, config.VirtualServers.SelectMany(v => v.RealServers).Select(rs => rs.Address).Distinct().Count());
        }
        finally { File.Delete(path); }
    }

    [Fact]
    public void Walking_the_sections_touches_each_key_a_bounded_number_of_times()
    {
        var document = IniParser.Parse(LargeConfig.Text(Services, Reals), "large.ini");
        Assert.Empty(document.Errors);
        var root = new ConfigurationBuilder().AddApplianceIni(document).Build();
        var builder = new ConfigModelBuilder(root, document.File);
        Assert.NotNull(builder.Build());
        Assert.Empty(builder.Errors);
        var provider = Assert.IsType<ApplianceIniConfigurationProvider>(Assert.Single(root.Providers));
        // Section keys plus their entries: the size of the tree.
        var keys = document.Sections.Sum(s => 1 + s.Entries.Count);
        // The root, each type and each section are asked for their children once, so every key is
        // handed out at most three times. Re-listing a type per section (the quadratic walk) would
        // hand out the 10,000 real servers 10,000 times.
        Assert.True(provider.ChildKeysReturned > 0, "the builder no longer walks the configuration tree");
        Assert.True(provider.ChildKeysReturned <= 3L * keys, $"{provider.ChildKeysReturned} child keys handed out for {keys} keys");
    }

    [Fact]
    public void Child_keys_are_those_of_the_stock_provider()
    {
        // Odd shapes on purpose: a [type] key colliding with a [type name] section, mixed case,
        // an empty segment and a key starting with the delimiter.
        var data = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase)
        {
            ["global"] = null, ["global:node_name"] = "a", ["global:B"] = "b",
            ["virtual_server"] = null, ["virtual_server:web"] = "collides", ["virtual_server:Web2"] = null,
            ["virtual_server:web2:port"] = "80", ["virtual_server:web2:address"] = "192.0.2.1",
            ["real_server:10"] = null, ["real_server:9"] = null, ["real_server:9:weight"] = "1",
            ["x::y"] = "1", [":lead"] = "1",
        };
        var stock = new StockProvider(data);
        var ours = new ApplianceIniConfigurationProvider(() => new IniDocument("t.ini", [], []));
        ours.Load();
        foreach (var (k, v) in data) ours.Set(k, v);
        string?[] parents = [null, "", "global", "GLOBAL", "virtual_server", "VIRTUAL_SERVER:WEB2", "virtual_server:web", "real_server", "real_server:9", "x", "x:", "nothing", "glob"];
        foreach (var parent in parents)
            foreach (string[] earlier in new[] { Array.Empty<string>(), ["zz", "a"] })
                Assert.Equal(stock.GetChildKeys(earlier, parent), ours.GetChildKeys(earlier, parent));
        // The index follows later changes.
        ours.Set("global:zz", "1");
        stock.Set("global:zz", "1");
        Assert.Equal(stock.GetChildKeys([], "global"), ours.GetChildKeys([], "global"));
    }

    /// <summary>The base class's own GetChildKeys, which scans every key.</summary>
    private sealed class StockProvider : ConfigurationProvider
    {
        public StockProvider(Dictionary<string, string?> data) => Data = new Dictionary<string, string?>(data, StringComparer.OrdinalIgnoreCase);
    }

    [Fact]
    public void Every_error_in_eleven_thousand_sections_is_listed_with_its_line()
    {
        var text = LargeConfig.Text(Services, Reals);
        // Four mistakes far apart: a bad weight, a misspelt key, a real server of a service that
        // does not exist, and one real server address used twice in a service.
        text = text.Replace($"[real_server {LargeConfig.RealName(3, 4)}]\nvirtual_server = {LargeConfig.ServiceName(3)}\naddress = {LargeConfig.RealAddress(34)}\nweight = 1\n",
                            $"[real_server {LargeConfig.RealName(3, 4)}]\nvirtual_server = {LargeConfig.ServiceName(3)}\naddress = {LargeConfig.RealAddress(34)}\nweight = heavy\n");
        text = text.Replace($"[virtual_server {LargeConfig.ServiceName(500)}]\naddress = {LargeConfig.Vip(250)}\nport = 80\nlb_algo = wlc\n",
                            $"[virtual_server {LargeConfig.ServiceName(500)}]\naddress = {LargeConfig.Vip(250)}\nport = 80\nlb_algoo = wlc\n");
        text = text.Replace($"[real_server {LargeConfig.RealName(777, 7)}]\nvirtual_server = {LargeConfig.ServiceName(777)}\n",
                            $"[real_server {LargeConfig.RealName(777, 7)}]\nvirtual_server = s7777\n");
        text = text.Replace($"address = {LargeConfig.RealAddress(9999)}\n", $"address = {LargeConfig.RealAddress(9998)}\n");
        var r = ConfigLoader.Parse(text, "large.ini");
        Assert.Null(r.Config);
        var expected = new[]
        {
            (ConfigText.LineOf(text, "weight = heavy"), "weight: "),
            (ConfigText.LineOf(text, "lb_algoo = wlc"), $"unknown key 'lb_algoo' in [virtual_server {LargeConfig.ServiceName(500)}]; did you mean 'lb_algo'?"),
            (ConfigText.LineOf(text, "virtual_server = s7777"), "virtual_server: there is no [virtual_server s7777]"),
            (ConfigText.LastLineOf(text, $"address = {LargeConfig.RealAddress(9998)}"), $"is already [real_server {LargeConfig.RealName(999, 8)}] of this virtual server"),
        };
        Assert.True(r.Errors.Count == expected.Length, "got:\n" + string.Join("\n", r.Errors));
        for (var i = 0; i < expected.Length; i++)
        {
            Assert.Equal("large.ini", r.Errors[i].File);
            Assert.Equal(expected[i].Item1, r.Errors[i].Line);
            Assert.Contains(expected[i].Item2, r.Errors[i].Message);
            Assert.StartsWith($"large.ini:{expected[i].Item1}: ", r.Errors[i].ToString());
        }
    }
}
