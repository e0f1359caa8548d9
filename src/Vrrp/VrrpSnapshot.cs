using System.Net;

namespace Appliance.Vrrp;

/// <summary>
/// One VRRP instance as the operator sees it (<c>appliance status</c>), taken on the VRRP loop
/// thread in answer to <see cref="VrrpService.QueryAsync"/>: immutable, safe to read anywhere.
/// Never holds the authentication password. <c>Master</c> is who is MASTER as far as this node
/// knows: itself, the source of the last accepted advert while BACKUP, or null (unknown);
/// <c>Since</c> the monotonic time of the last state change (null: none yet).
/// </summary>
public sealed record VrrpInstanceSnapshot(
    string Name,
    byte VirtualRouterId,
    VrrpVersion Version,
    string Interface,
    string PublicInterface,
    VrrpState State,
    byte Priority,
    TimeSpan AdvertInterval,
    IPAddress LocalAddress,
    IPAddress? Master,
    byte? MasterPriority,
    TimeSpan? Since,
    string? Reason,
    bool TakeoverPending,
    string Vips,
    long Sent,
    long Received,
    long Accepted,
    long Dropped,
    long SendErrors,
    string Drops);
