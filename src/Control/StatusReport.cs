using System.Text;
using Appliance.Daemon;
using Appliance.Health;
using Appliance.Sync;
using Appliance.Vrrp;

namespace Appliance.Control;

/// <summary>
/// A part of the daemon whose state <c>appliance status</c> shows as a section of its own (the
/// split-brain arbiter's last decision, the serial peer link's counters). Registered by the
/// composition root with <see cref="ControlPart.Add"/>; called on the daemon loop thread, so it
/// reads its own loop-owned state directly. Must never return a secret.
/// </summary>
public interface IStatusContributor
{
    /// <summary>The section's title ("arbiter", "peer link").</summary>
    string Section { get; }

    /// <summary>The section's lines at <paramref name="now"/> (monotonic).</summary>
    IReadOnlyList<string> StatusLines(TimeSpan now);
}

/// <summary>One section contributed by an <see cref="IStatusContributor"/>, captured on the loop.</summary>
public sealed record StatusSection(string Title, IReadOnlyList<string> Lines);

/// <summary>What the configuration did since start: the file, reloads accepted and refused.</summary>
public sealed record ConfigStatus(string Path, int Reloads, int Rejected, string? LastRejection, IReadOnlyList<string>? RestartNeededFor = null);

/// <summary>The VRRP instances, or why there are none to show.</summary>
public sealed record VrrpView(IReadOnlyList<VrrpInstanceSnapshot>? Instances, string? Problem);

/// <summary>The health checker's view, or why it could not be had.</summary>
public sealed record HealthView(HealthReport? Report, string? Problem);

/// <summary>Connection sync as the daemon drives it (loop state) plus the kernel's side (read off the loop).</summary>
public sealed record SyncView(bool Enabled, DirectorRole Role, bool RetryPending, string? Kernel);

/// <summary>The whole director at one instant: the reply to "status".</summary>
public sealed record DirectorStatus(
    string Node,
    int NodeId,
    DirectorRole Role,
    TimeSpan Now,
    TimeSpan Uptime,
    VrrpView Vrrp,
    IReadOnlyList<StatusSection> Sections,
    IpvsPartStatus Ipvs,
    HealthView Health,
    SyncView Sync,
    WatchdogPartStatus Watchdog,
    ConfigStatus Config,
    string Control);

/// <summary>The operator's text for each control request; pure functions of immutable snapshots.</summary>
public static class StatusFormatter
{
    /// <summary>Down servers listed in the status summary; <c>appliance health</c> has them all.</summary>
    public const int DownListed = 20;

    /// <summary>Sections the status always names, so an operator sees that they are absent rather than healthy.</summary>
    public static readonly IReadOnlyList<string> ExpectedSections = ["arbiter", "peer link"];

    public static string Status(DirectorStatus s)
    {
        var sb = new StringBuilder();
        sb.Append($"{s.Node} (node_id {s.NodeId}): {Role(s.Role)}, daemon up {HealthReportFormatter.Age(s.Uptime)}\n");

        sb.Append("vrrp:");
        AppendVrrp(sb, s.Vrrp, s.Now, "  ");

        foreach (var title in ExpectedSections)
        {
            var section = s.Sections.FirstOrDefault(x => x.Title == title);
            if (section is null) sb.Append($"{title}: not running (peer_type = keepalived, or no vrrp_instance)\n");
        }
        foreach (var section in s.Sections)
        {
            sb.Append($"{section.Title}:");
            if (section.Lines.Count == 0) sb.Append(" nothing to report\n");
            else
            {
                sb.Append('\n');
                foreach (var line in section.Lines) sb.Append("  ").Append(line).Append('\n');
            }
        }

        var i = s.Ipvs;
        sb.Append($"ipvs: {i.Services} virtual service(s), {i.ConfiguredDestinations} real server(s) configured, {i.DesiredDestinations} in the desired table\n");
        sb.Append($"  {i.Reconciliations} reconciliation(s); last: {i.LastOutcome ?? "none yet"}\n");
        if (i.LastError is not null) sb.Append($"  last error: {i.LastError}\n");

        sb.Append("health: ");
        if (s.Health.Report is { } report)
        {
            sb.Append(HealthSummary(report)).Append('\n');
            var listed = 0;
            var down = 0;
            foreach (var r in report.Servers)
            {
                if (r.Up) continue;
                down++;
                if (listed++ >= DownListed) continue;
                sb.Append($"  DOWN {r.Key.Address} in {r.Key.Service} for {HealthReportFormatter.Age(report.Now - r.Since)}: {r.Last?.Reason ?? "not checked yet"}\n");
            }
            if (down > DownListed) sb.Append($"  ... and {down - DownListed} more down (appliance health)\n");
        }
        else sb.Append(s.Health.Problem ?? "unknown").Append('\n');

        sb.Append("sync:");
        AppendSync(sb, s.Sync, "  ");

        var w = s.Watchdog;
        if (w.Armed)
        {
            sb.Append($"watchdog: armed {w.Device} ({w.Identity}), timeout {w.TimeoutSeconds} s, {w.Feeds} feeds, {w.Withheld} withheld\n");
            if (w.Problem is not null) sb.Append($"  NOT FEEDING: {w.Problem}\n");
            foreach (var l in w.Loops) sb.Append($"  loop {l}\n");
        }
        else sb.Append($"watchdog: {w.Problem}\n");

        var c = s.Config;
        sb.Append($"config: {c.Path}; {c.Reloads} reload(s) accepted, {c.Rejected} rejected");
        if (c.LastRejection is not null) sb.Append($"; last rejection: {c.LastRejection}");
        sb.Append('\n');
        if (c.RestartNeededFor is { Count: > 0 } pending)
            sb.Append($"  changed in the file, applied only after a restart: {string.Join("; ", pending)}\n");
        sb.Append($"control: {s.Control}\n");
        return sb.ToString();
    }

