using System.Text;
using Appliance.PeerLink;
using Xunit;

namespace Appliance.Tests.PeerLink;

public class FramingTests
{
    [Fact]
    public void Crc32C_check_value_matches_RFC_3720()
    {
        Assert.Equal(0xE3069283u, Crc32C.Compute(Encoding.ASCII.GetBytes("123456789")));
        // RFC 3720 B.4: 32 bytes of zeros -> 0x8A9136AA.
        Assert.Equal(0x8A9136AAu, Crc32C.Compute(new byte[32]));
    }

    public static TheoryData<byte[]> CobsCases() => new()
    {
        Array.Empty<byte>(), new byte[] { 0 }, new byte[] { 0, 0 }, new byte[] { 1 }, new byte[] { 0x11, 0x22, 0x00, 0x33 },
        Enumerable.Range(1, 254).Select(i => (byte)i).ToArray(),
        Enumerable.Range(1, 255).Select(i => (byte)i).ToArray(),
        Enumerable.Range(0, 600).Select(i => (byte)(i % 7 == 0 ? 0 : i)).ToArray(),
        Enumerable.Repeat((byte)0xFF, 510).ToArray(),
    };

    [Theory]
    [MemberData(nameof(CobsCases))]
    public void Cobs_round_trips_and_never_emits_zero(byte[] data)
    {
        var enc = new byte[Cobs.MaxEncodedLength(data.Length)];
        int n = Cobs.Encode(data, enc);
        Assert.DoesNotContain((byte)0, enc.AsSpan(0, n).ToArray());
        var dec = new byte[data.Length + 1];
        Assert.True(Cobs.TryDecode(enc.AsSpan(0, n), dec, out int m));
        Assert.Equal(data, dec.AsSpan(0, m).ToArray());
    }

    [Fact]
    public void Cobs_matches_the_papers_examples()
    {
        // Examples from the COBS paper / Wikipedia table: 00 -> 01 01, 11 22 00 33 -> 03 11 22 02 33.
        var enc = new byte[8];
        Assert.Equal(new byte[] { 1, 1 }, enc.AsSpan(0, Cobs.Encode([0], enc)).ToArray());
        Assert.Equal(new byte[] { 3, 0x11, 0x22, 2, 0x33 }, enc.AsSpan(0, Cobs.Encode([0x11, 0x22, 0, 0x33], enc)).ToArray());
    }

    [Fact]
    public void Cobs_rejects_a_code_running_past_the_end() =>
        Assert.False(Cobs.TryDecode([5, 1, 2], new byte[16], out _));

    private static List<(FrameStatus, RejectReason, byte[])> Feed(FrameDecoder d, ReadOnlySpan<byte> bytes)
    {
        var r = new List<(FrameStatus, RejectReason, byte[])>();
        foreach (var b in bytes)
        {
            var s = d.Push(b);
            if (s != FrameStatus.Pending) r.Add((s, d.LastReject, s == FrameStatus.Frame ? d.Payload.ToArray() : []));
        }
        return r;
    }

    private static byte[] Encode(byte[] payload)
    {
        var f = new byte[Frame.MaxEncoded];
        return f.AsSpan(0, Frame.Encode(payload, f)).ToArray();
    }

    [Fact]
    public void Frame_round_trip_with_zeros_in_payload()
    {
        var payload = new byte[] { 0, 1, 0, 0, 2, 0 };
        var got = Feed(new FrameDecoder(), Encode(payload));
        Assert.Single(got);
        Assert.Equal(FrameStatus.Frame, got[0].Item1);
        Assert.Equal(payload, got[0].Item3);
    }

    [Fact]
    public void Largest_payload_round_trips_and_a_larger_one_is_refused()
    {
        var payload = Enumerable.Range(0, Frame.MaxPayload).Select(i => (byte)i).ToArray();
        var got = Feed(new FrameDecoder(), Encode(payload));
        Assert.Equal(payload, Assert.Single(got).Item3);
        Assert.Throws<ArgumentException>(() => Encode(new byte[Frame.MaxPayload + 1]));
    }

    [Fact]
    public void Every_single_bit_flip_is_rejected_and_the_next_frame_still_decodes()
    {
        var payload = Encoding.ASCII.GetBytes("heartbeat payload with some length to it");
        var good = Encode(payload);
        for (int i = 1; i < good.Length - 1; i++)
            for (int bit = 0; bit < 8; bit++)
            {
                var bad = (byte[])good.Clone();
                bad[i] ^= (byte)(1 << bit);
                var got = Feed(new FrameDecoder(), [.. bad, .. good]);
                Assert.DoesNotContain(got, g => g.Item1 == FrameStatus.Frame && !g.Item3.SequenceEqual(payload));
                Assert.Equal(payload, got[^1].Item3);
                Assert.Contains(got, g => g.Item1 == FrameStatus.Rejected); // the corrupted one was counted
            }
    }

    [Fact]
    public void Truncated_frame_is_reported_as_truncated()
    {
        var payload = new byte[100];
        Random.Shared.NextBytes(payload);
        var good = Encode(payload);
        // Cut the frame in the middle and put a delimiter there (the sender reset mid-frame).
        var cut = good.AsSpan(0, good.Length / 2).ToArray();
        var got = Feed(new FrameDecoder(), [.. cut, 0, .. good]);
        Assert.Equal((FrameStatus.Rejected, RejectReason.Truncated), (got[0].Item1, got[0].Item2));
        Assert.Equal(payload, got[1].Item3);
    }

    [Fact]
    public void Random_garbage_never_yields_a_frame_and_resync_happens_at_the_next_delimiter()
    {
        var rng = new Random(12345);
        var payload = Encoding.ASCII.GetBytes("after the noise");
        var d = new FrameDecoder();
        int frames = 0, rejected = 0;
        for (int round = 0; round < 2000; round++)
        {
            var noise = new byte[rng.Next(1, 400)];
            rng.NextBytes(noise);
            foreach (var (s, _, p) in Feed(d, [.. noise, .. Encode(payload)]))
            {
                if (s == FrameStatus.Frame) { frames++; Assert.Equal(payload, p); }
                else rejected++;
            }
        }
        Assert.Equal(2000, frames);
        Assert.True(rejected >= 1000, $"only {rejected} noise bursts were counted as rejected");
    }

    [Fact]
    public void Endless_bytes_without_delimiter_are_oversize_then_resync()
    {
        var d = new FrameDecoder();
        var got = Feed(d, [.. Enumerable.Repeat((byte)0x55, 5000), 0, .. Encode([1, 2, 3])]);
        Assert.Equal((FrameStatus.Rejected, RejectReason.Oversize), (got[0].Item1, got[0].Item2));
        Assert.Equal(new byte[] { 1, 2, 3 }, got[1].Item3);
    }
}
