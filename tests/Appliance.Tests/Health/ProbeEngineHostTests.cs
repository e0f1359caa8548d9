using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Appliance.Health;
using Appliance.Health.Engine;
using Xunit;

namespace Appliance.Tests.Health;

/// <summary>
/// What the epoll engine does beyond the checker semantics (CheckerHostTests): answers that
/// arrive in many pieces (edge-triggered readiness must be read to the end each time), IPv6,
/// closing by RST so that no TIME_WAIT is left behind, and many probes at once on one thread.
/// </summary>
[Trait("Category", "Host")]
public sealed class ProbeEngineHostTests : IDisposable
{
    private static readonly IPAddress Ip = Loopback.Address(4, 1);
    private static readonly TimeSpan Generous = TimeSpan.FromSeconds(5);
    private readonly ProbeRunner _runner = new();

    public void Dispose() => _runner.Dispose();

    private static CheckSettings Http(IPEndPoint target) => new()
    {
        Kind = CheckKind.Http, Target = target, ConnectTimeout = Generous, Http = new HttpCheckSettings { Path = "/health" },
    };

    /// <summary>A listener that runs <paramref name="serve"/> on every accepted connection.</summary>
    private sealed class RawServer : IDisposable
    {
        private readonly Socket _listener;
        private readonly CancellationTokenSource _stop = new();

        public RawServer(IPAddress address, Func<Socket, CancellationToken, Task> serve)
        {
            _listener = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
            _listener.Bind(new IPEndPoint(address, 0));
            _listener.Listen(512);
            Endpoint = (IPEndPoint)_listener.LocalEndPoint!;
            _ = Task.Run(async () =>
            {
                while (!_stop.IsCancellationRequested)
                {
                    Socket client;
                    try { client = await _listener.AcceptAsync(_stop.Token); }
                    catch (Exception) { return; }
                    _ = Task.Run(async () =>
                    {
                        using (client)
                            try { await serve(client, _stop.Token); }
                            catch (Exception) { /* the checker hung up: that is its right */ }
                    });
                }
            });
        }

        public IPEndPoint Endpoint { get; }

        public void Dispose()
        {
            _stop.Cancel();
            _listener.Dispose();
        }
    }

    private static async Task ReadHead(Socket s, CancellationToken stop)
    {
        var buffer = new byte[4096];
        var got = 0;
        while (got < buffer.Length)
        {
            var n = await s.ReceiveAsync(buffer.AsMemory(got), stop);
            if (n == 0) return;
            got += n;
            if (buffer.AsSpan(0, got).IndexOf("\r\n\r\n"u8) >= 0) return;
        }
    }

    [Fact]
    public async Task An_answer_dribbled_one_byte_at_a_time_is_read_across_many_readiness_edges()
    {
        var answer = Encoding.ASCII.GetBytes("HTTP/1.1 200 OK\r\nContent-Length: 2\r\nX-Padding: " + new string('p', 40) + "\r\n\r\nOK");
        using var server = new RawServer(Ip, async (s, stop) =>
        {
            await ReadHead(s, stop);
            s.NoDelay = true;
            foreach (var b in answer)
            {
                await s.SendAsync(new[] { b }, stop);
                await Task.Delay(2, stop);
            }
            await Task.Delay(Timeout.Infinite, stop);
        });
        var r = await _runner.CheckAsync(Http(server.Endpoint));
        Assert.True(r.Succeeded, r.Reason);
        Assert.StartsWith($"HTTP 200 from {server.Endpoint} after ", r.Reason);
    }

    [Fact]
    public async Task Http_and_tcp_checks_work_over_ipv6()
    {
        using var server = new RawServer(IPAddress.IPv6Loopback, async (s, stop) =>
        {
            await ReadHead(s, stop);
            await s.SendAsync("HTTP/1.1 204 No Content\r\n\r\n"u8.ToArray(), stop);
        });
        var http = await _runner.CheckAsync(Http(server.Endpoint));
        Assert.True(http.Succeeded, http.Reason);
        Assert.StartsWith($"HTTP 204 from [::1]:{server.Endpoint.Port} after ", http.Reason);
        var tcp = await _runner.CheckAsync(new CheckSettings { Target = server.Endpoint, ConnectTimeout = Generous });
        Assert.True(tcp.Succeeded, tcp.Reason);
    }

