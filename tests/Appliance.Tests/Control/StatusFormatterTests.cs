using System.Net;
using Appliance.Control;
using Appliance.Daemon;
using Appliance.Health;
using Appliance.Sync;
using Appliance.Vrrp;
using Xunit;

namespace Appliance.Tests.Control;

public sealed class StatusFormatterTests
{
    private static readonly TimeSpan Now = TimeSpan.FromSeconds(500);
    private static readonly VirtualServerKey Web = VirtualServerKey.Tcp(IPEndPoint.Parse("192.0.2.10:80"));

    private static VrrpInstanceSnapshot Instance(VrrpState state, IPAddress? master = null, byte? masterPriority = null) => new(
        "VI_1", 51, VrrpVersion.V3, "eth1", "eth0", state, 150, TimeSpan.FromMilliseconds(100), IPAddress.Parse("10.0.0.1"),
        master, masterPriority, Now - TimeSpan.FromSeconds(42), "master down timer expired", false, "192.0.2.10/24", 420, 3, 3, 2, 0, "BadTtl 2");

    private static RealServerStatus Server(string address, bool up, long ok, long failed, string last) => new(
        new RealServerKey(Web, IPEndPoint.Parse(address)), up, true, Now - TimeSpan.FromSeconds(12.3), up ? 0 : 2, 0, ok, failed,
        up ? CheckResult.Ok(last, TimeSpan.FromMilliseconds(1)) : CheckResult.Failed(last, TimeSpan.FromMilliseconds(12)), 1, up, Now + TimeSpan.FromSeconds(1));

    private static HealthReport Report(int down) =>
        new(Now, [Server("10.0.0.11:80", true, 30, 0, "HTTP 200 from 10.0.0.11:80 after 1 ms"),
                 .. Enumerable.Range(0, down).Select(i => Server($"10.0.1.{i + 1}:80", false, 5, 2, $"HTTP 503 from 10.0.1.{i + 1}:80 after 12 ms"))],
            new HealthTable([new ServiceHealth(Web, true, [])]));

    private static DirectorStatus Status(VrrpView? vrrp = null, HealthView? health = null, IReadOnlyList<StatusSection>? sections = null,
        WatchdogPartStatus? watchdog = null, SyncView? sync = null) => new(
        "director-a", 1, DirectorRole.Master, Now, TimeSpan.FromSeconds(90),
        vrrp ?? new VrrpView([Instance(VrrpState.Master)], null),
        sections ?? [],
        new IpvsPartStatus(1, 2, 1, 7, "1 change(s) planned, 1 applied, 0 refused in 0.3 ms", null),
        health ?? new HealthView(Report(1), null),
        sync ?? new SyncView(false, DirectorRole.Master, false, null),
        watchdog ?? new WatchdogPartStatus(false, null, null, 0, 0, 0, "disabled in [watchdog]", []),
        new ConfigStatus("/boot/appliance.ini", 2, 1, "/boot/appliance.ini:12: priority: 0 is out of range 1-254", ["[vrrp_instance VI_1] priority", "[serial_heartbeat]"]),
        "3 connections, 3 answered, 0 bad requests, 0 refused busy, 0 timed out, 0 failed");

    [Fact]
    public void The_status_names_every_subsystem_in_order()
    {
        var text = StatusFormatter.Status(Status());
        var expected = new[]
        {
            "director-a (node_id 1): MASTER, daemon up 1m30s",
            "vrrp:",
            "  VI_1: vrid 51 v3 on eth1, MASTER for 42.0s, priority 150, master 10.0.0.1 (this node)",
            "    VIPs 192.0.2.10/24 on eth0; advert_int 0.1 s",
            "    adverts sent 420 (send errors 0), received 3, accepted 3, dropped 2 (BadTtl 2)",
            "    last change: master down timer expired",
            "arbiter: not running (peer_type = keepalived, or no vrrp_instance)",
            "peer link: not running (peer_type = keepalived, or no vrrp_instance)",
            "ipvs: 1 virtual service(s), 2 real server(s) configured, 1 in the desired table",
            "  7 reconciliation(s); last: 1 change(s) planned, 1 applied, 0 refused in 0.3 ms",
            "health: 2 real servers: 1 up, 1 down",
            "  DOWN 10.0.1.1:80 in TCP 192.0.2.10:80 for 12.3s: HTTP 503 from 10.0.1.1:80 after 12 ms",
            "sync: disabled ([sync] enabled = no)",
            "watchdog: disabled in [watchdog]",
            "config: /boot/appliance.ini; 2 reload(s) accepted, 1 rejected; last rejection: /boot/appliance.ini:12: priority: 0 is out of range 1-254",
            "  changed in the file, applied only after a restart: [vrrp_instance VI_1] priority; [serial_heartbeat]",
            "control: 3 connections, 3 answered, 0 bad requests, 0 refused busy, 0 timed out, 0 failed",
        };
        Assert.Equal(string.Join('\n', expected) + "\n", text);
    }

