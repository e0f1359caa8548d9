using Appliance.Sync;
using Xunit;

namespace Appliance.Tests.Sync;

public class SyncSysctlDerivationTests
{
    private static Dictionary<string, SysctlSetting> Derive(IpvsTimeouts t, SyncSysctlOverrides? o = null) =>
        SyncSysctlDerivation.Derive(t, o ?? SyncSysctlOverrides.None).ToDictionary(s => s.Name);

    // tcp, tcpfin, udp -> refresh: 1/4 of min(tcp, udp), whole seconds, at least 1; tcpfin never counts.
    [Theory]
    [InlineData(0, 0, 0, 75)]        // kernel defaults 900/120/300: udp 300 is the smallest
    [InlineData(900, 120, 300, 75)]
    [InlineData(900, 120, 900, 225)]
    [InlineData(30, 10, 30, 7)]      // the issue's ipvsadm --set 30 10 30
    [InlineData(12, 10, 12, 3)]      // the lab's short variant
    [InlineData(5, 10, 300, 1)]      // seed 002's ipvsadm --set 5 10 300
    [InlineData(2, 1, 2, 1)]         // never 0: 0 would switch refresh off
    [InlineData(3600, 5, 3600, 900)]
    public void Refresh_period_is_a_quarter_of_the_smallest_tcp_or_udp_timeout(int tcp, int fin, int udp, int refresh)
    {
        var s = Derive(new IpvsTimeouts(tcp, fin, udp));
        Assert.Equal(refresh.ToString(), s["sync_refresh_period"].Value);
        Assert.Equal(SysctlSource.Derived, s["sync_refresh_period"].Source);
        Assert.Equal("3 0", s["sync_threshold"].Value);
        Assert.Equal("1", s["sync_retries"].Value);
        Assert.Equal("1", s["sync_version"].Value);
        Assert.Equal("0", s["sync_persist_mode"].Value);
        Assert.Equal("0", s["backup_only"].Value);
        Assert.False(s.ContainsKey("sync_ports"));      // left at the kernel's value unless set
        Assert.False(s.ContainsKey("sync_sock_size"));
        Assert.False(s.ContainsKey("sync_qlen_max"));
    }

    [Theory]
    [InlineData(12)]
    [InlineData(30)]
    [InlineData(60)]
    [InlineData(300)]
    [InlineData(900)]
    [InlineData(7200)]
    public void Derived_refresh_keeps_a_flow_alive_that_sends_every_three_quarters_of_the_timeout_less_the_flush(int timeout)
    {
        var refresh = SyncSysctlDerivation.DerivedRefreshPeriod(new IpvsTimeouts(timeout, 10, timeout));
        var keepalive = timeout * 3 / 4 - SyncSysctlDerivation.MasterFlushDelaySeconds - 1;
        Assert.True(SyncSysctlDerivation.WorstCaseMargin(timeout, refresh, keepalive) > 0,
            $"timeout {timeout} s, refresh {refresh} s, keepalive {keepalive} s: the backup copy may expire");
        // With the kernel's defaults (refresh 0, period 50) the same flow is never refreshed.
        Assert.True(SyncSysctlDerivation.WorstCaseMargin(timeout, 0, keepalive) < 0);
    }

    [Fact]
    public void The_issue_measurement_refresh_10_against_30_s_had_a_thin_margin_the_derived_value_widens()
    {
        // refresh 10 with a 10 s keepalive: a packet landing just before the 10 s boundary is not
        // resent, the next one 10 s later is: up to 20 s + flush, 7 s left of 30.
        Assert.Equal(7, SyncSysctlDerivation.WorstCaseMargin(30, 10, 10));
        Assert.Equal(10, SyncSysctlDerivation.WorstCaseMargin(30, 7, 10));
        // The lab's short form keeps the same shape: --set 12, keepalive 4 s.
        Assert.True(SyncSysctlDerivation.WorstCaseMargin(12, 3, 4) > 0);
    }

    [Fact]
    public void Kernel_caps_the_effective_refresh_at_half_the_timeout_but_not_below_10_s()
    {
        // min(refresh, max(timeout/2, 10 s)), ip_vs_sync_conn_needed
        Assert.Equal(30 - (15 + 5 + 3), SyncSysctlDerivation.WorstCaseMargin(30, 100, 5));
        Assert.Equal(12 - (10 + 1 + 3), SyncSysctlDerivation.WorstCaseMargin(12, 100, 1));
    }

    [Fact]
    public void Every_value_is_overridable_and_marked_as_such()
    {
        var s = Derive(new IpvsTimeouts(30, 10, 30), new SyncSysctlOverrides
        {
            SyncThreshold = 3, SyncPeriod = 50, SyncRefreshPeriod = 10, SyncRetries = 3, SyncVersion = 0, SyncPersistMode = 1,
            SyncPorts = 4, SyncSockSize = 1 << 20, SyncQlenMax = 4096,
        });
        Assert.Equal(("3 50", SysctlSource.Override), (s["sync_threshold"].Value, s["sync_threshold"].Source));
        Assert.Equal(("10", SysctlSource.Override), (s["sync_refresh_period"].Value, s["sync_refresh_period"].Source));
        Assert.Equal("3", s["sync_retries"].Value);
        Assert.Equal("0", s["sync_version"].Value);
        Assert.Equal("1", s["sync_persist_mode"].Value);
        Assert.Equal("4", s["sync_ports"].Value);
        Assert.Equal("1048576", s["sync_sock_size"].Value);
        Assert.Equal("4096", s["sync_qlen_max"].Value);
        Assert.Contains("not refreshed", s["sync_threshold"].Why);
    }

    [Theory]
    [InlineData(50, 50)]   // threshold must be below the period
    [InlineData(-1, 0)]
    public void Threshold_the_kernel_would_refuse_is_refused(int threshold, int period) =>
        Assert.Throws<ArgumentException>(() => Derive(default, new SyncSysctlOverrides { SyncThreshold = threshold, SyncPeriod = period }));

    [Theory]
    [InlineData(3)]
    [InlineData(0)]
    [InlineData(128)]
    public void Sync_ports_must_be_a_power_of_two_up_to_64(int ports) =>
        Assert.Throws<ArgumentException>(() => Derive(default, new SyncSysctlOverrides { SyncPorts = ports }));

    [Fact]
    public void Retries_outside_0_to_3_are_refused() =>
        Assert.Throws<ArgumentException>(() => Derive(default, new SyncSysctlOverrides { SyncRetries = 4 }));
}
