using System.Net.Sockets;
using Appliance.Vrrp;

namespace Appliance.Takeover;

/// <summary>
/// Puts the VIPs of instances on the public NIC and takes them off. Idempotent (already present / already gone
/// are fine), and at start-up removes configured VIPs a previous run left behind, so a restarted daemon never
/// holds a VIP it has not won.
/// </summary>
public sealed class VipManager
{
    private readonly IAddressTable _table;

    public VipManager(IAddressTable table) => _table = table;

    public void Add(int ifindex, IEnumerable<VirtualAddress> vips)
    {
        foreach (var vip in vips) _table.Add(ifindex, vip);
    }

    public void Remove(int ifindex, IEnumerable<VirtualAddress> vips)
    {
        foreach (var vip in vips) _table.Remove(ifindex, vip);
    }

    /// <summary>Configured VIPs found on the public NIC: leftovers of a previous run. Returns what it removed.</summary>
    public IReadOnlyList<VirtualAddress> RemoveLeftovers(int ifindex, IEnumerable<VirtualAddress> configured)
    {
        var wanted = configured.ToList();
        var present = new List<RouteAddress.InterfaceAddress>();
        foreach (var a in _table.List(AddressFamily.Unspecified))
            if (a.InterfaceIndex == ifindex) present.Add(a);
        var removed = new List<VirtualAddress>();
        foreach (var vip in wanted)
        {
            var hit = present.FirstOrDefault(p => p.Address.Equals(vip.Address));
            if (hit.Address is null) continue;
            var actual = new VirtualAddress(hit.Address, hit.PrefixLength);
            if (_table.Remove(ifindex, actual)) removed.Add(actual);
        }
        return removed;
    }
}
