namespace Appliance.Ipvs;

/// <summary>What one reconciliation decided: the ordered changes, the services the appliance owns afterwards, and input problems.</summary>
public sealed record ReconcilePlan(IReadOnlyList<IpvsChange> Changes, IReadOnlySet<ServiceKey> Owned, IReadOnlyList<string> Problems);

/// <summary>
/// The pure IPVS reconciler: desired table + kernel table + previously owned keys → the minimal
/// ordered list of changes. It never flushes; it edits in place (a weight, threshold or
/// forwarding change is one SET_DEST, a scheduler/flags/persistence change one SET_SERVICE) so
/// established connections live on; it deletes only what it owns.
///
/// Ownership: a kernel service is the appliance's if its key is in the desired table now or was
/// in the last applied one (the previously owned keys, kept by <see cref="IpvsOwnershipStore"/>
/// across restarts). Anything else (an operator's ipvsadm experiment, another daemon's service)
/// is left alone. A desired service that already exists in the kernel is adopted and edited.
/// Inside an owned service every real server is the appliance's.
///
/// A plan can be scoped to some services (<see cref="ChangedServices"/>: those whose desired
/// state changed since the last apply); the kernel table passed in then needs to hold only
/// those, read fresh (see <see cref="IpvsApplier"/> for why that is safe).
/// </summary>
public static class IpvsReconciler
{
    public static ReconcilePlan Plan(DesiredTable desired, KernelTable kernel, IReadOnlySet<ServiceKey> previouslyOwned)
    {
        var problems = new List<string>();
        return Plan(Wanted(desired, problems), kernel, previouslyOwned, scope: null, problems);
    }

    /// <summary>
    /// The desired services as the kernel will report them (flags the kernel adds masked, an IPv6
    /// netmask as a prefix length), each key once: a second definition of a service or of a real
    /// server within one is reported in <paramref name="problems"/> and the first one is used.
    /// </summary>
    public static List<VirtualServer> Wanted(DesiredTable desired, List<string> problems)
    {
        var wanted = new List<VirtualServer>(desired.Services.Count);
        var wantedKeys = new HashSet<ServiceKey>();
        var seen = new HashSet<(System.Net.IPAddress, ushort)>();
        foreach (var vs in desired.Services)
        {
            var service = Normalize(vs.Service);
            if (!wantedKeys.Add(service.Key))
            {
                problems.Add($"virtual service {service.Key} is defined twice; the first definition is used");
                continue;
            }
            seen.Clear();
            List<IpvsDestination>? dests = null; // only copied when a duplicate has to be left out
            for (var i = 0; i < vs.Destinations.Count; i++)
            {
                var d = vs.Destinations[i];
                if (seen.Add(d.Key))
                {
                    dests?.Add(d);
                    continue;
                }
                problems.Add($"real server {d} is listed twice in {service.Key}; the first entry is used");
                if (dests is null)
                {
                    dests = new List<IpvsDestination>(vs.Destinations.Count);
                    for (var j = 0; j < i; j++) dests.Add(vs.Destinations[j]);
                }
            }
            wanted.Add(new VirtualServer(service, dests ?? vs.Destinations));
        }
        return wanted;
    }

    /// <summary>
    /// Plans over <paramref name="wanted"/> (from <see cref="Wanted"/>). With a
    /// <paramref name="scope"/>, only the services whose keys it holds are looked at, and
    /// <paramref name="kernel"/> needs to hold only those (a targeted read of the kernel); every
    /// wanted key is still in <see cref="ReconcilePlan.Owned"/>.
    /// </summary>
    public static ReconcilePlan Plan(IReadOnlyList<VirtualServer> wanted, KernelTable kernel, IReadOnlySet<ServiceKey> previouslyOwned,
        IReadOnlySet<ServiceKey>? scope, List<string>? problems = null)
    {
        problems ??= [];
        var changes = new List<IpvsChange>();
        var wantedKeys = new HashSet<ServiceKey>(wanted.Count);
        foreach (var vs in wanted) wantedKeys.Add(vs.Service.Key);

        var current = new Dictionary<ServiceKey, (ServiceEntry Service, IReadOnlyList<DestinationEntry> Destinations)>();
        foreach (var s in kernel.Services) current[s.Service.Service.Key] = s;

        // Services we owned and no longer want go first: that frees nothing the adds need, but
        // it keeps a shrinking table from briefly being larger than both old and new.
        foreach (var s in kernel.Services)
        {
            var key = s.Service.Service.Key;
            if (previouslyOwned.Contains(key) && !wantedKeys.Contains(key) && (scope is null || scope.Contains(key)))
                changes.Add(new IpvsChange(IpvsChangeKind.DeleteService, s.Service.Service));
        }

        // One pair of lookups reused for every service: a full table has thousands.
        var have = new Dictionary<(System.Net.IPAddress, ushort), IpvsDestination>();
        var want = new HashSet<(System.Net.IPAddress, ushort)>();
        foreach (var vs in wanted)
        {
            if (scope is not null && !scope.Contains(vs.Service.Key)) continue;
            if (!current.TryGetValue(vs.Service.Key, out var existing))
            {
                changes.Add(new IpvsChange(IpvsChangeKind.AddService, vs.Service));
                foreach (var d in vs.Destinations) changes.Add(new IpvsChange(IpvsChangeKind.AddDestination, vs.Service, d));
                continue;
            }
            if (!SameSettings(vs.Service, existing.Service.Service))
                changes.Add(new IpvsChange(IpvsChangeKind.EditService, vs.Service));

            have.Clear();
            foreach (var d in existing.Destinations) have[d.Destination.Key] = d.Destination;
            want.Clear();
            foreach (var d in vs.Destinations) want.Add(d.Key);
            foreach (var d in existing.Destinations)
                if (!want.Contains(d.Destination.Key))
                    changes.Add(new IpvsChange(IpvsChangeKind.DeleteDestination, vs.Service, d.Destination));
            foreach (var d in vs.Destinations)
            {
                if (!have.TryGetValue(d.Key, out var old)) changes.Add(new IpvsChange(IpvsChangeKind.AddDestination, vs.Service, d));
                else if (!SameSettings(d, old)) changes.Add(new IpvsChange(IpvsChangeKind.EditDestination, vs.Service, d));
            }
        }
        return new ReconcilePlan(changes, wantedKeys, problems);
    }

