namespace Appliance.Sync;

/// <summary>
/// The catch-up gate of the current BACKUP period, as the operator sees it: still waiting (preemption
/// held) or released, for how long, the last reading of SYNC entries and the gate's reason.
/// </summary>
public sealed record SyncCatchUpSnapshot(bool Waiting, TimeSpan WaitedFor, long? SyncedEntries, string Reason, bool ByMaximumWait,
    TimeSpan SettleWindow, TimeSpan MaximumWait);

/// <summary>
/// What the daemon loop knows about sync (a copy; safe to hand to another thread): enabled, the
/// director role the daemons follow, the catch-up gate (null unless BACKUP), the last error reading
/// the connection table and the errors of the last daemon plan. Kernel-side facts (running daemons,
/// sysctls) come from <see cref="SyncShell.Status"/>.
/// </summary>
public sealed record SyncStatusSnapshot(bool Enabled, DirectorRole Role, SyncCatchUpSnapshot? CatchUp, string? TableError,
    IReadOnlyList<string> LastErrors);
