using System.Net;
using Appliance.Sync;
using Xunit;

namespace Appliance.Tests.Sync;

public class SyncDaemonPlannerTests
{
    private static readonly SyncDaemonSettings Settings = new("hb0", SyncId: 7, PeerSyncId: 8, MaxLength: 1400, Ttl: 1);

    /// <summary>Applies commands the way the kernel does (one daemon per kind, EEXIST / ESRCH otherwise).</summary>
    private static List<SyncDaemonConfig> Apply(List<SyncDaemonConfig> kernel, IEnumerable<SyncDaemonCommand> commands)
    {
        foreach (var c in commands)
        {
            switch (c)
            {
                case SyncDaemonCommand.Start s:
                    Assert.DoesNotContain(kernel, k => k.Kind == s.Config.Kind); // EEXIST otherwise
                    kernel.Add(s.Config);
                    break;
                case SyncDaemonCommand.Stop s:
                    Assert.Equal(1, kernel.RemoveAll(k => k.Kind == s.Kind)); // ESRCH otherwise
                    break;
            }
        }
        return kernel;
    }

    private static string Describe(IEnumerable<SyncDaemonCommand> commands) =>
        string.Join(", ", commands.Select(c => c switch
        {
            SyncDaemonCommand.Start s => $"start {s.Config.Kind} {s.Config.SyncId}",
            SyncDaemonCommand.Stop s => $"stop {s.Kind}",
            _ => "?",
        }));

    [Fact]
    public void Init_starts_the_backup_daemon_first_then_the_master_with_distinct_syncids()
    {
        var plan = SyncDaemonPlanner.Plan(DirectorRole.Init, Settings, []);
        Assert.Equal("start Backup 8, start Master 7", Describe(plan));
    }

    [Fact]
    public void Every_role_transition_after_start_up_sends_nothing_so_there_is_no_gap()
    {
        var kernel = Apply([], SyncDaemonPlanner.Plan(DirectorRole.Init, Settings, []));
        var path = new[]
        {
            DirectorRole.Backup, DirectorRole.Master, DirectorRole.Backup, DirectorRole.Master, DirectorRole.Fault,
            DirectorRole.Backup, DirectorRole.Fault, DirectorRole.Master,
        };
        foreach (var role in path)
        {
            var plan = SyncDaemonPlanner.Plan(role, Settings, kernel);
            Assert.True(plan.Count == 0, $"{role}: {Describe(plan)}");
            Assert.Equal(2, kernel.Count);
        }
    }

    [Fact]
    public void Stop_keeps_both_daemons_by_default_so_a_restarting_appliance_keeps_receiving()
    {
        var kernel = Apply([], SyncDaemonPlanner.Plan(DirectorRole.Init, Settings, []));
        Assert.Empty(SyncDaemonPlanner.Plan(DirectorRole.Stop, Settings, kernel));
        var stopping = Settings with { OnStop = StopPolicy.StopDaemons };
        var plan = SyncDaemonPlanner.Plan(DirectorRole.Stop, stopping, kernel);
        Assert.Equal("stop Master, stop Backup", Describe(plan));
        Assert.Empty(Apply(kernel, plan));
        Assert.Empty(SyncDaemonPlanner.Plan(DirectorRole.Stop, stopping, [])); // nothing to stop: no ESRCH
    }

    [Fact]
    public void A_master_missing_a_daemon_restarts_the_master_daemon_first()
    {
        Assert.Equal("start Master 7, start Backup 8", Describe(SyncDaemonPlanner.Plan(DirectorRole.Master, Settings, [])));
        Assert.Equal("start Backup 8", Describe(SyncDaemonPlanner.Plan(DirectorRole.Master, Settings, [Settings.Master])));
        Assert.Equal("start Master 7", Describe(SyncDaemonPlanner.Plan(DirectorRole.Backup, Settings, [Settings.Backup])));
    }

    [Fact]
    public void A_changed_configuration_restarts_the_role_relevant_daemon_first_stop_then_start()
    {
        var kernel = Apply([], SyncDaemonPlanner.Plan(DirectorRole.Init, Settings, []));
        var changed = Settings with { SyncId = 9, PeerSyncId = 10 };
        var asBackup = SyncDaemonPlanner.Plan(DirectorRole.Backup, changed, kernel);
        Assert.Equal("stop Backup, start Backup 10, stop Master, start Master 9", Describe(asBackup));
        var asMaster = SyncDaemonPlanner.Plan(DirectorRole.Master, changed, kernel);
        Assert.Equal("stop Master, start Master 9, stop Backup, start Backup 10", Describe(asMaster));
        Apply(kernel, asMaster);
        Assert.Empty(SyncDaemonPlanner.Plan(DirectorRole.Master, changed, kernel));
    }

    [Fact]
    public void What_the_kernel_reports_for_defaults_and_clamped_maxlen_counts_as_configured()
    {
        var desired = new SyncDaemonConfig(SyncDaemonKind.Backup, "hb0", 8, MaxLength: 500);
        // The kernel clamps a backup's sync_maxlen to at least 1024 and fills in group, port and TTL.
        var reported = new SyncDaemonConfig(SyncDaemonKind.Backup, "hb0", 8, 1024, IPAddress.Parse("224.0.0.81"), 8848, 1);
        Assert.True(desired.IsSatisfiedBy(reported));
        Assert.False(desired.IsSatisfiedBy(reported with { Interface = "hb1" }));
        Assert.False(desired.IsSatisfiedBy(reported with { SyncId = 9 }));
        Assert.False(desired.IsSatisfiedBy(reported with { Port = 8849 }));
        Assert.False(desired.IsSatisfiedBy(reported with { Group = IPAddress.Parse("224.0.0.82") }));
        Assert.False(desired.IsSatisfiedBy(reported with { Kind = SyncDaemonKind.Master }));
        // Unset maxlen accepts whatever the kernel derived from the MTU.
        Assert.True((desired with { MaxLength = 0 }).IsSatisfiedBy(reported with { MaxLength = 1472 }));
        Assert.False((desired with { MaxLength = 1400 }).IsSatisfiedBy(reported with { MaxLength = 1472 }));
    }
}
