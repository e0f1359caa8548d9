using System.Text;
using Appliance.Control;
using Xunit;

namespace Appliance.Tests.Control;

public sealed class ControlProtocolTests
{
    [Theory]
    [InlineData("status", ControlTopic.Status)]
    [InlineData("health", ControlTopic.Health)]
    [InlineData("sync", ControlTopic.Sync)]
    [InlineData("vrrp", ControlTopic.Vrrp)]
    [InlineData("HEALTH\r", ControlTopic.Health)]
    [InlineData("  sync ", ControlTopic.Sync)]
    public void Known_words_parse(string line, ControlTopic expected)
    {
        Assert.True(ControlProtocol.TryParse(Encoding.ASCII.GetBytes(line), out var topic, out var error), error);
        Assert.Equal(expected, topic);
    }

    [Fact]
    public void Every_topic_round_trips_through_its_request_bytes()
    {
        foreach (var topic in Enum.GetValues<ControlTopic>())
        {
            var bytes = ControlProtocol.Request(topic);
            Assert.Equal((byte)'\n', bytes[^1]);
            Assert.True(ControlProtocol.TryParse(bytes.AsSpan(0, bytes.Length - 1), out var parsed, out _));
            Assert.Equal(topic, parsed);
        }
    }

    [Fact]
    public void Unknown_empty_and_binary_requests_say_why()
    {
        Assert.False(ControlProtocol.TryParse("reboot"u8, out _, out var error));
        Assert.Equal("unknown request 'reboot'; expected one of status, health, sync, vrrp", error);

        Assert.False(ControlProtocol.TryParse(""u8, out _, out error));
        Assert.StartsWith("empty request", error);

        Assert.False(ControlProtocol.TryParse([(byte)'s', 0x00, 0xff], out _, out error));
        Assert.Equal("request is not printable ASCII (byte 0x00)", error);

        // A long word is shown cut short: a reply never echoes an arbitrary amount of what a client sent.
        Assert.False(ControlProtocol.TryParse(Encoding.ASCII.GetBytes(new string('a', 200)), out _, out error));
        Assert.Contains("'" + new string('a', 32) + "...'", error);
    }

    [Fact]
    public void Replies_round_trip_and_an_error_stays_one_line()
    {
        var body = "line 1\nline 2\n";
        Assert.Equal(ControlReply.Success(body), ControlProtocol.Decode(Encoding.UTF8.GetString(ControlProtocol.Encode(ControlReply.Success(body)))));
        Assert.Equal(ControlReply.Success(""), ControlProtocol.Decode("OK\n"));

        var wire = Encoding.UTF8.GetString(ControlProtocol.Encode(ControlReply.Failure("bad\nOK\nforged")));
        Assert.Equal("ERROR bad OK forged\n", wire);
        Assert.Equal(ControlReply.Failure("bad OK forged"), ControlProtocol.Decode(wire));
    }

    [Fact]
    public void A_reply_that_is_neither_OK_nor_ERROR_is_refused()
    {
        Assert.Equal("the daemon closed the connection without a reply", Assert.Throws<FormatException>(() => ControlProtocol.Decode("")).Message);
        Assert.Contains("does not start with OK or ERROR: 'HTTP/1.1 200 OK'", Assert.Throws<FormatException>(() => ControlProtocol.Decode("HTTP/1.1 200 OK\r\n")).Message);
    }

    [Fact]
    public void The_socket_follows_APPLIANCE_RUN_DIR()
    {
        Assert.Equal("/run/appliance/control", ControlPaths.Socket(null));
        Assert.Equal("/run/appliance/control", ControlPaths.Socket(""));
        Assert.Equal("/tmp/run-a/control", ControlPaths.Socket("/tmp/run-a"));
    }
}
