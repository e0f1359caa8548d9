using Appliance.Ipvs;

namespace Appliance.Sync;

/// <summary>
/// The kernel's sync daemons through the appliance's one IPVS codec (src/Ipvs: NEW_DAEMON,
/// DEL_DAEMON and GET_DAEMON byte for byte as ipvsadm sends them, checked against its golden
/// capture). This class only maps the sync subsystem's terms (<see cref="SyncDaemonConfig"/>,
/// <see cref="SyncDaemonKind"/>) onto the IPVS model.
/// </summary>
public sealed class SyncDaemonClient : IDisposable
{
    private readonly IpvsClient _ipvs;

    private SyncDaemonClient(IpvsClient ipvs) => _ipvs = ipvs;

    /// <summary>Opens a generic-netlink socket and resolves the IPVS family (ENOENT: ip_vs not loaded).</summary>
    public static SyncDaemonClient Open() => new(IpvsClient.Open());

    public IReadOnlyList<SyncDaemonConfig> List()
    {
        var list = new List<SyncDaemonConfig>();
        foreach (var d in _ipvs.GetDaemons()) list.Add(FromIpvs(d));
        return list;
    }

    public void Start(SyncDaemonConfig config) => _ipvs.StartDaemon(ToIpvs(config));

    public void Stop(SyncDaemonKind kind) => _ipvs.StopDaemon((SyncState)kind);

    public void Dispose() => _ipvs.Dispose();

    /// <summary>The IPVS model of a daemon to start; zero fields stay zero (the kernel's defaults, as ipvsadm without the option).</summary>
    public static SyncDaemon ToIpvs(SyncDaemonConfig c) => new((SyncState)c.Kind, c.Interface, c.SyncId, c.MaxLength, c.Group, c.Port, c.Ttl);

    /// <summary>A daemon the kernel reports; <see cref="IpvsCodec.TryReadDaemon"/> has already refused other states and sync ids above 255.</summary>
    public static SyncDaemonConfig FromIpvs(SyncDaemon d) => new((SyncDaemonKind)d.State, d.Interface, (byte)d.SyncId, d.MaxLength, d.Group, d.Port, d.Ttl);
}
