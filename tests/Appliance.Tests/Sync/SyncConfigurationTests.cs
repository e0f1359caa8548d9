using System.Net;
using Appliance.Cli;
using Appliance.Sync;
using Xunit;

namespace Appliance.Tests.Sync;

public class SyncConfigurationTests
{
    private static SyncConfiguration Parse(params string[] kv) =>
        SyncConfiguration.FromKeys(kv.Select(s => new KeyValuePair<string, string>(s[..s.IndexOf('=')], s[(s.IndexOf('=') + 1)..])));

    [Fact]
    public void Keys_map_onto_daemons_timeouts_and_overrides()
    {
        var c = Parse("interface=hb0", "syncid=7", "peer_syncid=8", "sync_maxlen=1400", "mcast_group=224.0.0.82", "mcast_port=8850",
            "mcast_ttl=1", "timeout_tcp=30", "timeout_tcpfin=10", "timeout_udp=30", "sync_retries=2", "catchup_max_wait=60", "on_stop=stop");
        Assert.Equal(new SyncDaemonConfig(SyncDaemonKind.Master, "hb0", 7, 1400, IPAddress.Parse("224.0.0.82"), 8850, 1), c.Daemons.Master);
        Assert.Equal(8, c.Daemons.Backup.SyncId);
        Assert.Equal(StopPolicy.StopDaemons, c.Daemons.OnStop);
        Assert.Equal(new IpvsTimeouts(30, 10, 30), c.Timeouts);
        Assert.Equal(7, c.EffectiveRefreshPeriod);
        Assert.Equal("2", c.Sysctls.Single(s => s.Name == "sync_retries").Value);
        Assert.Equal(TimeSpan.FromSeconds(60), c.CatchUp.MaximumWait);
    }

    [Fact]
    public void Peer_syncid_defaults_to_syncid()
    {
        var c = Parse("interface=hb0", "syncid=9");
        Assert.Equal(9, c.Daemons.Backup.SyncId);
        Assert.Equal(9, c.Daemons.Master.SyncId);
    }

    [Theory]
    [InlineData("syncid=3", "interface")]                                 // interface missing
    [InlineData("interface=this-name-is-too-long", "interface")]
    [InlineData("interface=hb0 syncid=256", "syncid")]
    [InlineData("interface=hb0 mcast_group=10.0.0.1", "multicast")]
    [InlineData("interface=hb0 sync_threshold=50 sync_period=50", "threshold")]
    [InlineData("interface=hb0 sync_retries=9", "sync_retries")]
    [InlineData("interface=hb0 colour=blue", "unknown key")]
    [InlineData("interface=hb0 on_stop=maybe", "on_stop")]
    [InlineData("interface=hb0 timeout_tcp=-5", "timeout_tcp")]
    public void Bad_settings_are_refused_with_the_key_named(string words, string expected)
    {
        var e = Assert.Throws<FormatException>(() => Parse(words.Split(' ')));
        Assert.Contains(expected, e.Message);
    }

    [Fact]
    public void Verb_refuses_bad_input_with_usage()
    {
        var err = new StringWriter();
        var verb = new SyncVerb(() => throw new InvalidOperationException("no shell needed"), new Appliance.Core.MonotonicClock());
        Assert.Equal(CommandLine.UsageError, verb.Run(["apply", "interface=hb0"], new VerbContext(new StringWriter(), err)));
        Assert.Contains("--state", err.ToString());
        Assert.Equal(CommandLine.UsageError, verb.Run(["apply", "--state", "boss", "interface=hb0"], new VerbContext(new StringWriter(), err)));
        Assert.Equal(CommandLine.UsageError, verb.Run(["status", "nonsense"], new VerbContext(new StringWriter(), err)));
        Assert.Equal(CommandLine.UsageError, verb.Run(["frobnicate"], new VerbContext(new StringWriter(), err)));
    }
}

public class IpvsSysctlsTests : IDisposable
{
    private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("vs-sysctl");

    public void Dispose() => _dir.Delete(true);

    [Fact]
    public void Reads_normalise_whitespace_and_writes_are_read_back()
    {
        File.WriteAllText(Path.Combine(_dir.FullName, "sync_threshold"), "3\t50\n");
        var s = new IpvsSysctls(_dir.FullName);
        Assert.Equal("3 50", s.Read("sync_threshold"));
        s.Write("sync_threshold", "3 0");
        Assert.Equal("3 0", s.Read("sync_threshold"));
        Assert.Null(s.Read("sync_retries"));
    }