    /// <summary>
    /// The keys of the services whose desired state differs between <paramref name="applied"/>
    /// (what an earlier apply made the kernel hold) and <paramref name="wanted"/>: new ones,
    /// dropped ones, and those with other settings or real servers. Both sides come from
    /// <see cref="Wanted"/>. Real servers listed in another order count as a change (a harmless
    /// extra read, no extra request).
    /// </summary>
    public static HashSet<ServiceKey> ChangedServices(IReadOnlyList<VirtualServer> wanted, IReadOnlyDictionary<ServiceKey, VirtualServer> applied)
    {
        var changed = new HashSet<ServiceKey>();
        var stillWanted = 0;
        foreach (var vs in wanted)
        {
            if (!applied.TryGetValue(vs.Service.Key, out var old)) changed.Add(vs.Service.Key);
            else
            {
                stillWanted++;
                if (!SameServer(vs, old)) changed.Add(vs.Service.Key);
            }
        }
        if (stillWanted != applied.Count)
        {
            var wantedKeys = new HashSet<ServiceKey>(wanted.Count);
            foreach (var vs in wanted) wantedKeys.Add(vs.Service.Key);
            foreach (var key in applied.Keys)
                if (!wantedKeys.Contains(key)) changed.Add(key);
        }
        return changed;
    }

    /// <summary>
    /// What the kernel holds as wanted after an apply, for the next <see cref="ChangedServices"/>:
    /// all of <paramref name="wanted"/> after a whole-table apply (<paramref name="scope"/> null),
    /// only the services in <paramref name="scope"/> updated after a targeted one. A service with a
    /// refused change (<paramref name="failed"/>) is left out, so the next apply reads and plans it
    /// again. Updates <paramref name="applied"/> in place when it is reused.
    /// </summary>
    public static Dictionary<ServiceKey, VirtualServer> RecordApplied(Dictionary<ServiceKey, VirtualServer>? applied,
        IReadOnlyList<VirtualServer> wanted, IReadOnlySet<ServiceKey>? scope, IReadOnlySet<ServiceKey> failed)
    {
        if (scope is null || applied is null)
        {
            applied = new Dictionary<ServiceKey, VirtualServer>(wanted.Count);
            foreach (var vs in wanted)
                if (!failed.Contains(vs.Service.Key)) applied[vs.Service.Key] = vs;
            return applied;
        }
        foreach (var key in scope) applied.Remove(key);
        foreach (var vs in wanted)
            if (scope.Contains(vs.Service.Key) && !failed.Contains(vs.Service.Key)) applied[vs.Service.Key] = vs;
        return applied;
    }

    private static bool SameServer(VirtualServer a, VirtualServer b)
    {
        if (ReferenceEquals(a, b)) return true;
        if (!SameSettings(a.Service, b.Service) || a.Destinations.Count != b.Destinations.Count) return false;
        for (var i = 0; i < a.Destinations.Count; i++)
        {
            IpvsDestination x = a.Destinations[i], y = b.Destinations[i];
            if (x.Port != y.Port || !x.Address.Equals(y.Address) || !SameSettings(x, y)) return false;
        }
        return true;
    }

    /// <summary>An IPv6 service's netmask is a prefix length; the v4 "all ones" default means /128 there.</summary>
    public static IpvsService Normalize(IpvsService s) =>
        s.Key.Family == IpvsFamily.Inet6 && s.Netmask > 128 ? s with { Netmask = 128, Flags = s.UserFlags } : s with { Flags = s.UserFlags };

    public static bool SameSettings(IpvsService a, IpvsService b) =>
        a.Scheduler == b.Scheduler && a.UserFlags == b.UserFlags && a.Timeout == b.Timeout && a.Netmask == b.Netmask
        && (a.PeName ?? "") == (b.PeName ?? "");

    public static bool SameSettings(IpvsDestination a, IpvsDestination b) =>
        a.Forward == b.Forward && a.Weight == b.Weight && a.UpperThreshold == b.UpperThreshold && a.LowerThreshold == b.LowerThreshold
        && a.TunnelType == b.TunnelType && a.TunnelPort == b.TunnelPort && a.TunnelFlags == b.TunnelFlags;
}
