namespace Appliance.Vrrp;

/// <summary>
/// Several instances that move together (keepalived's <c>vrrp_sync_group</c>; the appliance's default: the
/// whole director fails over, never half of it). When one member enters MASTER, BACKUP or FAULT by its own
/// decision, the others follow. Pure: returns each member's actions tagged with the member index.
/// </summary>
public sealed class VrrpSyncGroup
{
    private readonly VrrpMachine[] _members;

    public VrrpSyncGroup(string name, IEnumerable<VrrpMachine> members)
    {
        Name = name;
        _members = members.ToArray();
        if (_members.Length == 0) throw new ArgumentException($"sync group {name} has no instances", nameof(members));
    }

    public string Name { get; }
    public IReadOnlyList<VrrpMachine> Members => _members;

    /// <summary>Sends <paramref name="e"/> to every member (start-up, shutdown, link changes, permission, operator).</summary>
    public IReadOnlyList<(int Member, VrrpAction Action)> HandleAll(VrrpEvent e, TimeSpan now)
    {
        var result = new List<(int, VrrpAction)>();
        for (int i = 0; i < _members.Length; i++)
            Tag(result, i, _members[i].Handle(e, now));
        Propagate(result, now);
        return result;
    }

    /// <summary>Sends <paramref name="e"/> to one member (an advert or a timer of that instance).</summary>
    public IReadOnlyList<(int Member, VrrpAction Action)> Handle(int member, VrrpEvent e, TimeSpan now)
    {
        var result = new List<(int, VrrpAction)>();
        Tag(result, member, _members[member].Handle(e, now));
        Propagate(result, now);
        return result;
    }

    // Only transitions a member made by itself are propagated, once: followers' transitions are not, so no loops.
    private void Propagate(List<(int Member, VrrpAction Action)> result, TimeSpan now)
    {
        if (_members.Length == 1) return;
        // The last decision wins if several members moved on the same event (e.g. all saw the public link go down).
        int leader = -1;
        VrrpAction.StateChanged? found = null;
        foreach (var r in result)
            if (r.Action is VrrpAction.StateChanged s && s.To is VrrpState.Master or VrrpState.Backup or VrrpState.Fault) (leader, found) = (r.Member, s);
        if (found is not { } change) return;
        for (int i = 0; i < _members.Length; i++)
        {
            if (i == leader || _members[i].State == change.To || _members[i].Stopped) continue;
            var reason = $"{_members[leader].Config.Name} entered {change.To} ({change.Reason})";
            Tag(result, i, _members[i].Handle(new VrrpEvent.GroupTransition(change.To, reason), now));
        }
    }

    // Plain loops, not Select over tuples: LINQ over value types costs NativeAOT megabytes (docs/benchmarks.md, Binary size).
    private static void Tag(List<(int Member, VrrpAction Action)> result, int member, IReadOnlyList<VrrpAction> actions)
    {
        foreach (var a in actions) result.Add((member, a));
    }
}
