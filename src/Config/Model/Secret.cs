using System.Security.Cryptography;
using System.Text;

namespace Appliance.Config;

/// <summary>
/// A value that must never reach a log, a summary or an error message (the serial heartbeat key,
/// the console password hash, a VRRPv2 password). <see cref="ToString"/> says only that a secret
/// is there; the bytes are reachable through <see cref="Reveal"/>, whose name makes every use
/// visible in review. Equality runs in constant time so a reload diff leaks nothing by timing.
/// </summary>
public sealed class Secret : IEquatable<Secret>
{
    private readonly byte[] _utf8;

    public Secret(string value) => _utf8 = Encoding.UTF8.GetBytes(value);

    /// <summary>Length in bytes (UTF-8).</summary>
    public int Length => _utf8.Length;

    /// <summary>The secret's UTF-8 bytes, for the one component that uses it (HMAC, crypt check). Never log them.</summary>
    public ReadOnlySpan<byte> Reveal() => _utf8;

    public override string ToString() => "(secret)";

    public bool Equals(Secret? other) =>
        other is not null && CryptographicOperations.FixedTimeEquals(_utf8, other._utf8);

    public override bool Equals(object? obj) => Equals(obj as Secret);

    public override int GetHashCode() => _utf8.Length;
}
