using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;

namespace Appliance.Tests.Health;

/// <summary>Loopback addresses for tests: each test class takes its own 127.x.y.0/24 so parallel classes never collide.</summary>
internal static class Loopback
{
    public static IPAddress Address(int net, int host) => IPAddress.Parse($"127.{80 + net / 256}.{net % 256}.{host}");

    /// <summary>An address:port where nothing listens (bound once, then closed): connect() is refused.</summary>
    public static IPEndPoint Refusing(IPAddress address)
    {
        using var s = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        s.Bind(new IPEndPoint(address, 0));
        return (IPEndPoint)s.LocalEndPoint!;
    }

    public static async Task WaitFor(Func<Task<bool>> condition, TimeSpan bound, Func<string> whatWasExpected)
    {
        var deadline = DateTime.UtcNow + bound;
        while (!await condition())
        {
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"waited {bound.TotalSeconds:0.#} s: {whatWasExpected()}");
            await Task.Delay(10);
        }
    }
}

/// <summary>How the real test server behaves for the next connection.</summary>
internal enum Behaviour { Answer, Hang, CloseAtOnce, Garbage }

/// <summary>
/// A real HTTP (optionally HTTPS) server on a loopback address, written on raw sockets so it can
/// fail the way real servers fail. Behaviour, status, body and delay may change while it runs.
/// </summary>
internal sealed class TestHttpServer : IAsyncDisposable
{
    private readonly Socket _listener;
    private readonly CancellationTokenSource _stop = new();
    private readonly X509Certificate2? _certificate;
    private readonly Task _acceptLoop;
    private int _requests;

    public TestHttpServer(IPAddress address, bool tls = false) : this(new IPEndPoint(address, 0), tls) { }

    public TestHttpServer(IPEndPoint at, bool tls = false)
    {
        _listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        _listener.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
        _listener.Bind(at);
        _listener.Listen(512);
        Endpoint = (IPEndPoint)_listener.LocalEndPoint!;
        if (tls) _certificate = SelfSigned();
        _acceptLoop = AcceptLoop();
    }

    public IPEndPoint Endpoint { get; }
    public volatile Behaviour Mode = Behaviour.Answer;
    public volatile int Status = 200;
    public volatile string Body = "OK\n";
    public volatile bool Chunked;
    public volatile string ExtraHeaders = "";
    public TimeSpan Delay = TimeSpan.Zero;
    /// <summary>When set, decides the status of request n (1-based); for flapping servers.</summary>
    public Func<int, int>? StatusOf { get; set; }
    public int Requests => Volatile.Read(ref _requests);

    private static X509Certificate2 SelfSigned()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=real-server.test", key, HashAlgorithmName.SHA256);
        using var cert = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(1));
        // Export/import so the private key is usable by SslStream on Linux.
        return X509CertificateLoader.LoadPkcs12(cert.Export(X509ContentType.Pkcs12), null);
    }

    private async Task AcceptLoop()
    {
        while (!_stop.IsCancellationRequested)
        {
            Socket client;
            try { client = await _listener.AcceptAsync(_stop.Token); }
            catch (Exception) { return; }
            _ = Serve(client);
        }
    }

    private async Task Serve(Socket client)
    {
        using var _ = client;
        Stream stream = new NetworkStream(client, ownsSocket: false);
        try
        {
            switch (Mode)
            {
                case Behaviour.Hang:
                    await Task.Delay(Timeout.Infinite, _stop.Token);
                    return;
                case Behaviour.CloseAtOnce:
                    return;
                case Behaviour.Garbage:
                    await stream.WriteAsync("SSH-2.0-OpenSSH_9.2\r\nthis is not TLS or HTTP\r\n"u8.ToArray(), _stop.Token);
                    await Task.Delay(100, _stop.Token);
                    return;
            }
            if (_certificate is not null)
            {
                var ssl = new SslStream(stream);
                await ssl.AuthenticateAsServerAsync(_certificate);
                stream = ssl;
            }
            var request = new byte[4096];
            var got = 0;
            while (got < request.Length && request.AsSpan(0, got).IndexOf("\r\n\r\n"u8) < 0)
            {
                var n = await stream.ReadAsync(request.AsMemory(got), _stop.Token);
                if (n == 0) return;
                got += n;
            }
            var number = Interlocked.Increment(ref _requests);
            if (Delay > TimeSpan.Zero) await Task.Delay(Delay, _stop.Token);
            var status = StatusOf?.Invoke(number) ?? Status;
            var body = Encoding.UTF8.GetBytes(Body);
            var head = Chunked
                ? $"HTTP/1.1 {status} X\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
                : $"HTTP/1.1 {status} X\r\n{ExtraHeaders}Content-Length: {body.Length}\r\nConnection: close\r\n\r\n";
            await stream.WriteAsync(Encoding.ASCII.GetBytes(head), _stop.Token);
            if (Chunked)
            {
                // Two chunks with an extension, then the last chunk and an empty trailer.
                var half = body.Length / 2;
                await stream.WriteAsync(Encoding.ASCII.GetBytes($"{half:x};ext=1\r\n"), _stop.Token);
                await stream.WriteAsync(body.AsMemory(0, half), _stop.Token);
                await stream.WriteAsync(Encoding.ASCII.GetBytes($"\r\n{body.Length - half:X}\r\n"), _stop.Token);
                await stream.WriteAsync(body.AsMemory(half), _stop.Token);
                await stream.WriteAsync("\r\n0\r\n\r\n"u8.ToArray(), _stop.Token);
            }
            else
                await stream.WriteAsync(body, _stop.Token);
            await stream.FlushAsync(_stop.Token);
        }
        catch (Exception) { /* the checker hung up or the test ended */ }
        finally { await stream.DisposeAsync(); }
    }

    public async ValueTask DisposeAsync()
    {
        _stop.Cancel();
        _listener.Dispose();
        await _acceptLoop;
        _certificate?.Dispose();
    }
}

/// <summary>
/// A listener that never completes a handshake. On Linux a SYN to a listener whose accept queue
/// is full is dropped without a SYN-ACK (tcp_conn_request: sk_acceptq_is_full; counted in
/// TcpExtListenOverflows). With backlog 0 the queue holds one connection: fill it once and
/// every further connect() sees silence, exactly like a host that drops SYNs.
/// </summary>
internal sealed class SilentListener : IDisposable
{
    private readonly Socket _listener;
    private readonly Socket _filler;

    public SilentListener(IPAddress address)
    {
        _listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        _listener.Bind(new IPEndPoint(address, 0));
        _listener.Listen(0);
        Endpoint = (IPEndPoint)_listener.LocalEndPoint!;
        _filler = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        _filler.Connect(Endpoint);
    }

    public IPEndPoint Endpoint { get; }

    public void Dispose()
    {
        _filler.Dispose();
        _listener.Dispose();
    }
}
