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
/// the service's posting methods). If VRRP cannot start yet (a NIC missing or without an address at
/// boot), the error is logged and the start is retried every second: the daemon keeps running and holds
/// no VIP meanwhile. <see cref="Dispose"/> stops it gracefully — priority 0, VIPs released, notify STOP —
/// and waits for that to finish.
/// </summary>
public sealed class VrrpHost : IDisposable
{
    private static readonly TimeSpan RetryInterval = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan RetrySlice = TimeSpan.FromMilliseconds(100);
    private readonly CancellationTokenSource _stop = new();
    private readonly Thread _thread;
    private volatile VrrpService? _service;
    private volatile string? _startError;

    private readonly Action<VrrpStateChange>? _stateChanged;
    private readonly Action<TimeSpan>? _loopTurn;
    private readonly ITakeoverAuthority? _authority;
    private readonly bool _preemptionGated;

    private VrrpHost(IReadOnlyList<VrrpInstanceConfig> instances, bool groupFailover, ILog log, IClock clock, Action<VrrpStateChange>? stateChanged, Action<TimeSpan>? loopTurn, ITakeoverAuthority? authority, bool preemptionGated)
    {
        _stateChanged = stateChanged;
        _loopTurn = loopTurn;
        _authority = authority;
        _preemptionGated = preemptionGated;
        _thread = new Thread(() => { OsThreadName.FromManaged(); Run(instances, groupFailover, log, clock); }) { Name = "vrrp-loop", IsBackground = true };
        _thread.Start();
    }

    /// <summary>The running service; null until VRRP has started.</summary>
    public VrrpService? Service => _service;

    /// <summary>Posts the sync catch-up gate's verdict to the running service; false while VRRP has not started (try again later).</summary>
    public bool TrySetPreemptionGate(bool open, TimeSpan waitingSince, string reason)
    {
        if (_service is not { } service) return false;
        service.SetPreemptionGate(open, waitingSince, reason);
        return true;
    }

    /// <summary>Why VRRP has not started yet (retried every second); null once it runs.</summary>
    public string? StartError => _startError;

    /// <summary>
    /// Starts VRRP for <paramref name="config"/>; null when it has no vrrp_instance.
    /// <paramref name="stateChanged"/> is told of every state change and <paramref name="loopTurn"/> of every
    /// turn of the loop, both on the VRRP thread (see <see cref="VrrpService.StateChanged"/>, <see cref="VrrpService.LoopTurn"/>).
    /// With an <paramref name="authority"/> (the split-brain guard) every service this host creates
    /// starts with takeover withheld and is attached to it once started.
    /// </summary>
    public static VrrpHost? Start(ApplianceConfig config, ILog log, IClock clock, Action<VrrpStateChange>? stateChanged = null, Action<TimeSpan>? loopTurn = null,
        ITakeoverAuthority? authority = null)
    {
        var instances = VrrpConfigMapping.Instances(config);
        // With connection sync on, the daemon's DirectorStatePart runs the catch-up gate and posts its verdicts
        // (VrrpService.SetPreemptionGate): preemption waits for the connection table (docs/sync.md "Failback").
        return instances.Count == 0 ? null : new VrrpHost(instances, config.Global.GroupFailover, log, clock, stateChanged, loopTurn, authority, config.Sync.Enabled);
    }

    private void Run(IReadOnlyList<VrrpInstanceConfig> instances, bool groupFailover, ILog log, IClock clock)
    {
        string? lastError = null;
        while (!_stop.IsCancellationRequested)
        {
            var table = new RtnetlinkAddressClient();
            VrrpService? service = null;
            try
            {
                service = new VrrpService(instances, groupFailover, log, clock, table, c => LocalAddress(table, c))
                {
                    StateChanged = _stateChanged,
                    LoopTurn = _loopTurn,
                    TakeoverNeedsPermission = _authority is not null,
                    PreemptionGated = _preemptionGated,
                };
                service.Start();
            }
            catch (Exception e) when (e is InvalidOperationException or IOException or SocketException or ArgumentException)
            {
                service?.Dispose();
                table.Dispose();
                if (e.Message != lastError) log.Error("vrrp", $"cannot start VRRP: {e.Message}; retrying every {RetryInterval.TotalSeconds:0} s, no VIP is held meanwhile");
                lastError = e.Message;
                _startError = e.Message;
                // Waiting to retry is progress too: the watchdog must not reset a box whose NIC is late.
                for (var waited = TimeSpan.Zero; waited < RetryInterval && !_stop.IsCancellationRequested; waited += RetrySlice)
                {
                    _loopTurn?.Invoke(clock.Now);
                    _stop.Token.WaitHandle.WaitOne(RetrySlice);
                }
                continue;
            }
            if (lastError is not null) log.Notice("vrrp", "VRRP started");
            _startError = null;
            _service = service;
            _authority?.Attach(service);
            try { service.Run(_stop.Token); }
            finally
            {
                _authority?.Detach(service);
                service.Dispose();
                table.Dispose();
            }
            return;
        }
    }

    /// <summary>The heartbeat NIC's IPv4 address, or its IPv6 link-local address (RFC 5798 §5.1.2.1).</summary>
    public static IPAddress LocalAddress(IAddressTable table, VrrpInstanceConfig c)
    {
        int index = NetworkInterfaces.Index(c.Interface);
        IPAddress? found = null;
        foreach (var a in table.List(c.Family))
            if (a.InterfaceIndex == index && (c.Family == AddressFamily.InterNetwork || a.Address.IsIPv6LinkLocal)) { found = a.Address; break; }
        return found ?? throw new InvalidOperationException($"{c.Name}: interface {c.Interface} has no {(c.Family == AddressFamily.InterNetwork ? "IPv4" : "IPv6 link-local")} address to send adverts from");
    }

    public void Dispose()
    {
        _stop.Cancel();
        _thread.Join();
        _stop.Dispose();
    }
}