    /// <summary>The reply to "vrrp": every instance in detail.</summary>
    public static string Vrrp(VrrpView view, TimeSpan now)
    {
        var sb = new StringBuilder();
        AppendVrrp(sb, view, now, "");
        return sb.ToString().TrimStart('\n');
    }

    /// <summary>The reply to "sync": the daemon's role and plan state, then the kernel's daemons, table, sysctls, last error.</summary>
    public static string Sync(SyncView view)
    {
        var sb = new StringBuilder();
        AppendSync(sb, view, "");
        return sb.ToString().TrimStart('\n');
    }

    /// <summary>"2 real servers: 1 up, 1 down" (the last line of the health table).</summary>
    public static string HealthSummary(HealthReport report)
    {
        var table = HealthReportFormatter.Format(report).TrimEnd('\n');
        var last = table.LastIndexOf('\n');
        return last < 0 ? table : table[(last + 1)..];
    }

    private static void AppendVrrp(StringBuilder sb, VrrpView view, TimeSpan now, string indent)
    {
        if (view.Instances is not { } instances)
        {
            sb.Append(' ').Append(view.Problem ?? "unknown").Append('\n');
            return;
        }
        sb.Append('\n');
        foreach (var v in instances)
        {
            var since = v.Since is { } at ? $" for {HealthReportFormatter.Age(now - at)}" : "";
            var master = v.State == VrrpState.Master ? $"{v.LocalAddress} (this node)"
                : v.Master is { } m ? $"{m} (priority {v.MasterPriority})"
                : "unknown";
            sb.Append($"{indent}{v.Name}: vrid {v.VirtualRouterId} {(v.Version == VrrpVersion.V3 ? "v3" : "v2")} on {v.Interface}, {v.State.ToString().ToUpperInvariant()}{since}, priority {v.Priority}, master {master}\n");
            sb.Append($"{indent}  VIPs {v.Vips} on {v.PublicInterface}; advert_int {v.AdvertInterval.TotalSeconds:0.##} s{(v.TakeoverPending ? "; takeover withheld by the arbiter" : "")}\n");
            sb.Append($"{indent}  adverts sent {v.Sent} (send errors {v.SendErrors}), received {v.Received}, accepted {v.Accepted}, dropped {v.Dropped}{(v.Drops.Length > 0 ? $" ({v.Drops})" : "")}\n");
            if (v.Reason is not null) sb.Append($"{indent}  last change: {v.Reason}\n");
        }
    }

    private static void AppendSync(StringBuilder sb, SyncView view, string indent)
    {
        if (!view.Enabled)
        {
            sb.Append(" disabled ([sync] enabled = no)\n");
            return;
        }
        sb.Append($"\n{indent}director role {Role(view.Role)}: the plan follows it{(view.RetryPending ? "; a failed command is retried every 5 s" : "")}\n");
        foreach (var line in (view.Kernel ?? "kernel state not read\n").TrimEnd('\n').Split('\n'))
            sb.Append(indent).Append(line).Append('\n');
    }

    private static string Role(DirectorRole r) => r.ToString().ToUpperInvariant();
}
