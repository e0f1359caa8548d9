using System.Net;
using System.Net.Sockets;
using Appliance.Config;
using Appliance.Core;
using Appliance.Logging;
using Appliance.Takeover;

namespace Appliance.Vrrp;

/// <summary>
/// VRRP inside <c>appliance run</c>: builds the <see cref="VrrpService"/> from the validated configuration
/// and runs its loop on a dedicated thread (it owns all VRRP state; the daemon talks to it only through
/// <see cref="Service"/>'s posting methods). <see cref="Dispose"/> stops it gracefully: priority 0,
/// VIPs released, notify STOP — and waits for that to finish.
/// </summary>
public sealed class VrrpHost : IDisposable
{
    private readonly RtnetlinkAddressClient _table;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _run;

    private VrrpHost(RtnetlinkAddressClient table, VrrpService service)
    {
        _table = table;
        Service = service;
        _run = service.RunAsync(_stop.Token);
    }

    public VrrpService Service { get; }

    /// <summary>
    /// Starts VRRP for <paramref name="config"/>; null when it has no vrrp_instance.
    /// <paramref name="stateChanged"/> is told of every state change and <paramref name="loopTurn"/> of every
    /// turn of the loop, both on the VRRP thread (see <see cref="VrrpService.StateChanged"/>, <see cref="VrrpService.LoopTurn"/>).
    /// </summary>
    public static VrrpHost? Start(ApplianceConfig config, ILog log, IClock clock, Action<VrrpStateChange>? stateChanged = null, Action<TimeSpan>? loopTurn = null)
    {
        var instances = VrrpConfigMapping.Instances(config);
        if (instances.Count == 0) return null;
        var table = new RtnetlinkAddressClient();
        try
        {
            var service = new VrrpService(instances, config.Global.GroupFailover, log, clock, table, c => LocalAddress(table, c))
            {
                StateChanged = stateChanged,
                LoopTurn = loopTurn,
            };
            try
            {
                service.Start(); // sockets, leftover VIPs: errors surface here, before the daemon reports it runs
            }
            catch
            {
                service.Dispose();
                throw;
            }
            return new VrrpHost(table, service);
        }
        catch
        {
            table.Dispose();
            throw;
        }
    }

    /// <summary>The heartbeat NIC's IPv4 address, or its IPv6 link-local address (RFC 5798 §5.1.2.1).</summary>
    public static IPAddress LocalAddress(IAddressTable table, VrrpInstanceConfig c)
    {
        int index = NetworkInterfaces.Index(c.Interface);
        var found = table.List(c.Family).Where(a => a.InterfaceIndex == index)
            .Select(a => a.Address)
            .FirstOrDefault(a => c.Family == AddressFamily.InterNetwork || a.IsIPv6LinkLocal);
        return found ?? throw new InvalidOperationException($"{c.Name}: interface {c.Interface} has no {(c.Family == AddressFamily.InterNetwork ? "IPv4" : "IPv6 link-local")} address to send adverts from");
    }

    public void Dispose()
    {
        _stop.Cancel();
        _run.GetAwaiter().GetResult();
        Service.Dispose();
        _table.Dispose();
        _stop.Dispose();
    }
}
