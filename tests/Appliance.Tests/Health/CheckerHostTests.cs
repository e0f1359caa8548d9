using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using Appliance.Health;
using Appliance.Health.Checkers;
using Appliance.Health.Engine;
using Xunit;

namespace Appliance.Tests.Health;

/// <summary>Each checker against real servers on loopback that fail the way real servers fail.</summary>
[Trait("Category", "Host")]
public sealed class CheckerHostTests : IDisposable
{
    /// <summary>TCP_CHECK and HTTP_GET run on the epoll engine the monitor uses; this runner drives one.</summary>
    private readonly ProbeRunner _runner = new();

    public void Dispose() => _runner.Dispose();

    private static readonly IPAddress Ip = Loopback.Address(1, 1);
    /// <summary>For checks whose outcome is not a timeout: generous, so a loaded machine cannot turn them into one.</summary>
    private static readonly TimeSpan Generous = TimeSpan.FromSeconds(5);
    /// <summary>For the timeout paths themselves.</summary>
    // Long enough that a loaded machine's scheduling delay (seen: hundreds of ms) cannot make a
    // loopback connect look like a timeout.
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(1);

    private static CheckSettings Http(IPEndPoint target, HttpCheckSettings? http = null, CheckKind kind = CheckKind.Http, TimeSpan? timeout = null) => new()
    {
        Kind = kind, Target = target, ConnectTimeout = timeout ?? Generous, Http = http ?? new HttpCheckSettings { Path = "/health" },
    };

    private Task<CheckResult> Run(CheckSettings s, CancellationToken stopping = default) =>
        NativeProbe.Supports(s) ? _runner.CheckAsync(s, stopping) : CheckerFactory.Create(s).CheckAsync(stopping);

    [Fact]
    public async Task Tcp_connect_to_a_listener_succeeds()
    {
        await using var server = new TestHttpServer(Ip);
        var r = await Run(new CheckSettings { Target = server.Endpoint, ConnectTimeout = Generous });
        Assert.True(r.Succeeded, r.Reason);
        Assert.StartsWith($"connected to {server.Endpoint} in ", r.Reason);
    }

    [Fact]
    public async Task Tcp_connect_with_nothing_listening_is_refused_at_once()
    {
        var target = Loopback.Refusing(Ip);
        var r = await Run(new CheckSettings { Target = target, ConnectTimeout = Generous });
        Assert.False(r.Succeeded);
        Assert.Equal($"connect to {target} refused", r.Reason);
        Assert.True(r.Duration < Generous, $"refusal took {r.Duration}");
    }

    [Fact]
    public async Task Tcp_connect_to_a_host_that_never_answers_the_syn_times_out_at_connect_timeout()
    {
        using var silent = new SilentListener(Ip);
        var r = await Run(new CheckSettings { Target = silent.Endpoint, ConnectTimeout = Timeout });
        Assert.False(r.Succeeded);
        Assert.Equal($"no answer from {silent.Endpoint} within 1 s (connect_timeout)", r.Reason);
        Assert.InRange(r.Duration, Timeout - TimeSpan.FromMilliseconds(5), Timeout + TimeSpan.FromSeconds(1.5));
    }

    [Fact]
    public async Task Http_200_is_healthy_and_503_names_the_status_server_and_time()
    {
        await using var server = new TestHttpServer(Ip);
        var ok = await Run(Http(server.Endpoint));
        Assert.True(ok.Succeeded, ok.Reason);
        Assert.StartsWith($"HTTP 200 from {server.Endpoint} after ", ok.Reason);

        server.Status = 503;
        var bad = await Run(Http(server.Endpoint));
        Assert.False(bad.Succeeded);
        Assert.Matches($@"^HTTP 503 from {Regex(server.Endpoint)} after [0-9.]+ ms$", bad.Reason);
    }

    [Fact]
    public async Task Headers_beyond_the_first_kilobyte_are_read_and_beyond_8_KiB_refused()
    {
        await using var server = new TestHttpServer(Ip) { Body = "the body OK", ExtraHeaders = $"X-Padding: {new string('p', 3000)}\r\n" };
        var big = await Run(Http(server.Endpoint, new HttpCheckSettings { Expect = "body OK" }));
        Assert.True(big.Succeeded, big.Reason);
        server.ExtraHeaders = $"X-Padding: {new string('p', 9000)}\r\n";
        var huge = await Run(Http(server.Endpoint));
        Assert.Equal($"HTTP headers from {server.Endpoint} exceed 8192 bytes", huge.Reason);
    }

