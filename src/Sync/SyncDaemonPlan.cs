using System.Net;

namespace Appliance.Sync;

/// <summary>The kernel's sync daemon kinds (IP_VS_STATE_MASTER / IP_VS_STATE_BACKUP, include/uapi/linux/ip_vs.h).</summary>
public enum SyncDaemonKind : uint
{
    Master = 1,
    Backup = 2,
}

/// <summary>
/// One kernel sync daemon's configuration, as NEW_DAEMON takes it and GET_DAEMON reports it.
/// Zero / null fields mean "the kernel's default" (start_sync_thread: group 224.0.0.81,
/// port 8848, TTL 1, maxlen from the interface MTU).
/// </summary>
public sealed record SyncDaemonConfig(SyncDaemonKind Kind, string Interface, byte SyncId, ushort MaxLength = 0,
    IPAddress? Group = null, ushort Port = 0, byte Ttl = 0)
{
    public const ushort KernelPort = 8848;
    public const byte KernelTtl = 1;
    public static readonly IPAddress KernelGroup = IPAddress.Parse("224.0.0.81");
    /// <summary>IFNAMSIZ - 1: IPVS_DAEMON_ATTR_MCAST_IFN is a NUL-terminated string of at most 16 bytes.</summary>
    public const int MaxInterfaceLength = 15;

    /// <summary>
    /// True when a daemon the kernel reports is this configuration. Fields left at "default"
    /// here accept whatever the kernel chose; sync_maxlen is compared after the kernel's clamp
    /// (start_sync_thread: [1024, 65507] for a backup, [1, 65507] for a master, IPv4 headers).
    /// </summary>
    public bool IsSatisfiedBy(SyncDaemonConfig running)
    {
        if (running.Kind != Kind || running.Interface != Interface || running.SyncId != SyncId) return false;
        if ((Group ?? KernelGroup).Equals(running.Group ?? KernelGroup) is false) return false;
        if ((Port == 0 ? KernelPort : Port) != (running.Port == 0 ? KernelPort : running.Port)) return false;
        if ((Ttl == 0 ? KernelTtl : Ttl) != (running.Ttl == 0 ? KernelTtl : running.Ttl)) return false;
        if (MaxLength != 0)
        {
            var headers = (Group ?? KernelGroup).AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6 ? 48 : 28;
            var clamped = Math.Clamp((int)MaxLength, Kind == SyncDaemonKind.Backup ? 1024 : 1, 65535 - headers);
            if (running.MaxLength != clamped) return false;
        }
        return true;
    }

    public override string ToString() =>
        $"{(Kind == SyncDaemonKind.Master ? "master" : "backup")} sync daemon (mcast={Interface}, syncid={SyncId}" +
        (MaxLength != 0 ? $", maxlen={MaxLength}" : "") +
        $", group={Group ?? KernelGroup}, port={(Port == 0 ? KernelPort : Port)}, ttl={(Ttl == 0 ? KernelTtl : Ttl)})";
}

/// <summary>What the director as a whole is doing (the arbiter's / VRRP's decision).</summary>
public enum DirectorRole
{
    Init,
    Backup,
    Master,
    Fault,
    /// <summary>The appliance is shutting down.</summary>
    Stop,
}

/// <summary>What happens to the kernel's daemons when the appliance stops.</summary>
public enum StopPolicy
{
    /// <summary>Leave both running: the node keeps receiving the table while the appliance restarts (default).</summary>
    KeepRunning,
    /// <summary>Stop both (an operator's <c>appliance sync stop</c>).</summary>
    StopDaemons,
}

/// <summary>One NEW_DAEMON or DEL_DAEMON to send, with the reason shown in the log.</summary>
public abstract record SyncDaemonCommand(string Why)
{
    public sealed record Start(SyncDaemonConfig Config, string Why) : SyncDaemonCommand(Why)
    {
        public override string ToString() => $"start {Config}: {Why}";
    }

    public sealed record Stop(SyncDaemonKind Kind, string Why) : SyncDaemonCommand(Why)
    {
        public override string ToString() => $"stop {(Kind == SyncDaemonKind.Master ? "master" : "backup")} sync daemon: {Why}";
    }
}

/// <summary>The [sync] section's daemon part.</summary>
public sealed record SyncDaemonSettings(string Interface, byte SyncId, byte PeerSyncId, ushort MaxLength = 0,
    IPAddress? Group = null, ushort Port = 0, byte Ttl = 0, StopPolicy OnStop = StopPolicy.KeepRunning)
{
    public SyncDaemonConfig Master => new(SyncDaemonKind.Master, Interface, SyncId, MaxLength, Group, Port, Ttl);
    public SyncDaemonConfig Backup => new(SyncDaemonKind.Backup, Interface, PeerSyncId, MaxLength, Group, Port, Ttl);
}

/// <summary>
/// Decides the NEW_DAEMON / DEL_DAEMON commands for a director role, given what the kernel
/// runs now (GET_DAEMON). Design (docs/sync.md, "Daemons"): the master AND the backup daemon
/// run on both nodes in every role, so a role change sends nothing and nothing has a gap; a
/// returning ex-master receives the table from the moment it boots. Commands are only needed
/// to converge: at start-up, after a daemon was stopped behind the appliance's back, after a
/// configuration change, and at stop when the policy says so.
/// </summary>
public static class SyncDaemonPlanner
{
    public static IReadOnlyList<SyncDaemonCommand> Plan(DirectorRole role, SyncDaemonSettings settings, IReadOnlyCollection<SyncDaemonConfig> running)
    {
        var commands = new List<SyncDaemonCommand>();
        if (role == DirectorRole.Stop)
        {
            if (settings.OnStop == StopPolicy.StopDaemons)
            {
                // Master first: nothing more is sent for connections this node still forwards;
                // the backup's table stays in the kernel either way.
                foreach (var kind in new[] { SyncDaemonKind.Master, SyncDaemonKind.Backup })
                    if (running.Any(r => r.Kind == kind))
                        commands.Add(new SyncDaemonCommand.Stop(kind, "the appliance stops and on_stop = stop"));
            }
            return commands;
        }

        // The daemon that matters in this role is converged first: as MASTER every new
        // connection must reach the peer, otherwise the table the node may receive later matters.
        var order = role == DirectorRole.Master
            ? new[] { settings.Master, settings.Backup }
            : new[] { settings.Backup, settings.Master };
        foreach (var desired in order)
        {
            var current = running.FirstOrDefault(r => r.Kind == desired.Kind);
            if (current is null)
            {
                commands.Add(new SyncDaemonCommand.Start(desired, role switch
                {
                    DirectorRole.Init => "start-up: both daemons run in every role",
                    _ => $"not running while {role.ToString().ToUpperInvariant()}; both daemons run in every role",
                }));
            }
            else if (!desired.IsSatisfiedBy(current))
            {
                // The kernel keeps one daemon per kind (EEXIST): a change is a stop and a start,
                // back to back, the only gap the design allows.
                commands.Add(new SyncDaemonCommand.Stop(desired.Kind, $"running as {current}, configured as {desired}"));
                commands.Add(new SyncDaemonCommand.Start(desired, "configuration changed"));
            }
        }
        return commands;
    }
}
