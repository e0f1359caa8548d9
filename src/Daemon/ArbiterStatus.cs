using System.Globalization;
using Appliance.Arbiter;
using Appliance.Control;
using Appliance.PeerLink;

namespace Appliance.Daemon;

/// <summary>
/// The split-brain arbiter's section of <c>appliance status</c>: its last decision (verdict, the
/// rule of docs/split-brain.md that gave it, alarms), since when it stands, and the evidence. Reads
/// the guard's published snapshot, an immutable record written whole by the guard's thread.
/// </summary>
public sealed class ArbiterStatus(Func<GuardSnapshot?> snapshot) : IStatusContributor
{
    public string Section => "arbiter";

    public IReadOnlyList<string> StatusLines(TimeSpan now) => Lines(snapshot(), now);

    public static IReadOnlyList<string> Lines(GuardSnapshot? s, TimeSpan now)
    {
        if (s is null) return ["no decision yet (VRRP has not started)"];
        var d = s.Decision;
        return
        [
            $"{d.Verdict} by rule {d.Rule} for {Seconds(now - s.Since)}: {d.Reason}",
            $"alarms: {(d.Alarms == Alarm.None ? "none" : d.Alarms.ToString())}{(d.FrontPanelFault ? "; front panel shows a fault" : "")}",
            $"evidence: {s.Evidence}",
        ];
    }

    internal static string Seconds(TimeSpan t) => string.Create(CultureInfo.InvariantCulture, $"{Math.Max(0, t.TotalSeconds):0.0} s");
}

/// <summary>
/// The serial heartbeat's section of <c>appliance status</c>: port, peer alive or silent, when it was
/// last heard, what it last said, every counter (rejections by reason). From the endpoint's
/// snapshot, which is safe to read from any thread. The key is never part of it.
/// </summary>
public sealed class PeerLinkStatusSection(Func<PeerLinkStatus?> snapshot) : IStatusContributor
{
    public string Section => "peer link";

    public IReadOnlyList<string> StatusLines(TimeSpan now) => Lines(snapshot(), now);

    public static IReadOnlyList<string> Lines(PeerLinkStatus? s, TimeSpan now)
    {
        if (s is null) return ["not configured ([serial_heartbeat] disabled or no key)"];
        var lines = new List<string>
        {
            $"{s.Device}: port {s.Port.ToString().ToLowerInvariant()}, peer {(s.PeerAlive ? "alive" : "silent")}" +
            (s.LastHeard is { } heard ? $", last heard {ArbiterStatus.Seconds(now - heard)} ago" : ", never heard") +
            (s.HandshakePending ? ", handshake pending" : ""),
        };
        if (s.LastMessage is { } m) lines.Add($"peer says: {m}");
        if (s.LastError is { } e) lines.Add($"last error: {e}");
        lines.Add($"counters: {s.Counters}");
        return lines;
    }
}

/// <summary>
/// The failback gate's section of <c>appliance status</c> (docs/sync.md "Failback"): while BACKUP,
/// whether VRRP preemption is still held until the connection table has caught up, for how long,
/// the last count of synced entries, and why. Read on the loop thread, where the gate lives.
/// </summary>
public sealed class FailbackGateStatus(Func<TimeSpan, Appliance.Sync.SyncStatusSnapshot> snapshot) : IStatusContributor
{
    public string Section => "failback gate";

    public IReadOnlyList<string> StatusLines(TimeSpan now) => Lines(snapshot(now));

    public static IReadOnlyList<string> Lines(Appliance.Sync.SyncStatusSnapshot s)
    {
        if (!s.Enabled) return ["off ([sync] disabled): preemption is not held"];
        var lines = new List<string>();
        if (s.CatchUp is not { } c) lines.Add($"not waiting (director {s.Role.ToString().ToUpperInvariant()}; the gate runs while BACKUP)");
        else
        {
            lines.Add($"{(c.Waiting ? "preemption held" : "preemption released")} after {ArbiterStatus.Seconds(c.WaitedFor)}" +
                $"{(c.ByMaximumWait ? " (by catchup_max_wait)" : "")}: {c.Reason}");
            lines.Add($"synced entries {(c.SyncedEntries is { } n ? n.ToString(System.Globalization.CultureInfo.InvariantCulture) : "not read yet")}; " +
                $"settle window {ArbiterStatus.Seconds(c.SettleWindow)}, maximum wait {ArbiterStatus.Seconds(c.MaximumWait)}");
        }
        if (s.TableError is { } e) lines.Add($"reading the connection table: {e}");
        foreach (var error in s.LastErrors) lines.Add($"sync command: {error}");
        return lines;
    }
}