    [Fact]
    public async Task A_verdict_before_the_server_closes_ends_with_rst_and_leaves_no_socket_behind()
    {
        // A server that answers and keeps the connection open (it ignores Connection: close):
        // the checker has its verdict first and closes first. A FIN would leave the director a
        // FIN_WAIT2 and then a TIME_WAIT socket per check; the engine resets instead.
        using var server = new RawServer(Ip, async (s, stop) =>
        {
            await ReadHead(s, stop);
            await s.SendAsync("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nOK"u8.ToArray(), stop);
            await Task.Delay(Timeout.Infinite, stop);
        });
        for (var i = 0; i < 20; i++)
        {
            var r = await _runner.CheckAsync(Http(server.Endpoint));
            Assert.True(r.Succeeded, r.Reason);
        }
        var tcp = await _runner.CheckAsync(new CheckSettings { Target = server.Endpoint, ConnectTimeout = Generous });
        Assert.True(tcp.Succeeded, tcp.Reason);
        Assert.Equal(0, ClientSocketsTo(server.Endpoint));
    }

    [Fact]
    public async Task Three_hundred_probes_at_once_on_one_thread_each_get_their_own_verdict()
    {
        using var ok = new RawServer(Ip, async (s, stop) =>
        {
            await ReadHead(s, stop);
            await s.SendAsync("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"u8.ToArray(), stop);
        });
        using var bad = new RawServer(Ip, async (s, stop) =>
        {
            await ReadHead(s, stop);
            await s.SendAsync("HTTP/1.1 503 Busy\r\nContent-Length: 0\r\n\r\n"u8.ToArray(), stop);
        });
        var refused = Loopback.Refusing(Ip);
        var targets = Enumerable.Range(0, 300).Select(i => (i % 3) switch { 0 => ok.Endpoint, 1 => bad.Endpoint, _ => refused }).ToArray();
        var results = await Task.WhenAll(targets.Select(t => _runner.CheckAsync(Http(t))));
        for (var i = 0; i < targets.Length; i++)
        {
            var expected = (i % 3) switch
            {
                0 => $"HTTP 200 from {ok.Endpoint}",
                1 => $"HTTP 503 from {bad.Endpoint}",
                _ => $"connect to {refused} refused",
            };
            Assert.StartsWith(expected, results[i].Reason);
            Assert.Equal(i % 3 == 0, results[i].Succeeded);
        }
    }

    [Theory]
    [InlineData(CheckKind.Http)]
    [InlineData(CheckKind.Tcp)]
    public async Task A_connect_that_completes_later_is_followed_through_epoll(CheckKind kind)
    {
        // On loopback a connect is complete when connect(2) returns, and the engine takes its
        // first step at once. To exercise the readiness path, the listener's accept queue is full
        // (backlog 0 plus one connection): the probe's SYN is dropped, and only its retransmission
        // (about a second later) finds room, after the queue is drained.
        using var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(Ip, 0));
        listener.Listen(0);
        var endpoint = (IPEndPoint)listener.LocalEndPoint!;
        using var filler = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await filler.ConnectAsync(endpoint);
        var settings = kind == CheckKind.Http ? Http(endpoint) : new CheckSettings { Target = endpoint, ConnectTimeout = Generous };
        var check = _runner.CheckAsync(settings);
        await Loopback.WaitFor(() => Task.FromResult(ClientSocketsTo(endpoint, state: "02") == 1), Generous,
            () => "the probe should be in SYN_SENT while the accept queue is full");
        Assert.False(check.IsCompleted, "the probe should still be connecting while the accept queue is full");
        using (await listener.AcceptAsync()) { } // the filler: room for the retransmitted SYN
        if (kind == CheckKind.Http)
        {
            using var probe = await listener.AcceptAsync();
            await ReadHead(probe, CancellationToken.None);
            await probe.SendAsync("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"u8.ToArray());
        }
        var r = await check;
        Assert.True(r.Succeeded, r.Reason);
        Assert.True(r.Duration > TimeSpan.FromMilliseconds(500), $"took {r.Duration}: the connect should have waited for the SYN's retransmission");
    }

    /// <summary>Sockets of /proc/net/tcp whose remote end is <paramref name="server"/>, in any state (FIN_WAIT, TIME_WAIT ...) or the given one (hex, "02" = SYN_SENT).</summary>
    private static int ClientSocketsTo(IPEndPoint server, string? state = null)
    {
        var bytes = server.Address.GetAddressBytes();
        var hex = $"{BitConverter.ToUInt32(bytes):X8}:{server.Port:X4}";
        var count = 0;
        foreach (var line in File.ReadLines("/proc/net/tcp").Skip(1))
        {
            var f = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (f.Length > 3 && f[2] == hex && (state is null || f[3] == state)) count++;
        }
        return count;
    }
}
