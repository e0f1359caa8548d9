using System.Buffers.Binary;
using System.Numerics;

namespace Appliance.PeerLink;

/// <summary>
/// CRC-32C (Castagnoli, RFC 3720 appendix B.4): better burst-error detection than CRC-32 for
/// short frames, and computed by the SSE4.2/ARMv8 CRC instruction through
/// <see cref="BitOperations.Crc32C(uint, byte)"/>. Initial value and final XOR 0xFFFFFFFF;
/// check value of "123456789" is 0xE3069283.
/// </summary>
public static class Crc32C
{
    public static uint Compute(ReadOnlySpan<byte> data)
    {
        uint crc = 0xFFFFFFFF;
        while (data.Length >= 8)
        {
            crc = BitOperations.Crc32C(crc, BinaryPrimitives.ReadUInt64LittleEndian(data));
            data = data[8..];
        }
        foreach (var b in data) crc = BitOperations.Crc32C(crc, b);
        return ~crc;
    }
}
