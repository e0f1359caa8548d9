using System.Text;

namespace Appliance.Sync;

/// <summary>The outcome of applying the sync configuration once.</summary>
public sealed record SyncApplyResult(IReadOnlyList<string> Done, IReadOnlyList<string> Errors);

/// <summary>
/// The thin I/O shell around the pure sync core: sysctls, the kernel's daemons (generic
/// netlink), the connection table. Runs in the network namespace of the calling process.
/// </summary>
public sealed class SyncShell(IpvsSysctls sysctls, ConnSyncReader table, Func<SyncDaemonClient> openClient, string? stateFile = null)
{
    public static SyncShell ForThisNamespace() => new(new IpvsSysctls(), new ConnSyncReader(), SyncDaemonClient.Open,
        Path.Combine(Environment.GetEnvironmentVariable("APPLIANCE_RUN_DIR") ?? "/run/appliance", "sync-last-error"));

    /// <summary>Sysctls first (sync_ports and sync_sock_size are read when a daemon starts), then the daemon plan.</summary>
    public SyncApplyResult Apply(SyncConfiguration config, DirectorRole role)
    {
        var done = new List<string>();
        var errors = new List<string>();
        if (role != DirectorRole.Stop)
        {
            foreach (var s in config.Sysctls)
            {
                try
                {
                    var before = sysctls.Read(s.Name);
                    if (before == IpvsSysctls.Normalize(s.Value)) continue;
                    sysctls.Write(s.Name, s.Value);
                    done.Add($"set {s.Name} = {s.Value} (was {before ?? "absent"})");
                }
                catch (IOException e) { errors.Add(e.Message); }
            }
        }
        try
        {
            using var client = openClient();
            var running = client.List();
            foreach (var command in SyncDaemonPlanner.Plan(role, config.Daemons, running))
            {
                try
                {
                    switch (command)
                    {
                        case SyncDaemonCommand.Start s: client.Start(s.Config); break;
                        case SyncDaemonCommand.Stop s: client.Stop(s.Kind); break;
                    }
                    done.Add(command.ToString());
                }
                catch (Netlink.NetlinkException e) { errors.Add($"{command}: {e.Message}"); }
            }
        }
        catch (Netlink.NetlinkException e) { errors.Add($"talking to IPVS: {e.Message}"); }
        RecordLastError(errors);
        return new SyncApplyResult(done, errors);
    }

    public SyncApplyResult StopDaemons()
    {
        var done = new List<string>();
        var errors = new List<string>();
        try
        {
            using var client = openClient();
            foreach (var d in client.List().OrderBy(d => d.Kind))
            {
                try { client.Stop(d.Kind); done.Add($"stopped the {d}"); }
                catch (Netlink.NetlinkException e) { errors.Add(e.Message); }
            }
        }
        catch (Netlink.NetlinkException e) { errors.Add($"talking to IPVS: {e.Message}"); }
        RecordLastError(errors);
        return new SyncApplyResult(done, errors);
    }

    public ConnSyncCounts ReadTable() => table.Read();

    /// <summary>False when the node has no IPVS connection table (ip_vs not loaded).</summary>
    public bool HasConnectionTable => table.Exists;