    [Fact]
    public void A_missing_namespace_directory_is_named_in_the_error()
    {
        var s = new IpvsSysctls(Path.Combine(_dir.FullName, "absent"));
        var e = Assert.Throws<IOException>(() => s.Write("sync_retries", "1"));
        Assert.Contains("ip_vs not loaded", e.Message);
        Assert.Single(s.Apply([new SysctlSetting("sync_retries", "1", SysctlSource.Derived, "")]));
    }

    [Fact]
    public void Conn_sync_reader_names_the_file_it_cannot_read()
    {
        var e = Assert.Throws<IOException>(() => new ConnSyncReader(Path.Combine(_dir.FullName, "ip_vs_conn_sync")).Read());
        Assert.Contains("ip_vs_conn_sync", e.Message);
        File.WriteAllText(Path.Combine(_dir.FullName, "t"), "Pro FromIP\nTCP 0A000302 C350 C0A80A64 0050 0A000102 0050 ESTABLISHED SYNC 27\n");
        Assert.Equal(1, new ConnSyncReader(Path.Combine(_dir.FullName, "t")).Read().Synced);
    }
}

public class SyncConfigurationFromModelTests
{
    private static string Factory([System.Runtime.CompilerServices.CallerFilePath] string here = "") =>
        File.ReadAllText(Path.Combine(Path.GetDirectoryName(here)!, "..", "..", "..", "rootfs", "etc", "appliance", "factory.ini"));

    /// <summary>The factory file with the [sync] section's "enabled = yes" line replaced.</summary>
    private static string WithSync(string lines)
    {
        var text = Factory();
        var section = text.IndexOf("\n[sync]", StringComparison.Ordinal);
        var enabled = text.IndexOf("enabled = yes", section, StringComparison.Ordinal);
        Assert.True(section > 0 && enabled > section, "factory.ini has no [sync] enabled = yes");
        return text[..enabled] + lines + text[(enabled + "enabled = yes".Length)..];
    }

    private static Appliance.Config.ApplianceConfig Load(string text)
    {
        var r = Appliance.Config.ConfigLoader.Parse(text, "test.ini");
        Assert.True(r.IsValid, string.Join("\n", r.Errors));
        return r.Config!;
    }

    [Fact]
    public void Disabled_sync_yields_no_configuration()
    {
        Assert.Null(SyncConfiguration.FromConfig(Load(WithSync("enabled = no"))));
    }

    [Fact]
    public void Factory_configuration_syncs_on_the_heartbeat_nic_with_the_vrid_as_syncid()
    {
        var c = SyncConfiguration.FromConfig(Load(Factory()))!;
        Assert.Equal("eth1", c.Daemons.Interface);
        Assert.Equal(51, c.Daemons.SyncId);
        Assert.Equal(51, c.Daemons.PeerSyncId);
        Assert.Equal(StopPolicy.KeepRunning, c.Daemons.OnStop);
        var t = c.Timeouts.Effective;
        Assert.Equal(SyncSysctlDerivation.DerivedRefreshPeriod(c.Timeouts), c.EffectiveRefreshPeriod);
        Assert.Equal(Math.Max(1, Math.Min(t.Tcp, t.Udp) / 4).ToString(), c.Sysctls.Single(s => s.Name == "sync_refresh_period").Value);
    }

    [Fact]
    public void Sync_section_values_override_the_derivation()
    {
        var c = SyncConfiguration.FromConfig(Load(WithSync(
            "enabled = yes\nsyncid = 7\npeer_syncid = 8\nsync_refresh_period = 10\nsync_period = 0\nsync_retries = 2\non_stop = stop\ncatchup_max_wait = 120")))!;
        Assert.Equal((7, 8), ((int)c.Daemons.SyncId, (int)c.Daemons.PeerSyncId));
        Assert.Equal(("10", SysctlSource.Override), (c.Sysctls.Single(s => s.Name == "sync_refresh_period").Value, c.Sysctls.Single(s => s.Name == "sync_refresh_period").Source));
        Assert.Equal("2", c.Sysctls.Single(s => s.Name == "sync_retries").Value);
        Assert.Equal(StopPolicy.StopDaemons, c.Daemons.OnStop);
        Assert.Equal(TimeSpan.FromSeconds(120), c.CatchUp.MaximumWait);
    }
}
