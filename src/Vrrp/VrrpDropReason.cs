namespace Appliance.Vrrp;

/// <summary>Why a received VRRP packet was dropped. Every drop is counted under one of these.</summary>
public enum VrrpDropReason
{
    None = 0,
    /// <summary>Shorter than the fixed header, or than its own address list (RFC 5798 §7.1).</summary>
    TooShort,
    /// <summary>IP header malformed, not protocol 112, or truncated.</summary>
    BadIpHeader,
    /// <summary>TTL / hop limit not 255 (RFC 5798 §7.1: MUST drop; it may come from off-link).</summary>
    BadTtl,
    /// <summary>Version field not the configured 2 or 3.</summary>
    BadVersion,
    /// <summary>Type field not 1 (ADVERTISEMENT).</summary>
    BadType,
    /// <summary>No instance with this VRID on this interface and family.</summary>
    UnknownVrid,
    /// <summary>Length does not match Count IPvX Addrs (plus the v2 authentication data).</summary>
    BadLength,
    /// <summary>Checksum does not verify (with or without the v3 IPv4 pseudo-header).</summary>
    BadChecksum,
    /// <summary>Count IPvX Addrs differs from the number of configured VIPs.</summary>
    AddressCountMismatch,
    /// <summary>Advertisement interval 0.</summary>
    ZeroInterval,
    /// <summary>v2: advertisement interval differs from the configured one (RFC 3768 §7.1 MUST discard).</summary>
    IntervalMismatch,
    /// <summary>v2: authentication type or simple-text password differs from the configuration (RFC 2338 §7.1).</summary>
    AuthMismatch,
    /// <summary>Sent by one of our own addresses (multicast loop).</summary>
    OwnPacket,
    /// <summary>The source is not the configured unicast peer.</summary>
    UnexpectedSource,
}

/// <summary>Per-reason drop counters of one receiver. Owned by the event loop; not thread-safe.</summary>
public sealed class VrrpCounters
{
    private readonly long[] _drops = new long[Enum.GetValues<VrrpDropReason>().Length];

    public long Received { get; private set; }
    public long Accepted { get; private set; }
    public long Sent { get; private set; }
    public long SendErrors { get; private set; }

    public long this[VrrpDropReason reason] => _drops[(int)reason];

    public long TotalDropped => _drops.Sum();

    public void CountReceived() => Received++;
    public void CountAccepted() => Accepted++;
    public void CountSent() => Sent++;
    public void CountSendError() => SendErrors++;
    public void CountDrop(VrrpDropReason reason) => _drops[(int)reason]++;

    public override string ToString()
    {
        var drops = new List<string>();
        foreach (var r in Enum.GetValues<VrrpDropReason>())
            if (r != VrrpDropReason.None && this[r] != 0) drops.Add($"{r}={this[r]}");
        return $"received={Received} accepted={Accepted} sent={Sent} send_errors={SendErrors} dropped={TotalDropped} [{string.Join(' ', drops)}]";
    }
}
