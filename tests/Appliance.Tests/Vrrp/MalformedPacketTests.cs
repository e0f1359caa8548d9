using System.Buffers.Binary;
using System.Net;
using Appliance.Vrrp;
using Xunit;

namespace Appliance.Tests.Vrrp;

/// <summary>Every malformed case is dropped with its own counted reason; none throws.</summary>
public class MalformedPacketTests
{
    private static readonly IPAddress Src = IPAddress.Parse("10.99.0.1");

    private static byte[] V3() => GoldenPacketTests.Golden("v3-ipv4");
    private static byte[] V2() => GoldenPacketTests.Golden("v2-ipv4");

    private static VrrpDropReason Drop(byte[] packet)
    {
        Assert.False(VrrpPacket.TryReadIPv4(packet, out _, out var reason));
        return reason;
    }

    // Changes one field and recomputes the checksum the way keepalived would, so only that field is wrong.
    private static byte[] Patch(byte[] packet, Action<byte[]> change, bool fixChecksum = true, bool pseudo = true)
    {
        var p = (byte[])packet.Clone();
        change(p);
        if (fixChecksum)
        {
            int ihl = (p[0] & 15) * 4;
            int total = BinaryPrimitives.ReadUInt16BigEndian(p.AsSpan(2));
            var msg = p.AsSpan(ihl, total - ihl);
            msg[6] = msg[7] = 0;
            ushort sum = (p[ihl] >> 4) == 3 && pseudo
                ? InternetChecksum.ComputeWithPseudoHeader(new IPAddress(p.AsSpan(12, 4)), new IPAddress(p.AsSpan(16, 4)), 112, msg)
                : InternetChecksum.Compute(msg);
            BinaryPrimitives.WriteUInt16BigEndian(msg[6..], sum);
        }
        return p;
    }

    [Theory]
    [InlineData(254)]
    [InlineData(1)]
    [InlineData(64)]
    public void TtlNot255_IsDropped(byte ttl) => Assert.Equal(VrrpDropReason.BadTtl, Drop(Patch(V3(), p => p[8] = ttl)));

    [Fact]
    public void HopLimitNot255_IsDropped()
    {
        var p = GoldenPacketTests.Golden("v3-ipv6");
        p[7] = 1;
        Assert.False(VrrpPacket.TryReadIPv6Packet(p, out _, out var reason));
        Assert.Equal(VrrpDropReason.BadTtl, reason);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(4)]
    [InlineData(15)]
    public void Version_IsDropped(int version) => Assert.Equal(VrrpDropReason.BadVersion, Drop(Patch(V3(), p => p[20] = (byte)(version << 4 | 1))));

    [Fact]
    public void Version2OverIpv6_IsDropped()
    {
        var p = GoldenPacketTests.Golden("v3-ipv6");
        p[40] = 0x21;
        Assert.False(VrrpPacket.TryReadIPv6Packet(p, out _, out var reason));
        Assert.Equal(VrrpDropReason.BadVersion, reason);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(2)]
    [InlineData(15)]
    public void Type_IsDropped(int type) => Assert.Equal(VrrpDropReason.BadType, Drop(Patch(V3(), p => p[20] = (byte)(0x30 | type))));

    [Fact]
    public void Checksum_IsDropped() => Assert.Equal(VrrpDropReason.BadChecksum, Drop(Patch(V3(), p => p[26] ^= 0x01, fixChecksum: false)));

    [Fact]
    public void V2ChecksumWithPseudoHeader_IsDropped()
    {
        // v2 is checksummed over the message only (RFC 3768 §5.2.8): the v3 pseudo-header variant is wrong there.
        var p = Patch(V2(), _ => { }, fixChecksum: false);
        var msg = p.AsSpan(20);
        msg[6] = msg[7] = 0;
        BinaryPrimitives.WriteUInt16BigEndian(msg[6..], InternetChecksum.ComputeWithPseudoHeader(Src, VrrpAdvert.MulticastV4, 112, msg));
        Assert.Equal(VrrpDropReason.BadChecksum, Drop(p));
    }

    [Fact]
    public void ChangedPayloadWithOldChecksum_IsDropped() => Assert.Equal(VrrpDropReason.BadChecksum, Drop(Patch(V2(), p => p[22] = 1, fixChecksum: false)));

    [Fact]
    public void IntervalZero_V3_IsDropped() => Assert.Equal(VrrpDropReason.ZeroInterval, Drop(Patch(V3(), p => { p[24] = 0xF0; p[25] = 0; })));

    [Fact]
    public void IntervalZero_V2_IsDropped() => Assert.Equal(VrrpDropReason.ZeroInterval, Drop(Patch(V2(), p => p[25] = 0)));

    [Fact]
    public void CountLargerThanAddresses_IsTooShort() => Assert.Equal(VrrpDropReason.TooShort, Drop(Patch(V3(), p => p[23] = 2)));

