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
/// </summary>
public static class IpvsReconciler
{
    public static ReconcilePlan Plan(DesiredTable desired, KernelTable kernel, IReadOnlySet<ServiceKey> previouslyOwned)
    {
        var problems = new List<string>();
        var changes = new List<IpvsChange>();
        var wanted = new List<VirtualServer>();
        var wantedKeys = new HashSet<ServiceKey>();
        foreach (var vs in desired.Services)
        {
            var service = Normalize(vs.Service);
            if (!wantedKeys.Add(service.Key))
            {
                problems.Add($"virtual service {service.Key} is defined twice; the first definition is used");
                continue;
            }
            var dests = new List<IpvsDestination>();
            var seen = new HashSet<(System.Net.IPAddress, ushort)>();
            foreach (var d in vs.Destinations)
            {
                if (!seen.Add(d.Key)) problems.Add($"real server {d} is listed twice in {service.Key}; the first entry is used");
                else dests.Add(d);
            }
            wanted.Add(new VirtualServer(service, dests));
        }

        var current = new Dictionary<ServiceKey, (ServiceEntry Service, IReadOnlyList<DestinationEntry> Destinations)>();
        foreach (var s in kernel.Services) current[s.Service.Service.Key] = s;

        // Services we owned and no longer want go first: that frees nothing the adds need, but
        // it keeps a shrinking table from briefly being larger than both old and new.
        foreach (var s in kernel.Services)
        {
            var key = s.Service.Service.Key;
            if (previouslyOwned.Contains(key) && !wantedKeys.Contains(key))
                changes.Add(new IpvsChange(IpvsChangeKind.DeleteService, s.Service.Service));
        }

        foreach (var vs in wanted)
        {
            if (!current.TryGetValue(vs.Service.Key, out var existing))
            {
                changes.Add(new IpvsChange(IpvsChangeKind.AddService, vs.Service));
                foreach (var d in vs.Destinations) changes.Add(new IpvsChange(IpvsChangeKind.AddDestination, vs.Service, d));
                continue;
            }
            if (!SameSettings(vs.Service, existing.Service.Service))
                changes.Add(new IpvsChange(IpvsChangeKind.EditService, vs.Service));

            var have = new Dictionary<(System.Net.IPAddress, ushort), IpvsDestination>();
            foreach (var d in existing.Destinations) have[d.Destination.Key] = d.Destination;
            var want = new HashSet<(System.Net.IPAddress, ushort)>();
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

    /// <summary>An IPv6 service's netmask is a prefix length; the v4 "all ones" default means /128 there.</summary>
    public static IpvsService Normalize(IpvsService s) =>
        s.Key.Family == IpvsFamily.Inet6 && s.Netmask > 128 ? s with { Netmask = 128, Flags = s.UserFlags } : s with { Flags = s.UserFlags };

    public static bool SameSettings(IpvsService a, IpvsService b) =>
        a.Scheduler == b.Scheduler && a.UserFlags == b.UserFlags && a.Timeout == b.Timeout && a.Netmask == b.Netmask
        && (a.PeName ?? "") == (b.PeName ?? "");

    public static bool SameSettings(IpvsDestination a, IpvsDestination b) =>
        a.Forward == b.Forward && a.Weight == b.Weight && a.UpperThreshold == b.UpperThreshold && a.LowerThreshold == b.LowerThreshold
        && a.TunnelType == b.TunnelType && a.TunnelPort == b.TunnelPort && a.TunnelFlags == b.TunnelFlags;

    /// <summary>
    /// The kernel table after <paramref name="applied"/> succeeded on <paramref name="kernel"/>: the
    /// view a long-running owner (the daemon) keeps so that a reload or a health change is
    /// reconciled without dumping the whole table again. Counters of new entries start at zero.
    /// </summary>
    public static KernelTable Project(KernelTable kernel, IEnumerable<IpvsChange> applied)
    {
        var services = new List<ServiceKey>();
        var settings = new Dictionary<ServiceKey, ServiceEntry>();
        var dests = new Dictionary<ServiceKey, List<DestinationEntry>>();
        foreach (var (s, d) in kernel.Services)
        {
            var key = s.Service.Key;
            services.Add(key);
            settings[key] = s;
            dests[key] = [.. d];
        }
        foreach (var c in applied)
        {
            var key = c.Service.Key;
            switch (c.Kind)
            {
                case IpvsChangeKind.AddService:
                    services.Add(key);
                    settings[key] = new ServiceEntry(c.Service, default);
                    dests[key] = [];
                    break;
                case IpvsChangeKind.EditService when settings.TryGetValue(key, out var old):
                    settings[key] = old with { Service = c.Service };
                    break;
                case IpvsChangeKind.DeleteService:
                    services.Remove(key);
                    settings.Remove(key);
                    dests.Remove(key);
                    break;
                case IpvsChangeKind.AddDestination when dests.TryGetValue(key, out var list):
                    list.Add(new DestinationEntry(c.Destination!, 0, 0, 0, default));
                    break;
                case IpvsChangeKind.EditDestination when dests.TryGetValue(key, out var list):
                    var i = list.FindIndex(d => d.Destination.Key.Equals(c.Destination!.Key));
                    if (i >= 0) list[i] = list[i] with { Destination = c.Destination! };
                    break;
                case IpvsChangeKind.DeleteDestination when dests.TryGetValue(key, out var list):
                    list.RemoveAll(d => d.Destination.Key.Equals(c.Destination!.Key));
                    break;
            }
        }
        var table = new List<(ServiceEntry Service, IReadOnlyList<DestinationEntry> Destinations)>(services.Count);
        foreach (var k in services) table.Add((settings[k], dests[k]));
        return new KernelTable(table);
    }
}
