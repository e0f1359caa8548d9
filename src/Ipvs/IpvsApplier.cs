using System.Diagnostics;

namespace Appliance.Ipvs;

/// <summary>What one apply did, for the log, the CLI and tests.</summary>
public sealed record ApplyReport(IReadOnlyList<IpvsChange> Planned, int Applied, IReadOnlyList<string> Errors, IReadOnlyList<string> Problems, TimeSpan Elapsed)
{
    public bool Ok => Errors.Count == 0 && Problems.Count == 0;
}

/// <summary>
/// The shell around <see cref="IpvsReconciler"/>: reads the kernel's table, plans, executes the
/// changes in batches, and records ownership. A refusal (unknown scheduler, duplicate, bad value)
/// is reported with a message naming the operation and object and the rest is still applied.
/// The daemon (start, SIGHUP reload, health changes) and <c>appliance ipvs apply</c> use this same path.
/// </summary>
public sealed class IpvsApplier
{
    private readonly IpvsClient _client;
    private readonly IpvsOwnershipStore _ownership;
    // The kernel table as the last fully successful apply left it; null = read it again.
    private KernelTable? _view;
    // What the ownership file holds, once read: a reload neither re-reads nor rewrites it unless it changes.
    private HashSet<ServiceKey>? _owned;
    private bool _fileStale;

    public IpvsApplier(IpvsClient client, IpvsOwnershipStore ownership)
    {
        _client = client;
        _ownership = ownership;
    }

    /// <summary>Forgets the cached view: the next apply dumps the kernel's table.</summary>
    public void Invalidate() => _view = null;

    /// <summary>
    /// Reconciles once. With <paramref name="trustView"/> the table left by the previous apply of
    /// this instance is used instead of a fresh dump (the daemon's reload and health-change path;
    /// after any refusal the view is dropped and the next apply reads the kernel again). Services
    /// someone else adds meanwhile are unowned and would be left alone anyway; the daemon also
    /// drops the view periodically so edits made behind its back are repaired.
    /// </summary>
    public ApplyReport Apply(DesiredTable desired, bool trustView = false, int batchSize = IpvsClient.DefaultBatchSize)
    {
        var clock = Stopwatch.StartNew();
        var problems = new List<string>();
        var previouslyOwned = _owned ?? [.. _ownership.Load(problems)];
        var kernel = trustView && _view is not null ? _view : _client.ReadTable();
        var plan = IpvsReconciler.Plan(desired, kernel, previouslyOwned);
        problems.AddRange(plan.Problems);
        var results = _client.Execute(plan.Changes, batchSize);

        var errors = new List<string>();
        var owned = new HashSet<ServiceKey>(plan.Owned);
        var refusedServices = new HashSet<ServiceKey>();
        var skippedDests = new Dictionary<ServiceKey, int>();
        foreach (var r in results)
        {
            if (r.Ok) continue;
            var key = r.Change.Service.Key;
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
        _view = results.All(r => r.Ok) ? IpvsReconciler.Project(kernel, plan.Changes) : null;
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
        return new ApplyReport(plan.Changes, results.Count(r => r.Ok), errors, problems, clock.Elapsed);
    }
}
