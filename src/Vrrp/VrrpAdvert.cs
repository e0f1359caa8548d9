using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;

namespace Appliance.Vrrp;

/// <summary>VRRP protocol version: 2 (RFC 3768, IPv4 only, seconds) or 3 (RFC 5798/9568, centiseconds).</summary>
public enum VrrpVersion : byte
{
    V2 = 2,
    V3 = 3,
}

/// <summary>VRRPv2 Auth Type (RFC 2338 §5.3.6; RFC 3768 keeps the field, keepalived still supports PASS).</summary>
public enum VrrpAuthType : byte
{
    None = 0,
    SimpleText = 1,
    IpAh = 2,
}

/// <summary>
/// One VRRP ADVERTISEMENT (the only message type). Layout, v3 (RFC 5798 §5.1 / RFC 9568 §5.1):
/// <c>Version|Type  VRID  Priority  Count | rsvd(4) Max Adver Int(12, cs) | Checksum | addresses</c>;
/// v2 (RFC 3768 §5.1): <c>Version|Type VRID Priority Count | Auth Type  Adver Int(s) | Checksum |
/// IPv4 addresses | 8 bytes authentication data</c>.
/// </summary>
public readonly struct VrrpAdvert
{
    /// <summary>Bytes before the address list.</summary>
    public const int HeaderSize = 8;

    /// <summary>v2 trailer: Authentication Data (RFC 3768 §5.2.9 sets it to zero; RFC 2338 PASS puts the password here).</summary>
    public const int AuthDataSize = 8;

    /// <summary>IP protocol number assigned to VRRP.</summary>
    public const byte IpProtocol = 112;

    /// <summary>ADVERTISEMENT, the only defined type.</summary>
    public const byte TypeAdvertisement = 1;

    /// <summary>The 12-bit Max Adver Int field of v3 holds at most this many centiseconds.</summary>
    public const int MaxIntervalCentiseconds = 0x0FFF;

    public static readonly IPAddress MulticastV4 = IPAddress.Parse("224.0.0.18");
    public static readonly IPAddress MulticastV6 = IPAddress.Parse("ff02::12");

    private readonly IPAddress[]? _addresses;

    public VrrpAdvert(VrrpVersion version, byte vrid, byte priority, int intervalCentiseconds, IReadOnlyList<IPAddress> addresses,
        VrrpAuthType authType = VrrpAuthType.None, ulong authData = 0, ushort checksum = 0)
    {
        if (addresses.Count is 0 or > 255)
            throw new ArgumentException($"a VRRP advert carries 1 to 255 addresses, not {addresses.Count}", nameof(addresses));
        var family = addresses[0].AddressFamily;
        if (addresses.Any(a => a.AddressFamily != family))
            throw new ArgumentException("a VRRP advert carries addresses of one family only", nameof(addresses));
        if (version == VrrpVersion.V2 && family != AddressFamily.InterNetwork)
            throw new ArgumentException("VRRPv2 (RFC 3768) is IPv4 only", nameof(version));
        Version = version;
        Vrid = vrid;
        Priority = priority;
        IntervalCentiseconds = intervalCentiseconds;
        _addresses = addresses.ToArray();
        AuthType = version == VrrpVersion.V2 ? authType : VrrpAuthType.None;
        AuthData = version == VrrpVersion.V2 ? authData : 0;
        Checksum = checksum;
    }

    public VrrpVersion Version { get; }
    public byte Vrid { get; }
    public byte Priority { get; }

    /// <summary>Advertisement interval in centiseconds (v2's whole seconds are converted: 1 s = 100 cs).</summary>
    public int IntervalCentiseconds { get; }

    public IReadOnlyList<IPAddress> Addresses => _addresses ?? [];
    public AddressFamily Family => Addresses.Count > 0 ? Addresses[0].AddressFamily : AddressFamily.Unspecified;
    public VrrpAuthType AuthType { get; }

    /// <summary>v2 Authentication Data as a big-endian 64-bit value. Never logged (it may be a password).</summary>
    public ulong AuthData { get; }

    /// <summary>The checksum as read from the wire (0 for adverts built locally).</summary>
    public ushort Checksum { get; }

    private int AddressSize => Family == AddressFamily.InterNetworkV6 ? 16 : 4;

    /// <summary>Bytes on the wire.</summary>
    public int Size => HeaderSize + Addresses.Count * AddressSize + (Version == VrrpVersion.V2 ? AuthDataSize : 0);

    /// <summary>Same advert with another priority (priority 0 on shutdown, RFC 5798 §6.4.3).</summary>
    public VrrpAdvert WithPriority(byte priority) => new(Version, Vrid, priority, IntervalCentiseconds, Addresses, AuthType, AuthData);

    /// <summary>
    /// Writes the advert and its checksum. <paramref name="source"/>/<paramref name="destination"/> are the IP
    /// addresses the packet will carry (needed by the v3 pseudo-header). For v3 over IPv4,
    /// <paramref name="ipv4PseudoHeader"/> true is keepalived's default (RFC 5798 reading); false is RFC 9568 §5.2.8.
    /// </summary>
    public int WriteTo(Span<byte> destinationBuffer, IPAddress source, IPAddress destination, bool ipv4PseudoHeader = true)
    {
        int size = Size;
        if (destinationBuffer.Length < size)
            throw new ArgumentException($"buffer of {destinationBuffer.Length} bytes is too small for a {size}-byte VRRP advert", nameof(destinationBuffer));
        var b = destinationBuffer[..size];
        b[0] = (byte)(((byte)Version << 4) | TypeAdvertisement);
        b[1] = Vrid;
        b[2] = Priority;
        b[3] = (byte)Addresses.Count;
        if (Version == VrrpVersion.V3)
        {
            BinaryPrimitives.WriteUInt16BigEndian(b[4..], (ushort)(IntervalCentiseconds & MaxIntervalCentiseconds));
        }
        else
        {
            b[4] = (byte)AuthType;
            b[5] = (byte)(IntervalCentiseconds / 100);
        }
        b[6] = b[7] = 0;
        int offset = HeaderSize;
        foreach (var a in Addresses)
        {
            a.TryWriteBytes(b[offset..], out int written);
            offset += written;
        }
        if (Version == VrrpVersion.V2)
            BinaryPrimitives.WriteUInt64BigEndian(b[offset..], AuthData);
        ushort sum = UsesPseudoHeader(Version, Family, ipv4PseudoHeader)
            ? InternetChecksum.ComputeWithPseudoHeader(source, destination, IpProtocol, b)
            : InternetChecksum.Compute(b);
        BinaryPrimitives.WriteUInt16BigEndian(b[6..], sum);
        return size;
    }

    private static bool UsesPseudoHeader(VrrpVersion version, AddressFamily family, bool ipv4PseudoHeader) =>
        version == VrrpVersion.V3 && (family == AddressFamily.InterNetworkV6 || ipv4PseudoHeader);

    /// <summary>
    /// Parses and checks a VRRP message (the IP payload). Structural checks only: version, type, length,
    /// checksum, interval; the instance checks (VRID, count, auth, v2 interval) are <see cref="VrrpAdvertCheck"/>.
    /// For v3 over IPv4 the checksum is accepted with or without the pseudo-header (keepalived vs RFC 9568).
    /// </summary>
    public static bool TryRead(ReadOnlySpan<byte> message, IPAddress source, IPAddress destination, out VrrpAdvert advert, out VrrpDropReason reason)
    {
        advert = default;
        var family = source.AddressFamily;
        if (message.Length < HeaderSize) { reason = VrrpDropReason.TooShort; return false; }
        int versionNibble = message[0] >> 4;
        if (versionNibble is not (2 or 3) || (versionNibble == 2 && family != AddressFamily.InterNetwork))
        { reason = VrrpDropReason.BadVersion; return false; }
        var version = (VrrpVersion)versionNibble;
        if ((message[0] & 0x0F) != TypeAdvertisement) { reason = VrrpDropReason.BadType; return false; }
        int count = message[3];
        int addressSize = family == AddressFamily.InterNetworkV6 ? 16 : 4;
        int expected = HeaderSize + count * addressSize + (version == VrrpVersion.V2 ? AuthDataSize : 0);
        if (message.Length < expected) { reason = VrrpDropReason.TooShort; return false; }
        if (count == 0 || message.Length != expected) { reason = VrrpDropReason.BadLength; return false; }

        ushort wire = BinaryPrimitives.ReadUInt16BigEndian(message[6..]);
        bool checksumOk = version == VrrpVersion.V2
            ? InternetChecksum.Compute(message) == 0
            : InternetChecksum.ComputeWithPseudoHeader(source, destination, IpProtocol, message) == 0
              || (family == AddressFamily.InterNetwork && InternetChecksum.Compute(message) == 0);
        if (!checksumOk) { reason = VrrpDropReason.BadChecksum; return false; }

        int interval;
        var auth = VrrpAuthType.None;
        ulong authData = 0;
        if (version == VrrpVersion.V3)
        {
            interval = BinaryPrimitives.ReadUInt16BigEndian(message[4..]) & MaxIntervalCentiseconds;
        }
        else
        {
            auth = (VrrpAuthType)message[4];
            interval = message[5] * 100;
            authData = BinaryPrimitives.ReadUInt64BigEndian(message[(expected - AuthDataSize)..]);
        }
        if (interval == 0) { reason = VrrpDropReason.ZeroInterval; return false; }

        var addresses = new IPAddress[count];
        for (int i = 0; i < count; i++)
            addresses[i] = new IPAddress(message.Slice(HeaderSize + i * addressSize, addressSize));
        advert = new VrrpAdvert(version, message[1], message[2], interval, addresses, auth, authData, wire);
        reason = VrrpDropReason.None;
        return true;
    }

    /// <summary>For logs. Never shows the authentication data.</summary>
    public override string ToString() =>
        $"VRRPv{(int)Version} vrid={Vrid} prio={Priority} int={IntervalCentiseconds}cs" +
        (Version == VrrpVersion.V2 ? $" auth={AuthType}" : "") +
        $" addrs=[{string.Join(',', Addresses)}]";
}
