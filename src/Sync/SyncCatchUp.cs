namespace Appliance.Sync;

/// <summary>
/// What VRRP asks before it preempts: a returning ex-master with the higher priority must not
/// take the VIPs back before it holds the connection table (keepalived's known failback loss,
/// docs/sync.md "Failback"). The VRRP engine keeps its preempt_delay; when that has passed it
/// asks <see cref="MayPreempt"/> and, on false, stays BACKUP and asks again at its next event.
/// Never consulted for a takeover because the master is gone (its Master_Down timer): then
/// there is no table to wait for.
/// </summary>
public interface IPreemptionGate
{
    /// <summary>True when taking the VIPs now loses no synced connection we could still have waited for.</summary>
    bool MayPreempt(TimeSpan now, out string reason);
}

/// <summary>How the catch-up gate judges "the table has arrived".</summary>
public sealed record CatchUpOptions(TimeSpan SampleInterval, TimeSpan SettleWindow, TimeSpan MinimumWait, TimeSpan MaximumWait,
    double GrowthTolerance = 0.01, double PeerFraction = 0.99)
{
    /// <summary>
    /// Defaults from the timeouts and the refresh period. The master re-sends a connection on its
    /// first client packet at least one refresh period after its previous sync, so a connection
    /// sending every K seconds reaches a node that just came up within R + K + 3 s; every
    /// connection the derived settings keep alive across a failover has R + K + 3 s below the
    /// timeout T (docs/sync.md). Hence the minimum wait is T: by then every such connection,
    /// idle ones included, has been re-sent at least once. A count that then did not grow over a
    /// window of R + 3 s has settled; the maximum (T + R + 3 s unless configured) ends the wait
    /// when new connections keep arriving.
    /// </summary>
    public static CatchUpOptions Derive(IpvsTimeouts timeouts, int refreshPeriodSeconds, TimeSpan? maximumWait = null)
    {
        var refresh = refreshPeriodSeconds > 0 ? refreshPeriodSeconds : SyncSysctlDerivation.DerivedRefreshPeriod(timeouts);
        var timeout = TimeSpan.FromSeconds(SyncSysctlDerivation.RelevantTimeout(timeouts));
        var window = TimeSpan.FromSeconds(refresh + SyncSysctlDerivation.MasterFlushDelaySeconds);
        var max = maximumWait ?? timeout + window;
        var min = timeout < max ? timeout : max;
        if (max < window) window = max;
        return new CatchUpOptions(TimeSpan.FromSeconds(1), window, min, max);
    }
}

/// <summary>The gate's answer, with the reason the log and the status verb show.</summary>
public readonly record struct CatchUpVerdict(bool CaughtUp, string Reason, bool ByMaximumWait = false);

/// <summary>
/// The pure catch-up predicate: fed the number of SYNC-origin entries in the node's own
/// connection table (/proc/net/ip_vs_conn_sync) at sample times, and optionally the count the
/// current master reports (a later serial-link message), it says whether sync has caught up.
/// Owned by the event loop; every method takes <c>now</c>, nothing reads a clock.
/// </summary>
public sealed class SyncCatchUp : IPreemptionGate
{
    private readonly CatchUpOptions _options;
    private readonly List<(TimeSpan At, long Count)> _samples = new();
    private TimeSpan _started;
    private long? _peerCount;
    private bool _noTable;

    public SyncCatchUp(CatchUpOptions options, TimeSpan now)
    {
        if (options.SampleInterval <= TimeSpan.Zero) throw new ArgumentException("catch-up sample interval must be positive");
        if (options.MaximumWait < options.MinimumWait) throw new ArgumentException("catch-up maximum wait is shorter than its minimum wait");
        _options = options;
        _started = now;
    }

    public CatchUpOptions Options => _options;

    /// <summary>When the next sample should be taken (the shell's timer).</summary>
    public TimeSpan NextSampleAt => _samples.Count == 0 ? _started : _samples[^1].At + _options.SampleInterval;

    public long? LatestCount => _samples.Count == 0 ? null : _samples[^1].Count;

    /// <summary>Restarts the wait (the node came back up, or its backup daemon was restarted).</summary>
    public void Restart(TimeSpan now)
    {
        _started = now;
        _samples.Clear();
        _peerCount = null;
        _noTable = false;
    }

    /// <summary>One reading of the local table: entries whose origin is SYNC.</summary>
    public void Observe(TimeSpan now, long syncedEntries)
    {
        if (syncedEntries < 0) throw new ArgumentOutOfRangeException(nameof(syncedEntries));
        if (_samples.Count > 0 && now < _samples[^1].At) return; // a late reading never rewrites history
        _noTable = false;
        _samples.Add((now, syncedEntries));
        // Keep one sample older than the window so growth across the full window is known.
        var horizon = now - _options.SettleWindow;
        while (_samples.Count > 2 && _samples[1].At <= horizon) _samples.RemoveAt(0);
    }

    /// <summary>
    /// The node has no IPVS connection table at all (ip_vs not loaded: the daemon loads it with the
    /// configuration, before VRRP starts, so this means IPVS is unavailable here). Nothing can be
    /// synced or lost: the gate opens. A table that appears later counts again.
    /// </summary>
    public void ObserveNoTable(TimeSpan now) => _noTable = true;

    /// <summary>The number of connections the current master says it has.</summary>
    public void ObservePeerCount(long entries) => _peerCount = entries < 0 ? null : entries;

    public CatchUpVerdict Evaluate(TimeSpan now)
    {
        var waited = now - _started;
        var latest = _samples.Count == 0 ? (long?)null : _samples[^1].Count;
        if (_noTable)
            return new(true, "this node has no IPVS connection table (ip_vs is not loaded): no connection to wait for");
        if (latest is long have && _peerCount is long peer && have >= (long)Math.Ceiling(peer * _options.PeerFraction))
            return new(true, $"{have} synced entries, the master reports {peer}");
        if (waited >= _options.MaximumWait)
            return new(true, $"maximum wait of {Seconds(_options.MaximumWait)} reached with {latest ?? 0} synced entries", true);
        if (latest is null)
            return new(false, $"no reading of the connection table yet (waited {Seconds(waited)})");
        if (waited < _options.MinimumWait)
            return new(false, $"{latest} synced entries after {Seconds(waited)}; waiting at least {Seconds(_options.MinimumWait)} (one timeout: every connection that can survive is re-sent by then)");
        var horizon = now - _options.SettleWindow;
        var index = _samples.FindLastIndex(s => s.At <= horizon);
        if (index < 0)
            return new(false, $"{latest} synced entries; readings span less than the {Seconds(_options.SettleWindow)} settle window");
        var baseline = _samples[index];
        var growth = latest.Value - baseline.Count;
        var allowed = (long)Math.Floor(baseline.Count * _options.GrowthTolerance);
        return growth <= allowed
            ? new(true, $"{latest} synced entries, grew by {growth} in the last {Seconds(_options.SettleWindow)}")
            : new(false, $"{latest} synced entries, still growing (+{growth} in the last {Seconds(_options.SettleWindow)})");
    }

    public bool MayPreempt(TimeSpan now, out string reason)
    {
        var verdict = Evaluate(now);
        reason = verdict.Reason;
        return verdict.CaughtUp;
    }

    private static string Seconds(TimeSpan t) => $"{t.TotalSeconds:0.#} s";
}
