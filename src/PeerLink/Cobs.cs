namespace Appliance.PeerLink;

/// <summary>
/// Consistent Overhead Byte Stuffing (Cheshire and Baker, IEEE/ACM ToN 1999). An encoded frame
/// never contains 0x00, so a single zero byte delimits frames on the serial line and a receiver
/// that starts mid-stream (or after line noise) resynchronises at the next zero.
/// </summary>
public static class Cobs
{
    /// <summary>Worst-case encoded length of <paramref name="length"/> bytes (one code byte per 254, plus one).</summary>
    public static int MaxEncodedLength(int length) => length + length / 254 + 1;

    /// <summary>Encodes <paramref name="source"/> into <paramref name="destination"/> (no delimiter); returns the bytes written.</summary>
    public static int Encode(ReadOnlySpan<byte> source, Span<byte> destination)
    {
        if (destination.Length < MaxEncodedLength(source.Length))
            throw new ArgumentException("COBS encode: destination is shorter than the worst-case encoded length", nameof(destination));
        int codeIndex = 0, write = 1;
        byte code = 1;
        foreach (var b in source)
        {
            if (b != 0)
            {
                destination[write++] = b;
                code++;
            }
            if (b == 0 || code == 0xFF)
            {
                destination[codeIndex] = code;
                codeIndex = write++;
                code = 1;
            }
        }
        destination[codeIndex] = code;
        return write;
    }

    /// <summary>
    /// Decodes one frame (without its delimiter). Returns false, writing nothing useful, when the
    /// input contains a zero, a code byte runs past the end, or the output does not fit.
    /// </summary>
    public static bool TryDecode(ReadOnlySpan<byte> source, Span<byte> destination, out int written) =>
        Decode(source, destination, out written) == CobsResult.Ok;

    /// <summary>
    /// Decodes one frame; on <see cref="CobsResult.Incomplete"/> (the last block runs past the end,
    /// as when a frame is cut short) <paramref name="written"/> holds the bytes decoded before it.
    /// </summary>
    public static CobsResult Decode(ReadOnlySpan<byte> source, Span<byte> destination, out int written)
    {
        written = 0;
        int read = 0;
        while (read < source.Length)
        {
            byte code = source[read++];
            if (code == 0) return CobsResult.Invalid;
            int run = code - 1;
            bool incomplete = read + run > source.Length;
            if (incomplete) run = source.Length - read;
            if (written + run > destination.Length) return CobsResult.Invalid;
            for (int i = 0; i < run; i++)
            {
                byte b = source[read++];
                if (b == 0) return CobsResult.Invalid;
                destination[written++] = b;
            }
            if (incomplete) return CobsResult.Incomplete;
            // A block shorter than 254 data bytes implies a zero after it, except at the very end.
            if (code != 0xFF && read < source.Length)
            {
                if (written >= destination.Length) return CobsResult.Invalid;
                destination[written++] = 0;
            }
        }
        return CobsResult.Ok;
    }
}

public enum CobsResult
{
    Ok,
    /// <summary>A zero inside the frame, or more output than the buffer holds.</summary>
    Invalid,
    /// <summary>The last block announces more bytes than follow: the frame was cut short.</summary>
    Incomplete,
}
