using System.Buffers.Binary;
using System.Numerics;

namespace Appliance.PeerLink;

/// <summary>
/// HMAC-SHA256 (RFC 2104 over SHA-256 of FIPS 180-4) in managed code.
///
/// Why not System.Security.Cryptography.HMACSHA256: on Linux it calls OpenSSL, and the product
/// image carries no libssl/libcrypto (only the lab archive does). Without them the NativeAOT
/// binary does not throw — it aborts the whole process ("No usable version of libssl was
/// found"), measured with libssl hidden in a mount namespace. The daemon must not die on its
/// first heartbeat. SHA-256 has no secret-dependent table lookups or branches, so this code is
/// constant-time by construction. Verified against FIPS 180-4 and RFC 4231 test vectors and
/// against .NET's OpenSSL-backed HMACSHA256 on random keys and messages
/// (tests/Appliance.Tests/PeerLink/HmacSha256Tests.cs).
/// </summary>
public static class HmacSha256
{
    public const int HashSize = 32;
    private const int BlockSize = 64;

    private static ReadOnlySpan<uint> K =>
    [
        0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
        0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
        0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
        0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
        0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
        0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
        0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
        0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
    ];

    /// <summary>SHA-256 of the concatenation of <paramref name="a"/> and <paramref name="b"/> (saves a copy in HMAC).</summary>
    public static void Sha256(ReadOnlySpan<byte> a, ReadOnlySpan<byte> b, Span<byte> hash)
    {
        Span<uint> h = [0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19];
        Span<byte> block = stackalloc byte[BlockSize];
        Span<uint> w = stackalloc uint[64];
        long total = (long)a.Length + b.Length;
        int filled = 0;
        Absorb(a, h, block, w, ref filled);
        Absorb(b, h, block, w, ref filled);
        // FIPS 180-4 §5.1.1: 0x80, zeros, then the length in bits as a 64-bit big-endian number.
        block[filled++] = 0x80;
        if (filled > BlockSize - 8)
        {
            block[filled..].Clear();
            Compress(h, block, w);
            filled = 0;
        }
        block[filled..(BlockSize - 8)].Clear();
        BinaryPrimitives.WriteInt64BigEndian(block[(BlockSize - 8)..], total * 8);
        Compress(h, block, w);
        for (int i = 0; i < 8; i++) BinaryPrimitives.WriteUInt32BigEndian(hash[(4 * i)..], h[i]);
    }

    public static void Sha256(ReadOnlySpan<byte> data, Span<byte> hash) => Sha256(data, [], hash);

    /// <summary>HMAC-SHA256(key, message) into <paramref name="mac"/> (32 bytes).</summary>
    public static void Compute(ReadOnlySpan<byte> key, ReadOnlySpan<byte> message, Span<byte> mac)
    {
        Span<byte> k = stackalloc byte[BlockSize];
        k.Clear();
        if (key.Length > BlockSize) Sha256(key, k[..HashSize]);
        else key.CopyTo(k);
        Span<byte> pad = stackalloc byte[BlockSize];
        Span<byte> inner = stackalloc byte[HashSize];
        for (int i = 0; i < BlockSize; i++) pad[i] = (byte)(k[i] ^ 0x36);
        Sha256(pad, message, inner);
        for (int i = 0; i < BlockSize; i++) pad[i] = (byte)(k[i] ^ 0x5c);
        Sha256(pad, inner, mac);
        k.Clear();
        pad.Clear();
    }

    private static void Absorb(ReadOnlySpan<byte> data, Span<uint> h, Span<byte> block, Span<uint> w, ref int filled)
    {
        while (data.Length > 0)
        {
            int n = Math.Min(BlockSize - filled, data.Length);
            data[..n].CopyTo(block[filled..]);
            filled += n;
            data = data[n..];
            if (filled == BlockSize) { Compress(h, block, w); filled = 0; }
        }
    }

    private static void Compress(Span<uint> h, ReadOnlySpan<byte> block, Span<uint> w)
    {
        for (int t = 0; t < 16; t++) w[t] = BinaryPrimitives.ReadUInt32BigEndian(block[(4 * t)..]);
        for (int t = 16; t < 64; t++)
        {
            uint s0 = BitOperations.RotateRight(w[t - 15], 7) ^ BitOperations.RotateRight(w[t - 15], 18) ^ (w[t - 15] >> 3);
            uint s1 = BitOperations.RotateRight(w[t - 2], 17) ^ BitOperations.RotateRight(w[t - 2], 19) ^ (w[t - 2] >> 10);
            w[t] = w[t - 16] + s0 + w[t - 7] + s1;
        }
        uint a = h[0], b = h[1], c = h[2], d = h[3], e = h[4], f = h[5], g = h[6], hh = h[7];
        var k = K;
        for (int t = 0; t < 64; t++)
        {
            uint t1 = hh + (BitOperations.RotateRight(e, 6) ^ BitOperations.RotateRight(e, 11) ^ BitOperations.RotateRight(e, 25))
                      + ((e & f) ^ (~e & g)) + k[t] + w[t];
            uint t2 = (BitOperations.RotateRight(a, 2) ^ BitOperations.RotateRight(a, 13) ^ BitOperations.RotateRight(a, 22))
                      + ((a & b) ^ (a & c) ^ (b & c));
            hh = g; g = f; f = e; e = d + t1; d = c; c = b; b = a; a = t1 + t2;
        }
        h[0] += a; h[1] += b; h[2] += c; h[3] += d; h[4] += e; h[5] += f; h[6] += g; h[7] += hh;
    }
}
