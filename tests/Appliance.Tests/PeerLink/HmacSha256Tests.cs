using System.Security.Cryptography;
using System.Text;
using Appliance.PeerLink;
using Xunit;

namespace Appliance.Tests.PeerLink;

public class HmacSha256Tests
{
    private static string Sha(byte[] data)
    {
        var h = new byte[32];
        HmacSha256.Sha256(data, h);
        return Convert.ToHexStringLower(h);
    }

    private static string Hmac(byte[] key, byte[] data)
    {
        var h = new byte[32];
        HmacSha256.Compute(key, data, h);
        return Convert.ToHexStringLower(h);
    }

    [Fact]
    public void Sha256_matches_the_FIPS_180_examples()
    {
        Assert.Equal("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", Sha([]));
        Assert.Equal("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad", Sha("abc"u8.ToArray()));
        Assert.Equal("248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1",
            Sha("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"u8.ToArray()));
        Assert.Equal("cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0", Sha(Enumerable.Repeat((byte)'a', 1_000_000).ToArray()));
    }

    [Fact]
    public void Hmac_matches_RFC_4231()
    {
        Assert.Equal("b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7", Hmac(Enumerable.Repeat((byte)0x0b, 20).ToArray(), "Hi There"u8.ToArray()));
        Assert.Equal("5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843", Hmac("Jefe"u8.ToArray(), "what do ya want for nothing?"u8.ToArray()));
        Assert.Equal("773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe",
            Hmac(Enumerable.Repeat((byte)0xaa, 20).ToArray(), Enumerable.Repeat((byte)0xdd, 50).ToArray()));
        Assert.Equal("60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54",
            Hmac(Enumerable.Repeat((byte)0xaa, 131).ToArray(), "Test Using Larger Than Block-Size Key - Hash Key First"u8.ToArray()));
    }

    [Fact]
    public void Hmac_agrees_with_dotnets_OpenSSL_implementation_on_random_input()
    {
        var rng = new Random(4231);
        for (int i = 0; i < 2000; i++)
        {
            var key = new byte[rng.Next(0, 200)];
            var data = new byte[rng.Next(0, 300)];
            rng.NextBytes(key);
            rng.NextBytes(data);
            Assert.Equal(Convert.ToHexStringLower(HMACSHA256.HashData(key, data)), Hmac(key, data));
        }
    }
}
