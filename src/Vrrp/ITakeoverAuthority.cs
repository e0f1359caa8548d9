namespace Appliance.Vrrp;

/// <summary>
/// An authority beside the VRRP protocol that must permit every takeover — the split-brain guard
/// (src/Arbiter). <see cref="VrrpHost"/> starts the service with takeover withheld
/// (<see cref="VrrpService.TakeoverNeedsPermission"/>) and hands it over here; the authority then
/// decides through <see cref="VrrpService.SetTakeoverPermitted"/> and <see cref="VrrpService.RequestFailover"/>.
/// </summary>
public interface ITakeoverAuthority
{
    /// <summary>Called on the VRRP thread once the service has started, before its loop runs.</summary>
    void Attach(VrrpService service);

    /// <summary>Called on the VRRP thread after the service's graceful stop (VIPs released), before it is disposed; returns when the authority no longer touches it.</summary>
    void Detach(VrrpService service);
}