    [Fact]
    public void CountZero_IsBadLength() => Assert.Equal(VrrpDropReason.BadLength, Drop(Patch(V3(), p => p[23] = 0)));

    [Fact]
    public void TrailingBytes_AreBadLength()
    {
        var v3 = V3();
        var p = new byte[v3.Length + 4];
        v3.CopyTo(p, 0);
        BinaryPrimitives.WriteUInt16BigEndian(p.AsSpan(2), (ushort)p.Length);
        Assert.Equal(VrrpDropReason.BadLength, Drop(Patch(p, _ => { })));
    }

    [Fact]
    public void IpHeaderTotalLengthBeyondBuffer_IsBadIpHeader() => Assert.Equal(VrrpDropReason.BadIpHeader, Drop(Patch(V3(), p => p[3] = 0xFF, fixChecksum: false)));

    [Fact]
    public void NotProtocol112_IsBadIpHeader() => Assert.Equal(VrrpDropReason.BadIpHeader, Drop(Patch(V3(), p => p[9] = 17, fixChecksum: false)));

    [Fact]
    public void EveryTruncation_IsDroppedWithoutThrowing()
    {
        foreach (var name in new[] { "v2-ipv4", "v2-ipv4-auth-pass", "v3-ipv4" })
        {
            var full = GoldenPacketTests.Golden(name);
            for (int n = 0; n < full.Length; n++)
            {
                var cut = full[..n];
                Assert.False(VrrpPacket.TryReadIPv4(cut, out _, out var reason), $"{name} cut at {n}");
                Assert.NotEqual(VrrpDropReason.None, reason);
            }
        }
        var v6 = GoldenPacketTests.Golden("v3-ipv6");
        for (int n = 0; n < v6.Length - 40; n++)
            Assert.False(VrrpPacket.TryReadIPv6(v6.AsSpan(40, n), IPAddress.Parse("fe80::1"), VrrpAdvert.MulticastV6, 255, out _, out _));
    }

    [Fact]
    public void RandomBytes_NeverThrow()
    {
        var random = new Random(5798);
        var buffer = new byte[80];
        for (int i = 0; i < 20000; i++)
        {
            int n = random.Next(buffer.Length);
            random.NextBytes(buffer);
            buffer[0] = (byte)(0x45 + (i % 3 == 0 ? 1 : 0));
            buffer[8] = 255;
            buffer[9] = 112;
            _ = VrrpPacket.TryReadIPv4(buffer.AsSpan(0, n), out _, out _);
            _ = VrrpPacket.TryReadIPv6(buffer.AsSpan(0, n), IPAddress.IPv6Loopback, VrrpAdvert.MulticastV6, 255, out _, out _);
        }
    }

    [Fact]
    public void InstanceChecks_VridCountIntervalAuth()
    {
        Assert.True(VrrpPacket.TryReadIPv4(V2(), out var r, out _));
        var config = GoldenPacketTests.Config(21, VrrpVersion.V2, 100, ["192.0.2.100/32", "192.0.2.101/32"]);
        Assert.Equal(VrrpDropReason.None, VrrpAdvertCheck.Check(r, config));
        Assert.Equal(VrrpDropReason.UnknownVrid, VrrpAdvertCheck.Check(r, config with { VirtualRouterId = 22 }));
        Assert.Equal(VrrpDropReason.BadVersion, VrrpAdvertCheck.Check(r, config with { Version = VrrpVersion.V3 }));
        Assert.Equal(VrrpDropReason.AddressCountMismatch, VrrpAdvertCheck.Check(r, config with { VirtualAddresses = [VirtualAddress.Parse("192.0.2.100/32")] }));
        Assert.Equal(VrrpDropReason.IntervalMismatch, VrrpAdvertCheck.Check(r, config with { AdvertIntervalCentiseconds = 200 }));
        Assert.Equal(VrrpDropReason.AuthMismatch, VrrpAdvertCheck.Check(r, config with { AuthType = VrrpAuthType.SimpleText, AuthPass = "x" }));
        Assert.Equal(VrrpDropReason.UnexpectedSource, VrrpAdvertCheck.Check(r, config with { UnicastPeer = IPAddress.Parse("10.99.0.9") }));
        Assert.Equal(VrrpDropReason.None, VrrpAdvertCheck.Check(r, config with { UnicastPeer = IPAddress.Parse("10.99.0.1") }));
    }

    [Fact]
    public void Counters_CountEachReason()
    {
        var c = new VrrpCounters();
        c.CountDrop(VrrpDropReason.BadTtl);
        c.CountDrop(VrrpDropReason.BadTtl);
        c.CountDrop(VrrpDropReason.BadChecksum);
        Assert.Equal(2, c[VrrpDropReason.BadTtl]);
        Assert.Equal(3, c.TotalDropped);
        Assert.Contains("BadTtl=2", c.ToString());
    }
}
