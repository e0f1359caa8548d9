using Appliance.Config;
using Appliance.Core;
using Appliance.Logging;
using Appliance.PeerLink;
using Appliance.Vrrp;

namespace Appliance.Arbiter;

/// <summary>
/// The split-brain arbiter inside <c>appliance run</c>, built from the validated configuration:
/// the serial heartbeat (<c>[serial_heartbeat]</c>, when enabled) on its own thread and the
/// <see cref="SplitBrainGuard"/> on another, both started with the daemon, before VRRP. The guard
/// is the <see cref="ITakeoverAuthority"/> handed to <see cref="VrrpHost"/>: every VRRP service the
/// host creates starts with takeover withheld and takes over only when the guard permits it.
/// <see cref="Dispose"/>, after VRRP's graceful stop, says STOPPING over the serial link (break
/// before make: the VIPs are already gone), then ends both threads.
/// </summary>
public sealed class ArbiterHost : IDisposable
{
    private const string Component = "arbiter";
    private static readonly TimeSpan StopAnnouncementBound = TimeSpan.FromMilliseconds(500);

    private readonly SplitBrainGuard _guard;
    private readonly PeerLinkEndpoint? _endpoint;
    private readonly ILog _log;
    private readonly CancellationTokenSource _guardStop = new();
    private readonly CancellationTokenSource _linkStop = new();
    private readonly Thread _guardThread;
    private readonly Thread? _linkThread;

    private ArbiterHost(SplitBrainGuard guard, PeerLinkEndpoint? endpoint, ILog log, IClock clock,
        Action<TimeSpan>? guardTurn, Action<TimeSpan>? linkTurn)
    {
        _guard = guard;
        _endpoint = endpoint;
        _log = log;
        _linkThread = endpoint is null ? null : new Thread(() => { OsThreadName.FromManaged(); endpoint.Run(clock, _linkStop.Token, linkTurn); }) { Name = "peerlink", IsBackground = true };
        _guardThread = new Thread(() => { OsThreadName.FromManaged(); guard.Run(_guardStop.Token, guardTurn); }) { Name = "arbiter", IsBackground = true };
        _linkThread?.Start();
        _guardThread.Start();
    }

    /// <summary>What VRRP must ask before taking over.</summary>
    public ITakeoverAuthority Authority => _guard;

    /// <summary>The serial link's snapshot (null without <c>[serial_heartbeat]</c>); safe from any thread.</summary>
    public PeerLinkStatus? PeerLink => _endpoint?.Status;

    /// <summary>The guard's last decision with its evidence; null before VRRP has started. Safe from any thread.</summary>
    public GuardSnapshot? Guard => _guard.Published;

    /// <summary>The guard's last decision; null before VRRP has started.</summary>
    public Decision? LastDecision => _guard.LastDecision;

    /// <summary>True when <paramref name="config"/> runs the arbiter: an appliance on the other end and at least one VRRP instance.</summary>
    public static bool Applies(ApplianceConfig config) => config.Global.PeerIsAppliance && config.VrrpInstances.Count > 0;

    /// <summary>True when the arbiter also runs the serial heartbeat.</summary>
    public static bool UsesSerial(ApplianceConfig config) => Applies(config) && config.SerialHeartbeat is { Enabled: true, Key: not null };

    /// <summary>
    /// Starts the arbiter for <paramref name="config"/>; null when it does not apply (a keepalived
    /// peer: plain VRRP, as keepalived itself does). <paramref name="vouch"/> registers a thread
    /// with the watchdog gate by name and returns its progress callback (null: no watchdog).
    /// <paramref name="frontPanel"/> is told, on the guard's thread, when the front-panel fault indication changes.
    /// </summary>
    public static ArbiterHost? Start(ApplianceConfig config, ILog log, IClock clock, Func<string, Action<TimeSpan>?> vouch, Action<Decision>? frontPanel = null)
    {
        if (!Applies(config)) return null;
        var instances = VrrpConfigMapping.Instances(config);
        var g = config.Global;
        var guardOptions = new GuardOptions
        {
            HeartbeatInterface = instances[0].Interface,
            PublicInterface = instances[0].PublicInterface,
            PublicAddress = g.PublicAddress,
            PeerPublicAddress = g.PeerPublicAddress,
            NodeId = (uint)g.NodeId,
        };
        if (g.PeerPublicAddress is null)
            log.Warning(Component, "no peer_public_address in [global]: the arbiter cannot ask the peer on the public NIC and takes over when the VRRP adverts and the serial link are both silent");

        SplitBrainGuard? guard = null;
        PeerLinkEndpoint? endpoint = null;
        var serial = config.SerialHeartbeat;
        if (UsesSerial(config))
        {
            var options = new PeerLinkOptions { NodeId = (uint)g.NodeId, Interval = serial.Interval, DeadTime = serial.DeadTime };
            options.Validate();
            endpoint = new PeerLinkEndpoint(new SerialPort(serial.Device, serial.Baud),
                new PeerLinkSession(options, new PeerLinkKey(serial.Key!.Reveal()), BootIds.New()),
                // The guard exists before the link's thread starts (below): the lambda runs on that thread.
                () => guard!.LocalStatus, log,
                o => { if (o.NewCommand != PeerCommand.None) log.Notice("peerlink", $"the peer says {o.NewCommand}"); });
        }
        else log.Warning(Component, "[serial_heartbeat] is disabled: the arbiter decides from VRRP, the carriers and the ARP probe; a cut heartbeat link is then judged by the probe alone");
        guard = new SplitBrainGuard(guardOptions, endpoint, log, clock, frontPanel);
        var guardTurn = vouch("arbiter");
        var linkTurn = endpoint is null ? null : vouch("peerlink");
        return new ArbiterHost(guard, endpoint, log, clock, guardTurn, linkTurn);
    }

    /// <summary>After VRRP's graceful stop: STOPPING over the serial link (acknowledged or 500 ms), then both threads end.</summary>
    public void Dispose()
    {
        _guardStop.Cancel();
        _guardThread.Join();
        _guard.AnnounceStop(StopAnnouncementBound);
        _linkStop.Cancel();
        _linkThread?.Join();
        if (_endpoint is not null)
        {
            _log.Info("peerlink", $"stopped; {_endpoint.Status.Counters}");
            _endpoint.Dispose();
        }
        _guard.Dispose();
        _guardStop.Dispose();
        _linkStop.Dispose();
    }
}
