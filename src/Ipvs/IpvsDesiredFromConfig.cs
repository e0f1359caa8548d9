using System.Net;
using System.Net.Sockets;
using Appliance.Config;
using Cfg = Appliance.Config;

namespace Appliance.Ipvs;

/// <summary>
/// The mapping configuration → desired IPVS table (keepalived's virtual_server/real_server
/// semantics). Health checks later hand the reconciler a table derived from this one with failed
/// servers removed or at weight 0; the reconciler only ever sees a <see cref="DesiredTable"/>.
/// </summary>
public static class IpvsDesiredFromConfig
{
    public static DesiredTable Build(ApplianceConfig config) =>
        new(config.VirtualServers.Select(Map).ToList());

    public static Ipvs.VirtualServer Map(Cfg.VirtualServer vs)
    {
        var family = vs.Family == AddressFamily.InterNetworkV6 ? IpvsFamily.Inet6 : IpvsFamily.Inet;
        var key = vs.IsFirewallMark
            ? ServiceKey.ForFirewallMark(vs.FirewallMark, family)
            : ServiceKey.For(Protocol(vs.Protocol), vs.Address!, (ushort)vs.Port);
        var flags = ServiceFlags.None;
        if (vs.IsPersistent) flags |= ServiceFlags.Persistent;
        if (vs.OnePacket) flags |= ServiceFlags.OnePacket;
        if ((vs.SchedulerFlags & (SchedulerFlags.ShFallback | SchedulerFlags.MhFallback)) != 0) flags |= ServiceFlags.Sched1;
        if ((vs.SchedulerFlags & (SchedulerFlags.ShPort | SchedulerFlags.MhPort)) != 0) flags |= ServiceFlags.Sched2;
        var netmask = vs.PersistencePrefixLength is { } prefix
            ? family == IpvsFamily.Inet6 ? (uint)prefix : IpvsService.V4Netmask(prefix)
            : IpvsService.FullNetmask(family);
        var service = new IpvsService(key, vs.Scheduler.ToString().ToLowerInvariant(), flags,
            (uint)vs.PersistenceTimeout.TotalSeconds, netmask);
        return new Ipvs.VirtualServer(service, vs.RealServers.Select(Map).ToList());
    }

    public static IpvsDestination Map(RealServer rs) => new(
        rs.Address, (ushort)rs.Port,
        rs.Forwarding switch
        {
            ForwardingMethod.DirectRouting => ForwardMethod.Route,
            ForwardingMethod.Tunnel => ForwardMethod.Tunnel,
            _ => ForwardMethod.Masq,
        },
        rs.Weight, (uint)rs.UpperThreshold, (uint)rs.LowerThreshold,
        rs.Tunnel?.Type switch { Cfg.TunnelType.Gue => Ipvs.TunnelType.Gue, Cfg.TunnelType.Gre => Ipvs.TunnelType.Gre, _ => Ipvs.TunnelType.Ipip },
        (ushort)(rs.Tunnel?.Port ?? 0),
        rs.Tunnel?.Checksum switch
        {
            TunnelChecksum.Checksum => TunnelFlags.Checksum,
            TunnelChecksum.RemoteChecksum => TunnelFlags.RemoteChecksum,
            _ => TunnelFlags.NoChecksum,
        });

    private static IpvsProtocol Protocol(ServiceProtocol p) => p switch
    {
        ServiceProtocol.Udp => IpvsProtocol.Udp,
        ServiceProtocol.Sctp => IpvsProtocol.Sctp,
        _ => IpvsProtocol.Tcp,
    };
}
