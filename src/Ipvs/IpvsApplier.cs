using System.Diagnostics;

namespace Appliance.Ipvs;

/// <summary>Where one apply spent its time: reading the kernel, planning, the change requests, recording ownership.</summary>
public readonly record struct ApplyTimings(TimeSpan Read, TimeSpan Plan, TimeSpan Execute, TimeSpan Record)
{
    public override string ToString() => string.Create(System.Globalization.CultureInfo.InvariantCulture,
        $"read {Read.TotalMilliseconds:F1} ms, plan {Plan.TotalMilliseconds:F1} ms, requests {Execute.TotalMilliseconds:F1} ms, record {Record.TotalMilliseconds:F1} ms");
}

/// <summary>What one apply did, for the log, the CLI and tests. <see cref="ServicesRead"/>: services read from the kernel (all of them, or the changed ones).</summary>
public sealed record ApplyReport(IReadOnlyList<IpvsChange> Planned, int Applied, IReadOnlyList<string> Errors, IReadOnlyList<string> Problems, TimeSpan Elapsed)
{
    public bool Ok => Errors.Count == 0 && Problems.Count == 0;
    public bool FullRead { get; init; } = true;
    public int ServicesRead { get; init; }
    public ApplyTimings Timings { get; init; }
}

/// <summary>
/// The shell around <see cref="IpvsReconciler"/>: reads the kernel's table, plans, executes the
/// changes in batches, and records ownership. A refusal (unknown scheduler, duplicate, bad value)
/// is reported with a message naming the operation and object and the rest is still applied.
/// The daemon (start, SIGHUP reload, health changes) and <c>appliance ipvs apply</c> use this same path.
///
/// How the kernel is read: the first apply of an instance (and any apply with
/// <c>incremental</c> false) dumps the whole table. A later incremental apply compares the new
/// desired table with the one this instance last applied and reads from the kernel, fresh, only
/// the services whose desired state changed (plus any whose changes were refused last time), and
/// plans only those. Every request is therefore computed from the kernel's state of that service
/// read in this same apply, never from a remembered view, so an edit made behind the
/// appliance's back in a service it is about to change is seen and taken into account. A service
/// whose desired state did not change gets no request at all, so nothing is done on a stale
/// assumption about it; drift there (an operator's ipvsadm edit) is repaired by the next full
/// read, which the daemon does every <see cref="IpvsDaemonHook.ResyncEvery"/> applies.
/// </summary>
public sealed class IpvsApplier
{
    private readonly IpvsClient _client;
    private readonly IpvsOwnershipStore _ownership;
    // The desired services as this instance last applied them without a refusal; null = none yet (read everything).
    private Dictionary<ServiceKey, VirtualServer>? _applied;
    // Services with a refused change last time: read and planned again next time even if their desired state is the same.
    private HashSet<ServiceKey> _retry = [];
    // What the ownership file holds, once read: a reload neither re-reads nor rewrites it unless it changes.
    private HashSet<ServiceKey>? _owned;
    private bool _fileStale;

    public IpvsApplier(IpvsClient client, IpvsOwnershipStore ownership)
    {
        _client = client;
        _ownership = ownership;
    }

    /// <summary>Forgets what was applied: the next apply reads the kernel's whole table.</summary>
    public void Invalidate() => _applied = null;

    /// <summary>
    /// Reconciles once. With <paramref name="incremental"/> (the daemon's reload and health-change
    /// path) only the services whose desired state changed since this instance's last apply are
    /// read from the kernel and planned; without it, or on the first apply, the whole table is read.
    /// </summary>
    public ApplyReport Apply(DesiredTable desired, bool incremental = false, int batchSize = IpvsClient.DefaultBatchSize)
    {
        var clock = Stopwatch.StartNew();
        var problems = new List<string>();
        var previouslyOwned = _owned ?? [.. _ownership.Load(problems)];
        var wanted = IpvsReconciler.Wanted(desired, problems);
        HashSet<ServiceKey>? scope = null;
        KernelTable kernel;
        if (incremental && _applied is not null)
        {
            scope = IpvsReconciler.ChangedServices(wanted, _applied);
            scope.UnionWith(_retry);
            kernel = _client.ReadServices(scope);
        }
        else kernel = _client.ReadTable();
        var read = clock.Elapsed;
        var plan = IpvsReconciler.Plan(wanted, kernel, previouslyOwned, scope);
        problems.AddRange(plan.Problems);
        var planned = clock.Elapsed;
        var results = _client.Execute(plan.Changes, batchSize);
        var executed = clock.Elapsed;

        var errors = new List<string>();
        var owned = new HashSet<ServiceKey>(plan.Owned);
        var refusedServices = new HashSet<ServiceKey>();
        var skippedDests = new Dictionary<ServiceKey, int>();
        var failed = new HashSet<ServiceKey>();
        foreach (var r in results)
        {
            if (r.Ok) continue;
            var key = r.Change.Service.Key;
            failed.Add(key);
            switch (r.Change.Kind)
            {
                case IpvsChangeKind.AddService:
                    refusedServices.Add(key);
                    owned.Remove(key); // nothing of ours exists under that key
                    errors.Add(r.Message!);
                    break;
                case IpvsChangeKind.DeleteService:
                    if (r.Error != Netlink.Errno.ESRCH) { owned.Add(key); errors.Add(r.Message!); } // still ours: retried next time
                    break;
                case IpvsChangeKind.AddDestination when refusedServices.Contains(key):
                    // Follows from the service refusal above; one line says it instead of one per server.
                    skippedDests[key] = skippedDests.GetValueOrDefault(key) + 1;
                    break;
                default:
                    errors.Add(r.Message!);
                    break;
            }
        }
        RecordApplied(wanted, scope, failed);
        foreach (var (key, count) in skippedDests)
            errors.Add($"adding {count} real server{(count == 1 ? "" : "s")} to {key}: skipped because the service itself was refused");
        if (_fileStale || !owned.SetEquals(previouslyOwned))
        {
            try
            {
                _ownership.Save(owned);
                _fileStale = false;
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                _fileStale = true; // memory stays right for this process; the file is retried next apply
                problems.Add($"saving the IPVS ownership file {_ownership.Path}: {e.Message}; a restart may leave removed services behind");
            }
        }
        _owned = owned;
        var ok = 0;
        foreach (var r in results) if (r.Ok) ok++;
        return new ApplyReport(plan.Changes, ok, errors, problems, clock.Elapsed)
        {
            FullRead = scope is null,
            ServicesRead = kernel.Services.Count,
            Timings = new ApplyTimings(read, planned - read, executed - planned, clock.Elapsed - executed),
        };
    }

    private void RecordApplied(List<VirtualServer> wanted, HashSet<ServiceKey>? scope, HashSet<ServiceKey> failed)
    {
        _applied = IpvsReconciler.RecordApplied(_applied, wanted, scope, failed);
        _retry = failed;
    }
}
