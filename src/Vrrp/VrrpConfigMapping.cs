using System.Text;
using Appliance.Config;

namespace Appliance.Vrrp;

/// <summary>
/// From the validated INI model (<see cref="ApplianceConfig"/>) to what the VRRP machines and shells need.
/// The one place that reveals the VRRPv2 password (it goes on the wire, RFC 2338 §5.3.10).
/// </summary>
public static class VrrpConfigMapping
{
    /// <param name="config">The loaded configuration.</param>
    /// <param name="peerIsAppliance">Overrides <c>[global] peer</c>: the other director runs the appliance (planned handover without Skew_Time).</param>
    public static IReadOnlyList<VrrpInstanceConfig> Instances(ApplianceConfig config, bool? peerIsAppliance = null)
    {
        var result = new List<VrrpInstanceConfig>();
        foreach (var v in config.VrrpInstances)
        {
            if (v.UnicastPeers.Count > 1)
                throw new ArgumentException($"vrrp_instance {v.Name}: the appliance supports one unicast_peer (its partner), not {v.UnicastPeers.Count}");
            var devices = v.VirtualAddresses.Select(a => a.Device).Distinct().ToList();
            if (devices.Count > 1)
                throw new ArgumentException($"vrrp_instance {v.Name}: all VIPs must be on one public NIC, not on {string.Join(", ", devices)}");
            result.Add(new VrrpInstanceConfig
            {
                Name = v.Name,
                VirtualRouterId = checked((byte)v.VirtualRouterId),
                Priority = checked((byte)v.Priority),
                Version = v.Version == 2 ? VrrpVersion.V2 : VrrpVersion.V3,
                AdvertIntervalCentiseconds = (int)Math.Round(v.AdvertInterval.TotalMilliseconds / 10),
                Preempt = v.Preempt,
                PreemptDelayCentiseconds = (int)Math.Round(v.PreemptDelay.TotalMilliseconds / 10),
                Accept = v.AcceptMode,
                VirtualAddresses = Addresses(v.VirtualAddresses),
                AuthType = v.Authentication is null ? VrrpAuthType.None : VrrpAuthType.SimpleText,
                AuthPass = v.Authentication is null ? null : Encoding.UTF8.GetString(v.Authentication.Password.Reveal()),
                PeerIsAppliance = peerIsAppliance ?? config.Global.PeerIsAppliance,
                Interface = v.Interface,
                PublicInterface = devices.Count == 1 ? devices[0] : config.Global.PublicInterface,
                TrackInterfaces = v.TrackInterfaces.ToArray(),
                UnicastPeer = v.UnicastPeers.Count == 1 ? v.UnicastPeers[0] : null,
                NotifyMaster = v.Notify.Master,
                NotifyBackup = v.Notify.Backup,
                NotifyFault = v.Notify.Fault,
                NotifyStop = v.Notify.Stop,
                Notify = v.Notify.Any,
                GarpMasterDelaySeconds = (int)v.Garp.MasterDelay.TotalSeconds,
                GarpMasterRepeat = v.Garp.MasterRepeat,
                GarpMasterRefreshSeconds = (int)v.Garp.MasterRefresh.TotalSeconds,
                GarpMasterRefreshRepeat = v.Garp.MasterRefreshRepeat,
            });
        }
        return result;
    }

    // A loop, not Select into the struct: LINQ over value types costs NativeAOT megabytes (docs/benchmarks.md, Binary size).
    private static VirtualAddress[] Addresses(IReadOnlyList<Config.VirtualAddress> configured)
    {
        var result = new VirtualAddress[configured.Count];
        for (int i = 0; i < result.Length; i++) result[i] = new VirtualAddress(configured[i].Address, configured[i].PrefixLength);
        return result;
    }
}