    [Fact]
    public async Task Status_code_lists_and_ranges_decide()
    {
        await using var server = new TestHttpServer(Ip) { Status = 302 };
        var codes = new HttpCheckSettings { StatusCodes = [new(200, 200), new(300, 399)] };
        Assert.True((await Run(Http(server.Endpoint, codes))).Succeeded);
        server.Status = 204;
        Assert.False((await Run(Http(server.Endpoint, codes))).Succeeded);
    }

    [Fact]
    public async Task Accepts_then_hangs_fails_at_connect_timeout_naming_the_missing_response()
    {
        await using var server = new TestHttpServer(Ip) { Mode = Behaviour.Hang };
        var r = await Run(Http(server.Endpoint, timeout: Timeout));
        Assert.False(r.Succeeded);
        Assert.Equal($"connected to {server.Endpoint} but no HTTP response within 1 s (connect_timeout)", r.Reason);
        Assert.InRange(r.Duration, Timeout - TimeSpan.FromMilliseconds(5), Timeout + TimeSpan.FromSeconds(1.5));
    }

    [Fact]
    public async Task A_server_slower_than_connect_timeout_fails_and_one_within_it_passes()
    {
        await using var server = new TestHttpServer(Ip) { Delay = TimeSpan.FromMilliseconds(2500) };
        var slow = await Run(Http(server.Endpoint, timeout: Timeout));
        Assert.False(slow.Succeeded);
        Assert.Contains("no HTTP response within 1 s (connect_timeout)", slow.Reason);
        server.Delay = TimeSpan.FromMilliseconds(100);
        var fine = await Run(Http(server.Endpoint));
        Assert.True(fine.Succeeded, fine.Reason);
        Assert.True(fine.Duration >= TimeSpan.FromMilliseconds(95), $"{fine.Duration}");
    }

    [Fact]
    public async Task A_server_that_closes_without_answering_is_named()
    {
        await using var server = new TestHttpServer(Ip) { Mode = Behaviour.CloseAtOnce };
        var r = await Run(Http(server.Endpoint));
        Assert.False(r.Succeeded);
        Assert.True(r.Reason == $"{server.Endpoint} closed the connection without an HTTP response"
            || r.Reason.StartsWith($"reading the HTTP response from {server.Endpoint} failed"), r.Reason);
    }

    [Fact]
    public async Task Garbage_instead_of_http_is_a_malformed_response()
    {
        await using var server = new TestHttpServer(Ip) { Mode = Behaviour.Garbage };
        var r = await Run(Http(server.Endpoint));
        Assert.False(r.Succeeded);
        Assert.StartsWith($"malformed HTTP response from {server.Endpoint}: status line 'SSH-2.0-OpenSSH_9.2'", r.Reason);
    }

    [Fact]
    public async Task Body_substring_is_required()
    {
        await using var server = new TestHttpServer(Ip) { Body = "status: FAIL\n" };
        var expect = new HttpCheckSettings { Path = "/health", Expect = "OK" };
        var r = await Run(Http(server.Endpoint, expect));
        Assert.False(r.Succeeded);
        Assert.Equal($"body of http://{server.Endpoint}/health lacks 'OK'", r.Reason);
        server.Body = "status: OK\n";
        Assert.True((await Run(Http(server.Endpoint, expect))).Succeeded);
    }

    [Fact]
    public async Task Body_digest_is_keepalived_md5_of_the_whole_body_with_length_or_chunked_framing()
    {
        const string body = "<html>a healthy real server, long enough to be split in chunks</html>\n";
        var md5 = Convert.ToHexStringLower(MD5.HashData(Encoding.UTF8.GetBytes(body)));
        await using var server = new TestHttpServer(Ip) { Body = body };
        var digest = new HttpCheckSettings { Digest = md5 };
        var plain = await Run(Http(server.Endpoint, digest));
        Assert.True(plain.Succeeded, plain.Reason);
        server.Chunked = true;
        var chunked = await Run(Http(server.Endpoint, digest));
        Assert.True(chunked.Succeeded, chunked.Reason);

        server.Body = body.Replace("healthy", "sick");
        var wrong = await Run(Http(server.Endpoint, digest));
        Assert.False(wrong.Succeeded);
        Assert.StartsWith($"body of http://{server.Endpoint}/ has MD5 ", wrong.Reason);
        Assert.EndsWith($", expected {md5}", wrong.Reason);
    }

