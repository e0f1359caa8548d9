using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Text;

namespace Appliance.Health.Checkers;

/// <summary>
/// SSL_GET: the HTTP check over <see cref="SslStream"/> (AOT-safe). Plain HTTP_GET and TCP_CHECK
/// run on the health loop's own epoll engine (<see cref="Appliance.Health.Engine.ProbeEngine"/>);
/// TLS stays on the managed stack, which brings the handshake. Both read the response with the
/// same <see cref="HttpResponseReader"/>.
///
/// Why not HttpClient: a health check is one GET on a fresh connection that must end within
/// connect_timeout with a precise reason for the operator. HttpClient adds a connection pool,
/// handler pipeline and header collections per request, and its errors lose the phase that
/// failed (connect / TLS / response / body).
/// </summary>
public sealed class HttpChecker : IChecker
{
    /// <summary>Status line and headers must fit in this many bytes.</summary>
    public const int HeaderLimit = HttpResponseReader.HeaderLimit;

    private readonly CheckSettings _s;
    private readonly HttpCheckPlan _plan;

    public HttpChecker(CheckSettings settings)
    {
        _s = settings;
        _plan = new HttpCheckPlan(settings);
    }

    public async Task<CheckResult> CheckAsync(CancellationToken stopping)
    {
        var start = Probe.Start();
        using var deadline = Probe.Deadline(_s.ConnectTimeout, stopping);
        using var socket = Probe.NewStreamSocket(_s);
        var connectFailure = await Probe.ConnectAsync(socket, _s, deadline.Token, stopping).ConfigureAwait(false);
        if (stopping.IsCancellationRequested) return Probe.Stopped(Probe.Since(start));
        if (connectFailure is not null) return CheckResult.Failed(connectFailure, Probe.Since(start));

        var phase = HttpPhase.Tls;
        Stream stream = new NetworkStream(socket, ownsSocket: false);
        using var reader = new HttpResponseReader();
        reader.Begin(_plan);
        try
        {
            if (_plan.Tls)
            {
                var ssl = new SslStream(stream, leaveInnerStreamOpen: false);
                stream = ssl;
                var options = new SslClientAuthenticationOptions
                {
                    TargetHost = _plan.Http.Host ?? "",
                    // keepalived's SSL_GET does not verify the server by default: real servers
                    // usually carry certificates for the VIP's name, not their own address.
                    RemoteCertificateValidationCallback = _plan.Http.VerifyCertificate ? null : static (_, _, _, _) => true,
                };
                await ssl.AuthenticateAsClientAsync(options, deadline.Token).ConfigureAwait(false);
            }
            phase = HttpPhase.Response;
            await stream.WriteAsync(_plan.Request, deadline.Token).ConfigureAwait(false);
            while (true)
            {
                phase = reader.Phase;
                var n = await stream.ReadAsync(reader.Free, deadline.Token).ConfigureAwait(false);
                if ((n == 0 ? reader.Closed(Probe.Since(start)) : reader.Received(n, Probe.Since(start))) is { } verdict) return verdict;
            }
        }
        catch (OperationCanceledException) when (!stopping.IsCancellationRequested)
        {
            return CheckResult.Failed(_plan.TimedOut(phase), Probe.Since(start));
        }
        catch (OperationCanceledException)
        {
            return Probe.Stopped(Probe.Since(start));
        }
        catch (Exception e) when (e is AuthenticationException or IOException or SocketException && phase == HttpPhase.Tls)
        {
            return CheckResult.Failed($"TLS handshake with {_s.Target} failed: {Innermost(e)}", Probe.Since(start));
        }
        catch (Exception e) when (e is IOException or SocketException or ObjectDisposedException)
        {
            return CheckResult.Failed($"reading the HTTP response from {_s.Target} failed: {Innermost(e)}", Probe.Since(start));
        }
        finally
        {
            await stream.DisposeAsync().ConfigureAwait(false);
        }
    }

    /// <summary>Parses "HTTP/1.x NNN reason" and the two framing headers (RFC 9112 §4, §6).</summary>
    internal static bool TryParseHead(ReadOnlySpan<byte> head, out int status, out long? length, out bool chunked, out string bad)
    {
        status = 0; length = null; chunked = false; bad = "";
        var eol = head.IndexOf("\r\n"u8);
        var line = head[..eol];
        if (line.Length < 12 || !line.StartsWith("HTTP/"u8) || line[8] != (byte)' '
            || !char.IsAsciiDigit((char)line[9]) || !char.IsAsciiDigit((char)line[10]) || !char.IsAsciiDigit((char)line[11])
            || (line.Length > 12 && line[12] != (byte)' '))
        {
            bad = $"status line '{Printable(line)}'";
            return false;
        }
        status = (line[9] - '0') * 100 + (line[10] - '0') * 10 + (line[11] - '0');
        var rest = head[(eol + 2)..];
        while (rest.Length > 2)
        {
            eol = rest.IndexOf("\r\n"u8);
            var header = rest[..eol];
            rest = rest[(eol + 2)..];
            var colon = header.IndexOf((byte)':');
            if (colon <= 0) { bad = $"header line '{Printable(header)}'"; return false; }
            var name = header[..colon];
            var value = header[(colon + 1)..].Trim((byte)' ').Trim((byte)'\t');
            if (Ascii.EqualsIgnoreCase(name, "Content-Length"u8))
            {
                if (!long.TryParse(Encoding.ASCII.GetString(value), System.Globalization.NumberStyles.None, null, out var n))
                { bad = $"Content-Length '{Printable(value)}'"; return false; }
                length = n;
            }
            else if (Ascii.EqualsIgnoreCase(name, "Transfer-Encoding"u8))
                chunked = Encoding.ASCII.GetString(value).Contains("chunked", StringComparison.OrdinalIgnoreCase);
        }
        if (chunked) length = null; // RFC 9112 §6.3: chunked overrides Content-Length
        return true;
    }

    internal static string Printable(ReadOnlySpan<byte> bytes)
    {
        var sb = new StringBuilder();
        foreach (var b in bytes[..Math.Min(bytes.Length, 60)])
            sb.Append(b is >= 0x20 and < 0x7f ? (char)b : '.');
        if (bytes.Length > 60) sb.Append("...");
        return sb.ToString();
    }

    private static string Innermost(Exception e)
    {
        var message = e.Message;
        for (var inner = e.InnerException; inner is not null; inner = inner.InnerException)
            message = $"{message}: {inner.Message}";
        return message;
    }
}
