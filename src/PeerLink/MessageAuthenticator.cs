using System.Security.Cryptography;

namespace Appliance.PeerLink;

/// <summary>
/// The shared heartbeat key (from the INI). A secret: it has no public accessor and its
/// <see cref="ToString"/> never shows it, so it cannot end up in a log line by accident.
/// </summary>
public sealed class PeerLinkKey
{
    /// <summary>Shortest key accepted: 128 bits, the MAC's own strength.</summary>
    public const int MinLength = 16;

    internal byte[] Bytes { get; }

    public PeerLinkKey(ReadOnlySpan<byte> key)
    {
        if (key.Length < MinLength)
            throw new ArgumentException($"peer link key: {key.Length} bytes is too short; at least {MinLength} bytes are required (the key itself is not shown)");
        Bytes = key.ToArray();
    }

    public override string ToString() => "(peer link key, redacted)";
}

/// <summary>
/// HMAC-SHA256 (RFC 2104, FIPS 198-1) truncated to its leftmost 128 bits, as RFC 4868 does for
/// IPsec (HMAC-SHA-256-128): forging still costs 2^128 tries per frame while a 100 ms
/// heartbeat stays small enough for slow lines (a typical frame is about 100 bytes, under
/// 10 % of 115200 baud). Verification compares in constant time. The HMAC is our managed
/// <see cref="HmacSha256"/>: the product image has no OpenSSL, which .NET's HMACSHA256 needs.
/// </summary>
public sealed class MessageAuthenticator(PeerLinkKey key)
{
    public const int MacSize = 16;

    public void Sign(ReadOnlySpan<byte> body, Span<byte> mac)
    {
        Span<byte> full = stackalloc byte[HmacSha256.HashSize];
        HmacSha256.Compute(key.Bytes, body, full);
        full[..MacSize].CopyTo(mac);
    }

    public bool Verify(ReadOnlySpan<byte> body, ReadOnlySpan<byte> mac)
    {
        if (mac.Length != MacSize) return false;
        Span<byte> expected = stackalloc byte[MacSize];
        Sign(body, expected);
        return CryptographicOperations.FixedTimeEquals(expected, mac);
    }
}
