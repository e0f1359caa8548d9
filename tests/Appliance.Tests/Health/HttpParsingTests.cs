using System.Net;
using System.Text;
using Appliance.Health;
using Appliance.Health.Checkers;
using Xunit;

namespace Appliance.Tests.Health;

public class HttpParsingTests
{
    private static (bool Ok, int Status, long? Length, bool Chunked, string Bad) Parse(string head)
    {
        var ok = HttpChecker.TryParseHead(Encoding.ASCII.GetBytes(head), out var status, out var length, out var chunked, out var bad);
        return (ok, status, length, chunked, bad);
    }

    [Fact]
    public void Status_line_and_framing_headers_are_read()
    {
        Assert.Equal((true, 200, 12L, false, ""), Parse("HTTP/1.1 200 OK\r\nContent-Length: 12\r\nServer: x\r\n\r\n"));
        Assert.Equal((true, 503, (long?)null, true, ""), Parse("HTTP/1.0 503\r\ncontent-length: 5\r\nTransfer-Encoding: gzip, chunked\r\n\r\n"));
    }

    [Theory]
    [InlineData("HTTP/1.1 20 OK\r\n\r\n", "status line 'HTTP/1.1 20 OK'")]
    [InlineData("HTTX/1.1 200 OK\r\n\r\n", "status line 'HTTX/1.1 200 OK'")]
    [InlineData("HTTP/1.1 200OK\r\n\r\n", "status line 'HTTP/1.1 200OK'")]
    [InlineData("HTTP/1.1 200 OK\r\nno colon\r\n\r\n", "header line 'no colon'")]
    [InlineData("HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n", "Content-Length '-1'")]
    public void Malformed_heads_are_refused_with_what_was_wrong(string head, string bad)
    {
        var r = Parse(head);
        Assert.False(r.Ok);
        Assert.Equal(bad, r.Bad);
    }

    [Fact]
    public void Checker_settings_are_validated_with_messages_naming_the_server()
    {
        var target = IPEndPoint.Parse("10.0.0.12:80");
        var bad = Assert.Throws<ArgumentException>(() => new HttpCheckPlan(new CheckSettings
        { Kind = CheckKind.Http, Target = target, Http = new HttpCheckSettings { Digest = "xyz" } }));
        Assert.Contains("http://10.0.0.12:80/", bad.Message);
        Assert.Contains("not 32 hex digits", bad.Message);
        var path = Assert.Throws<ArgumentException>(() => new HttpCheckPlan(new CheckSettings
        { Kind = CheckKind.Http, Target = target, Http = new HttpCheckSettings { Path = "/a b" } }));
        Assert.Contains("'/a b'", path.Message);
        var dns = Assert.Throws<ArgumentException>(() => new DnsChecker(new CheckSettings
        { Kind = CheckKind.Dns, Target = target, Dns = new DnsCheckSettings { Type = "BOGUS" } }));
        Assert.Contains("unknown query type 'BOGUS'", dns.Message);
    }
}
