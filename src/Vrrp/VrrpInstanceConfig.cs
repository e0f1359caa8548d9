using System.Net;
using System.Net.Sockets;

namespace Appliance.Vrrp;

/// <summary>A virtual address with its prefix length, as configured in <c>virtual_ipaddress</c>.</summary>
public readonly record struct VirtualAddress(IPAddress Address, int PrefixLength)
{
    public AddressFamily Family => Address.AddressFamily;

    public static VirtualAddress Parse(string text)
    {
        var slash = text.IndexOf('/');
        var address = IPAddress.Parse(slash < 0 ? text : text[..slash]);
        int max = address.AddressFamily == AddressFamily.InterNetwork ? 32 : 128;
        int prefix = slash < 0 ? max : int.Parse(text[(slash + 1)..], System.Globalization.CultureInfo.InvariantCulture);
        if (prefix < 0 || prefix > max)
            throw new FormatException($"virtual address '{text}': prefix length {prefix} is outside 0..{max}");
        return new VirtualAddress(address, prefix);
    }

    public override string ToString() => $"{Address}/{PrefixLength}";
}

/// <summary>
/// One <c>vrrp_instance</c>: what the state machine and its shells need. Names follow keepalived's keywords.
/// Interval and delays are in centiseconds, the unit of VRRPv3 (RFC 5798 §5.2.7).
/// </summary>
public sealed record VrrpInstanceConfig
{
    /// <summary>keepalived's default (and RFC 5798 §5.2.4's default priority for a backup) is 100.</summary>
    public const byte DefaultPriority = 100;

    /// <summary>The appliance's shipped default: 10 cs with VRRPv3, so power-loss failover stays under 0.5 s (docs/vrrp.md).</summary>
    public const int DefaultAdvertIntervalCentiseconds = 10;

    public required string Name { get; init; }
    public required byte VirtualRouterId { get; init; }
    public byte Priority { get; init; } = DefaultPriority;
    public VrrpVersion Version { get; init; } = VrrpVersion.V3;
    public int AdvertIntervalCentiseconds { get; init; } = DefaultAdvertIntervalCentiseconds;

    /// <summary>RFC 5798 Preempt_Mode, default true; keepalived's <c>nopreempt</c> sets it false.</summary>
    public bool Preempt { get; init; } = true;

    /// <summary>keepalived's <c>preempt_delay</c>: after start-up, lower-priority masters are tolerated this long.</summary>
    public int PreemptDelayCentiseconds { get; init; }

    /// <summary>RFC 5798 Accept_Mode (<c>accept</c> / <c>no_accept</c>); see docs/vrrp.md for what Linux makes of it.</summary>
    public bool Accept { get; init; } = true;

    public required IReadOnlyList<VirtualAddress> VirtualAddresses { get; init; }

    /// <summary>v2 only: <c>authentication { auth_type PASS; auth_pass ... }</c>. Never logged.</summary>
    public VrrpAuthType AuthType { get; init; } = VrrpAuthType.None;

    /// <summary>v2 PASS password, at most 8 bytes (RFC 2338 §5.3.10). A secret: never logged.</summary>
    public string? AuthPass { get; init; }

    /// <summary>
    /// The peer is an appliance (not keepalived): a priority-0 advert from it means "take over now" instead
    /// of waiting Skew_Time (planned handover). With keepalived peers keep false: RFC behaviour.
    /// </summary>
    public bool PeerIsAppliance { get; init; }

    /// <summary>v3 over IPv4: checksum with the pseudo-header (keepalived's default, true) or without (RFC 9568 §5.2.8).</summary>
    public bool Ipv4PseudoHeaderChecksum { get; init; } = true;

    /// <summary>The heartbeat NIC (keepalived's <c>interface</c>).</summary>
    public string Interface { get; init; } = "";

    /// <summary>The public NIC that carries the VIPs (keepalived: <c>dev</c> of each VIP); tracked for FAULT.</summary>
    public string PublicInterface { get; init; } = "";

    /// <summary>More interfaces whose failure means FAULT (<c>track_interface</c>).</summary>
    public IReadOnlyList<string> TrackInterfaces { get; init; } = [];

    /// <summary><c>unicast_peer</c>: send adverts to this address instead of the multicast group.</summary>
    public IPAddress? UnicastPeer { get; init; }

    public string? NotifyMaster { get; init; }
    public string? NotifyBackup { get; init; }
    public string? NotifyFault { get; init; }
    public string? NotifyStop { get; init; }
    public string? Notify { get; init; }

    /// <summary>Gratuitous ARP / unsolicited NA on becoming MASTER (keepalived names and defaults).</summary>
    public int GarpMasterDelaySeconds { get; init; } = 5;
    public int GarpMasterRepeat { get; init; } = 5;
    public int GarpMasterRefreshSeconds { get; init; }
    public int GarpMasterRefreshRepeat { get; init; } = 1;
    public int GarpIntervalMilliseconds { get; init; }

    public AddressFamily Family => VirtualAddresses.Count > 0 ? VirtualAddresses[0].Family : AddressFamily.InterNetwork;
    public bool IsAddressOwner => Priority == 255;