    /// <summary>The operator's view: daemons, syncids, interface, table counts, sysctls (effective vs configured), last error.</summary>
    public string Status(SyncConfiguration? config)
    {
        var sb = new StringBuilder();
        var problems = new List<string>();
        sb.AppendLine("sync daemons:");
        try
        {
            using var client = openClient();
            var daemons = client.List();
            if (daemons.Count == 0) sb.AppendLine("  none running");
            foreach (var d in daemons.OrderBy(d => d.Kind))
            {
                var want = config is null ? null : d.Kind == SyncDaemonKind.Master ? config.Daemons.Master : config.Daemons.Backup;
                var verdict = want is null ? "" : want.IsSatisfiedBy(d) ? "  (as configured)" : $"  (configured: {want})";
                sb.AppendLine($"  {d}{verdict}");
            }
            if (config is not null)
                foreach (var kind in new[] { SyncDaemonKind.Master, SyncDaemonKind.Backup })
                    if (daemons.All(d => d.Kind != kind)) sb.AppendLine($"  {kind.ToString().ToLowerInvariant()}: NOT running (configured: {(kind == SyncDaemonKind.Master ? config.Daemons.Master : config.Daemons.Backup)})");
        }
        catch (Netlink.NetlinkException e) { problems.Add($"listing daemons: {e.Message}"); sb.AppendLine("  unknown"); }

        try
        {
            var c = table.Read();
            sb.AppendLine($"connection table: {c.Total} entries, {c.Synced} synced (SYNC), {c.Local} local (LOCAL)" +
                (c.ByState.Count > 0 ? "; " + StateCounts(c.ByState) : "") +
                (c.Malformed > 0 ? $"; {c.Malformed} malformed lines" : ""));
        }
        catch (IOException e) { problems.Add(e.Message); sb.AppendLine("connection table: unreadable"); }

        sb.AppendLine($"sysctls ({sysctls.Directory}):");
        var wanted = config?.Sysctls.ToDictionary(s => s.Name) ?? new Dictionary<string, SysctlSetting>();
        var names = new[] { SyncSysctlDerivation.Threshold, SyncSysctlDerivation.RefreshPeriod, SyncSysctlDerivation.Retries, SyncSysctlDerivation.Version,
            SyncSysctlDerivation.PersistMode, SyncSysctlDerivation.Ports, SyncSysctlDerivation.SockSize, SyncSysctlDerivation.QlenMax, SyncSysctlDerivation.BackupOnly };
        foreach (var name in names)
        {
            var value = sysctls.Read(name) ?? "absent";
            var line = $"  {name,-20} {value,-8}";
            if (wanted.TryGetValue(name, out var w))
                line += IpvsSysctls.Normalize(w.Value) == value ? $" {w.Source.ToString().ToLowerInvariant()}: {w.Why}" : $" MISMATCH, configured {w.Value} ({w.Source.ToString().ToLowerInvariant()})";
            else if (config is not null) line += " kernel default";
            sb.AppendLine(line.TrimEnd());
        }
        if (config is not null)
            sb.AppendLine($"timeouts: {config.Timeouts} (effective {config.Timeouts.Effective}); catch-up: at least {config.CatchUp.MinimumWait.TotalSeconds} s, settle window {config.CatchUp.SettleWindow.TotalSeconds} s, maximum {config.CatchUp.MaximumWait.TotalSeconds} s");
        var last = ReadLastError();
        sb.AppendLine($"last error: {(problems.Count > 0 ? string.Join("; ", problems) : last ?? "none")}");
        return sb.ToString();
    }

    private void RecordLastError(IReadOnlyList<string> errors)
    {
        if (stateFile is null) return;
        try
        {
            Directory.CreateDirectory(Path.GetDirectoryName(stateFile)!);
            if (errors.Count == 0) File.Delete(stateFile);
            else File.WriteAllText(stateFile, $"{DateTime.UtcNow:yyyy-MM-ddTHH:mm:ssZ} {string.Join("; ", errors)}\n");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { /* status only; the errors were printed */ }
    }

    private string? ReadLastError()
    {
        if (stateFile is null || !File.Exists(stateFile)) return null;
        try { return File.ReadAllText(stateFile).Trim(); }
        catch (IOException) { return null; }
    }

    // A loop, not OrderBy/Select over KeyValuePair: LINQ over value types costs NativeAOT megabytes (docs/benchmarks.md, Binary size).
    private static string StateCounts(IReadOnlyDictionary<string, long> byState)
    {
        var states = new List<string>(byState.Keys);
        states.Sort(StringComparer.Ordinal);
        var parts = new string[states.Count];
        for (int i = 0; i < parts.Length; i++) parts[i] = $"{states[i]} {byState[states[i]]}";
        return string.Join(", ", parts);
    }
}
