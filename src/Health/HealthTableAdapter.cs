using Appliance.Ipvs;

namespace Appliance.Health;

/// <summary>
/// Where health meets the IPVS reconciler. The IPVS side builds the configured table (every
/// service with every real server and its attributes: forwarding method, thresholds, tunnel);
/// this adapter applies the health view to it and returns the table to reconcile:
/// - a real server that is absent in the health view is dropped (the reconciler deletes it);
/// - a present one keeps every configured attribute and takes the health view's weight
///   (configured, misc_dynamic, or 0 when inhibited) — a weight change is an in-place edit;
/// - a service's sorry server is in the table with the service's forwarding method: at its
///   weight while the quorum is lost (keepalived adds it then), at weight 0 (quiesced) while the
///   quorum holds — keepalived deletes it, which silently kills the connections it serves;
/// - services and real servers the health view does not know are passed through unchanged.
/// Pure: same inputs, same table.
/// </summary>
public static class HealthTableAdapter
{
    public static DesiredTable Apply(DesiredTable configured, HealthTable health)
    {
        var byKey = new Dictionary<(string Protocol, string Address, int Port, uint Mark), ServiceHealth>();
        foreach (var s in health.Services) byKey[KeyOf(s.Key)] = s;

        var services = new List<VirtualServer>(configured.Services.Count);
        foreach (var vs in configured.Services)
        {
            if (!byKey.TryGetValue(KeyOf(vs.Service.Key), out var h))
            {
                services.Add(vs);
                continue;
            }
            var view = new Dictionary<(string, int), DestinationHealth>();
            foreach (var d in h.Destinations) view[(d.Address.Address.ToString(), d.Address.Port)] = d;
            var dests = new List<IpvsDestination>(vs.Destinations.Count + 1);
            foreach (var d in vs.Destinations)
            {
                if (!view.TryGetValue((d.Address.ToString(), d.Port), out var dh)) dests.Add(d);
                else if (dh.Present) dests.Add(d.Weight == dh.Weight ? d : d with { Weight = dh.Weight });
            }
            foreach (var sorry in h.Destinations)
            {
                if (!sorry.IsSorryServer) continue;
                if (dests.Any(d => d.Address.Equals(sorry.Address.Address) && d.Port == sorry.Address.Port)) continue;
                var forward = vs.Destinations.Count > 0 ? vs.Destinations[0].Forward : ForwardMethod.Masq;
                // Quiesced, not deleted, while the quorum holds: IPVS silently drops every further
                // packet of a connection whose destination was deleted (ip_vs_in: dest not
                // available), so deleting the sorry server when the real servers return would
                // hang the clients it was serving. At weight 0 it takes no new connection and
                // finishes the ones it has.
                dests.Add(new IpvsDestination(sorry.Address.Address, (ushort)sorry.Address.Port, forward, sorry.Present ? sorry.Weight : 0));
            }
            services.Add(vs with { Destinations = dests });
        }
        return new DesiredTable(services);
    }

    private static (string, string, int, uint) KeyOf(ServiceKey k) => k.IsFirewallMark
        ? ("FWM", "", 0, k.FirewallMark)
        : (ServiceKey.ProtocolName(k.Protocol), k.Address.ToString(), k.Port, 0);

    private static (string, string, int, uint) KeyOf(VirtualServerKey k) => k.Endpoint is null
        ? ("FWM", "", 0, k.Fwmark)
        : (k.Protocol, k.Endpoint.Address.ToString(), k.Endpoint.Port, 0);
}