    [Fact]
    public void A_backup_names_the_master_it_hears_and_an_unheard_one_is_unknown()
    {
        var backup = StatusFormatter.Vrrp(new VrrpView([Instance(VrrpState.Backup, IPAddress.Parse("10.0.0.2"), 200)], null), Now);
        Assert.StartsWith("VI_1: vrid 51 v3 on eth1, BACKUP for 42.0s, priority 150, master 10.0.0.2 (priority 200)\n", backup);
        var fault = StatusFormatter.Vrrp(new VrrpView([Instance(VrrpState.Fault)], null), Now);
        Assert.Contains("FAULT for 42.0s, priority 150, master unknown", fault);
    }

    [Fact]
    public void Missing_answers_are_shown_with_their_reason()
    {
        var text = StatusFormatter.Status(Status(
            vrrp: new VrrpView(null, "not started: eth1 has no IPv4 address (retried every second)"),
            health: new HealthView(null, "the health checker did not answer within 2 s")));
        Assert.Contains("vrrp: not started: eth1 has no IPv4 address (retried every second)\n", text);
        Assert.Contains("health: the health checker did not answer within 2 s\n", text);
    }

    [Fact]
    public void Contributed_sections_replace_the_not_wired_line()
    {
        var text = StatusFormatter.Status(Status(sections: [new StatusSection("arbiter", ["last decision: hold (peer alive on serial)"]), new StatusSection("peer link", [])]));
        Assert.Contains("arbiter:\n  last decision: hold (peer alive on serial)\n", text);
        Assert.Contains("peer link: nothing to report\n", text);
        Assert.DoesNotContain("not wired", text);
    }

    [Fact]
    public void The_down_list_is_capped_and_points_to_appliance_health()
    {
        var text = StatusFormatter.Status(Status(health: new HealthView(Report(25), null)));
        Assert.Contains("health: 26 real servers: 1 up, 25 down\n", text);
        Assert.Equal(StatusFormatter.DownListed, text.Split('\n').Count(l => l.StartsWith("  DOWN ", StringComparison.Ordinal)));
        Assert.Contains("  ... and 5 more down (appliance health)\n", text);
    }

    [Fact]
    public void An_armed_watchdog_that_withholds_feeding_says_why()
    {
        var text = StatusFormatter.Status(Status(watchdog: new WatchdogPartStatus(true, "/dev/watchdog", "i6300ESB timer", 2, 40, 3,
            "vrrp made no progress for 1500 ms (bound 1000 ms)", ["daemon 10 ms ago (bound 1000 ms)", "vrrp 1500 ms ago (bound 1000 ms)"])));
        Assert.Contains("watchdog: armed /dev/watchdog (i6300ESB timer), timeout 2 s, 40 feeds, 3 withheld\n  NOT FEEDING: vrrp made no progress for 1500 ms (bound 1000 ms)\n  loop daemon 10 ms ago", text);
    }

    [Fact]
    public void Sync_shows_the_role_the_retry_and_the_kernel_view_indented_in_the_status()
    {
        var view = new SyncView(true, DirectorRole.Backup, true, "sync daemons:\n  backup sync daemon (mcast=eth1, syncid=52)\nlast error: none\n");
        Assert.Equal("director role BACKUP: the plan follows it; a failed command is retried every 5 s\nsync daemons:\n  backup sync daemon (mcast=eth1, syncid=52)\nlast error: none\n",
            StatusFormatter.Sync(view));
        Assert.Contains("sync:\n  director role BACKUP: the plan follows it; a failed command is retried every 5 s\n  sync daemons:\n    backup sync daemon", StatusFormatter.Status(Status(sync: view)));
    }
}