    /// <summary>Checks the values a state machine cannot work with; returns the problems, empty when fine.</summary>
    public IReadOnlyList<string> Validate()
    {
        var errors = new List<string>();
        string at = $"vrrp_instance {Name}";
        if (VirtualRouterId == 0) errors.Add($"{at}: virtual_router_id must be 1..255");
        if (Priority == 0) errors.Add($"{at}: priority must be 1..255 (0 is reserved for a stopping master)");
        if (VirtualAddresses.Count is 0 or > 255) errors.Add($"{at}: virtual_ipaddress needs 1..255 addresses");
        bool mixed = false;
        foreach (var v in VirtualAddresses) mixed |= v.Family != Family;
        if (mixed) errors.Add($"{at}: virtual_ipaddress mixes IPv4 and IPv6 (use one instance per family)");
        if (Version == VrrpVersion.V2 && Family != AddressFamily.InterNetwork) errors.Add($"{at}: VRRPv2 is IPv4 only (RFC 3768); use version 3");
        if (Version == VrrpVersion.V2 && (AdvertIntervalCentiseconds % 100 != 0 || AdvertIntervalCentiseconds is < 100 or > 25500))
            errors.Add($"{at}: VRRPv2 advert_int is whole seconds 1..255");
        if (Version == VrrpVersion.V3 && AdvertIntervalCentiseconds is < 1 or > VrrpAdvert.MaxIntervalCentiseconds)
            errors.Add($"{at}: advert_int must be 0.01..40.95 s");
        if (Version == VrrpVersion.V3 && AuthType != VrrpAuthType.None) errors.Add($"{at}: authentication is VRRPv2 only (RFC 5798 removed it)");
        if (AuthType == VrrpAuthType.SimpleText && (string.IsNullOrEmpty(AuthPass) || System.Text.Encoding.ASCII.GetByteCount(AuthPass) > 8))
            errors.Add($"{at}: auth_pass must be 1..8 characters");
        if (AuthType == VrrpAuthType.IpAh) errors.Add($"{at}: auth_type AH is not supported");
        if (UnicastPeer is not null && UnicastPeer.AddressFamily != Family) errors.Add($"{at}: unicast_peer {UnicastPeer} is not of the VIPs' address family");
        return errors;
    }

    /// <summary>The 8 bytes of v2 Authentication Data for this configuration, as a big-endian value.</summary>
    public ulong AuthData
    {
        get
        {
            if (AuthType != VrrpAuthType.SimpleText || AuthPass is null) return 0;
            Span<byte> bytes = stackalloc byte[8];
            bytes.Clear();
            System.Text.Encoding.ASCII.GetBytes(AuthPass.AsSpan(0, Math.Min(8, AuthPass.Length)), bytes);
            return System.Buffers.Binary.BinaryPrimitives.ReadUInt64BigEndian(bytes);
        }
    }

    /// <summary>The advert this instance sends at <paramref name="priority"/>.</summary>
    public VrrpAdvert BuildAdvert(byte priority)
    {
        // A loop, not Select over the struct: LINQ over value types costs NativeAOT megabytes (docs/benchmarks.md, Binary size).
        var addresses = new IPAddress[VirtualAddresses.Count];
        for (int i = 0; i < addresses.Length; i++) addresses[i] = VirtualAddresses[i].Address;
        return new(Version, VirtualRouterId, priority, AdvertIntervalCentiseconds, addresses, AuthType, AuthData);
    }

    /// <summary>Logged form; leaves the password out.</summary>
    public override string ToString() =>
        $"{Name}: vrid={VirtualRouterId} v{(int)Version} prio={Priority} advert_int={AdvertIntervalCentiseconds}cs preempt={Preempt} vips=[{string.Join(',', VirtualAddresses)}] if={Interface} public={PublicInterface}";
}

/// <summary>The checks of RFC 5798 §7.1 / RFC 3768 §7.1 that need the instance's configuration.</summary>
public static class VrrpAdvertCheck
{
    public static VrrpDropReason Check(in VrrpReceived packet, VrrpInstanceConfig config)
    {
        var a = packet.Advert;
        if (a.Version != config.Version) return VrrpDropReason.BadVersion;
        if (a.Vrid != config.VirtualRouterId) return VrrpDropReason.UnknownVrid;
        if (config.UnicastPeer is not null && !config.UnicastPeer.Equals(packet.Source)) return VrrpDropReason.UnexpectedSource;
        // RFC 5798 §7.1 lets a receiver skip the address comparison; keepalived drops on a count mismatch and so do we.
        if (a.Addresses.Count != config.VirtualAddresses.Count) return VrrpDropReason.AddressCountMismatch;
        if (a.Version == VrrpVersion.V2)
        {
            if (a.IntervalCentiseconds != config.AdvertIntervalCentiseconds) return VrrpDropReason.IntervalMismatch;
            if (a.AuthType != config.AuthType) return VrrpDropReason.AuthMismatch;
            if (a.AuthType == VrrpAuthType.SimpleText && a.AuthData != config.AuthData) return VrrpDropReason.AuthMismatch;
        }
        return VrrpDropReason.None;
    }
}