    [Fact]
    public async Task A_body_longer_than_max_body_bytes_cannot_pass_a_digest_check()
    {
        await using var server = new TestHttpServer(Ip) { Body = new string('x', 5000) };
        var r = await Run(Http(server.Endpoint, new HttpCheckSettings { Digest = new string('0', 32), MaxBodyBytes = 1000 }));
        Assert.False(r.Succeeded);
        Assert.Contains("is longer than 1000 bytes (max body bytes)", r.Reason);
    }

    [Fact]
    public async Task The_host_header_is_sent()
    {
        // A server that answers 200 only for the right Host proves the header went out.
        using var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(Ip, 0));
        listener.Listen(4);
        var target = (IPEndPoint)listener.LocalEndPoint!;
        var serve = Task.Run(async () =>
        {
            using var c = await listener.AcceptAsync();
            var buf = new byte[2048];
            var n = await c.ReceiveAsync(buf);
            var request = Encoding.ASCII.GetString(buf, 0, n);
            var status = request.Contains("\r\nHost: www.example.test\r\n") && request.StartsWith("GET /x HTTP/1.1\r\n") ? 200 : 400;
            await c.SendAsync(Encoding.ASCII.GetBytes($"HTTP/1.1 {status} X\r\nContent-Length: 0\r\n\r\n"));
        });
        var r = await Run(Http(target, new HttpCheckSettings { Path = "/x", Host = "www.example.test" }));
        await serve;
        Assert.True(r.Succeeded, r.Reason);
    }

    [Fact]
    public async Task Https_against_a_self_signed_server_passes_without_verification_and_fails_with_it()
    {
        await using var server = new TestHttpServer(Ip, tls: true);
        var ok = await Run(Http(server.Endpoint, new HttpCheckSettings { Path = "/health", Expect = "OK" }, CheckKind.Https));
        Assert.True(ok.Succeeded, ok.Reason);
        var verify = await Run(Http(server.Endpoint, new HttpCheckSettings { Host = "real-server.test", VerifyCertificate = true }, CheckKind.Https));
        Assert.False(verify.Succeeded);
        Assert.StartsWith($"TLS handshake with {server.Endpoint} failed: ", verify.Reason);
    }

    [Fact]
    public async Task Tls_handshake_with_a_server_that_speaks_garbage_or_hangs_up_fails_with_the_reason()
    {
        await using var garbage = new TestHttpServer(Ip, tls: true) { Mode = Behaviour.Garbage };
        var g = await Run(Http(garbage.Endpoint, kind: CheckKind.Https));
        Assert.False(g.Succeeded);
        Assert.StartsWith($"TLS handshake with {garbage.Endpoint} failed: ", g.Reason);

        await using var closer = new TestHttpServer(Ip, tls: true) { Mode = Behaviour.CloseAtOnce };
        var c = await Run(Http(closer.Endpoint, kind: CheckKind.Https));
        Assert.False(c.Succeeded);
        Assert.StartsWith($"TLS handshake with {closer.Endpoint} failed: ", c.Reason);

        await using var hang = new TestHttpServer(Ip, tls: true) { Mode = Behaviour.Hang };
        var h = await Run(Http(hang.Endpoint, kind: CheckKind.Https, timeout: Timeout));
        Assert.Equal($"no TLS handshake from {hang.Endpoint} within 1 s (connect_timeout)", h.Reason);
    }

    [Fact]
    public async Task Stopping_abandons_a_probe_at_once_without_throwing()
    {
        using var silent = new SilentListener(Ip);
        await using var hang = new TestHttpServer(Ip) { Mode = Behaviour.Hang };
        using var stop = new CancellationTokenSource(TimeSpan.FromMilliseconds(200));
        var tcp = Run(new CheckSettings { Target = silent.Endpoint, ConnectTimeout = TimeSpan.FromSeconds(30) }, stop.Token);
        var http = Run(Http(hang.Endpoint, timeout: TimeSpan.FromSeconds(30)), stop.Token);
        var https = Run(Http(hang.Endpoint, kind: CheckKind.Https, timeout: TimeSpan.FromSeconds(30)), stop.Token);
        foreach (var r in await Task.WhenAll(tcp, http, https))
        {
            Assert.Equal("check abandoned: the health checker is stopping", r.Reason);
            Assert.True(r.Duration < TimeSpan.FromSeconds(10), $"{r.Duration}");
        }
    }

    private static string Regex(IPEndPoint e) => System.Text.RegularExpressions.Regex.Escape(e.ToString());
}
