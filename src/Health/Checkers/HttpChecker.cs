using System.Buffers;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Security.Cryptography;
using System.Text;

namespace Appliance.Health.Checkers;

/// <summary>
/// HTTP_GET and SSL_GET on a raw socket (and <see cref="SslStream"/> for TLS).
///
/// Why not HttpClient: a health check is one GET on a fresh connection that must end within
/// connect_timeout with a precise reason for the operator. HttpClient adds a connection pool,
/// handler pipeline and header collections per request, and its errors lose the phase that
/// failed (connect / TLS / response / body). A raw request is one precomputed byte array; the
/// response needs only a status line, two headers and an optional body. SslStream is AOT-safe.
/// </summary>
public sealed class HttpChecker : IChecker
{
    /// <summary>Status line and headers must fit in this many bytes.</summary>
    public const int HeaderLimit = 8192;
    private const int InitialBuffer = 1024;

    private readonly CheckSettings _s;
    private readonly HttpCheckSettings _h;
    private readonly bool _tls;
    private readonly byte[] _request;
    private readonly string _url;
    private readonly byte[]? _digest;
    private readonly byte[]? _expect;

    public HttpChecker(CheckSettings settings)
    {
        _s = settings;
        _h = settings.Http ?? throw new ArgumentException($"creating the HTTP checker for {settings.Target}: no HTTP settings");
        _tls = settings.Kind == CheckKind.Https;
        if (!_h.Path.StartsWith('/') || _h.Path.Any(c => c <= ' ' || c > '~'))
            throw new ArgumentException($"creating the HTTP checker for {settings.Target}: path '{_h.Path}' must start with '/' and contain no spaces or control characters");
        var host = _h.Host ?? settings.Target.ToString();
        _url = $"{(_tls ? "https" : "http")}://{settings.Target}{_h.Path}";
        _request = Encoding.ASCII.GetBytes(
            $"GET {_h.Path} HTTP/1.1\r\nHost: {host}\r\nUser-Agent: appliance-health\r\nAccept: */*\r\nConnection: close\r\n\r\n");
        if (_h.Digest is { } hex)
        {
            try { _digest = Convert.FromHexString(hex); }
            catch (FormatException) { _digest = null; }
            if (_digest is not { Length: 16 })
                throw new ArgumentException($"creating the HTTP checker for {_url}: digest '{hex}' is not 32 hex digits (an MD5)");
        }
        if (_h.Expect is { Length: > 0 } expect) _expect = Encoding.UTF8.GetBytes(expect);
    }

    public async Task<CheckResult> CheckAsync(CancellationToken stopping)
    {
        var start = Probe.Start();
        using var deadline = Probe.Deadline(_s.ConnectTimeout, stopping);
        using var socket = Probe.NewStreamSocket(_s);
        var connectFailure = await Probe.ConnectAsync(socket, _s, deadline.Token, stopping).ConfigureAwait(false);
        if (stopping.IsCancellationRequested) return Probe.Stopped(Probe.Since(start));
        if (connectFailure is not null) return CheckResult.Failed(connectFailure, Probe.Since(start));

        var phase = Phase.Tls;
        Stream stream = new NetworkStream(socket, ownsSocket: false);
        // Most status lines and headers fit in 1 KiB; the buffer grows to HeaderLimit only when
        // needed, so thousands of checks in flight do not pin 8 KiB each.
        var buffer = ArrayPool<byte>.Shared.Rent(InitialBuffer);
        try
        {
            if (_tls)
            {
                var ssl = new SslStream(stream, leaveInnerStreamOpen: false);
                stream = ssl;
                var options = new SslClientAuthenticationOptions
                {
                    TargetHost = _h.Host ?? "",
                    // keepalived's SSL_GET does not verify the server by default: real servers
                    // usually carry certificates for the VIP's name, not their own address.
                    RemoteCertificateValidationCallback = _h.VerifyCertificate ? null : static (_, _, _, _) => true,
                };
                await ssl.AuthenticateAsClientAsync(options, deadline.Token).ConfigureAwait(false);
            }
            phase = Phase.Response;
            await stream.WriteAsync(_request, deadline.Token).ConfigureAwait(false);
            return await ReadResponseAsync(stream, b => buffer = b, buffer, start, deadline.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!stopping.IsCancellationRequested)
        {
            var within = $"within {Probe.Seconds(_s.ConnectTimeout)} (connect_timeout)";
            return CheckResult.Failed(phase switch
            {
                Phase.Tls => $"no TLS handshake from {_s.Target} {within}",
                Phase.Response => $"connected to {_s.Target} but no HTTP response {within}",
                _ => $"body of {_url} incomplete {within}",
            }, Probe.Since(start));
        }
        catch (OperationCanceledException)
        {
            return Probe.Stopped(Probe.Since(start));
        }
        catch (Exception e) when (e is AuthenticationException or IOException or SocketException && phase == Phase.Tls)
        {
            return CheckResult.Failed($"TLS handshake with {_s.Target} failed: {Innermost(e)}", Probe.Since(start));
        }
        catch (Exception e) when (e is IOException or SocketException or ObjectDisposedException)
        {
            return CheckResult.Failed($"reading the HTTP response from {_s.Target} failed: {Innermost(e)}", Probe.Since(start));
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
            await stream.DisposeAsync().ConfigureAwait(false);
        }
    }

    private enum Phase { Tls, Response, Body }

    private async Task<CheckResult> ReadResponseAsync(Stream stream, Action<byte[]> swapped, byte[] buffer, long start, CancellationToken token)
    {
        var filled = 0;
        var headerEnd = -1;
        while (headerEnd < 0)
        {
            if (filled >= HeaderLimit)
                return CheckResult.Failed($"HTTP headers from {_s.Target} exceed {HeaderLimit} bytes", Probe.Since(start));
            if (filled == buffer.Length)
            {
                var bigger = ArrayPool<byte>.Shared.Rent(HeaderLimit);
                buffer.AsSpan(0, filled).CopyTo(bigger);
                ArrayPool<byte>.Shared.Return(buffer);
                buffer = bigger;
                swapped(bigger); // the caller returns whichever buffer is current
            }
            var n = await stream.ReadAsync(buffer.AsMemory(filled, Math.Min(buffer.Length, HeaderLimit) - filled), token).ConfigureAwait(false);
            if (n == 0)
            {
                var got = buffer.AsSpan(0, filled);
                var firstLine = got.IndexOf("\r\n"u8) is var eol and >= 0 ? got[..eol] : got;
                return CheckResult.Failed(
                    filled == 0 ? $"{_s.Target} closed the connection without an HTTP response"
                    : !got.StartsWith("HTTP/"u8) ? $"malformed HTTP response from {_s.Target}: status line '{Printable(firstLine)}'"
                    : $"{_s.Target} closed the connection in the middle of the HTTP headers", Probe.Since(start));
            }
            var from = Math.Max(0, filled - 3);
            filled += n;
            // Something that is not HTTP (an SSH banner, a TLS alert) is refused as soon as it shows,
            // not at connect_timeout.
            if (filled >= 5 && !buffer.AsSpan(0, 5).SequenceEqual("HTTP/"u8))
            {
                var got = buffer.AsSpan(0, filled);
                var line = got.IndexOf("\r\n"u8) is var e and >= 0 ? got[..e] : got;
                return CheckResult.Failed($"malformed HTTP response from {_s.Target}: status line '{Printable(line)}'", Probe.Since(start));
            }
            var at = buffer.AsSpan(from, filled - from).IndexOf("\r\n\r\n"u8);
            if (at >= 0) headerEnd = from + at + 4;
        }

        if (!TryParseHead(buffer.AsSpan(0, headerEnd), out var status, out var length, out var chunked, out var bad))
            return CheckResult.Failed($"malformed HTTP response from {_s.Target}: {bad}", Probe.Since(start));

        var accepted = false;
        foreach (var r in _h.StatusCodes) accepted |= r.Contains(status);
        if (!accepted)
            return CheckResult.Failed($"HTTP {status} from {_s.Target} after {Probe.Ms(Probe.Since(start))}", Probe.Since(start));
        if (_digest is null && _expect is null)
            return CheckResult.Ok($"HTTP {status} from {_s.Target} after {Probe.Ms(Probe.Since(start))}", Probe.Since(start));

        if (status is 204 or 304 || status < 200) length = 0;
        var body = new BodySink(_h.MaxBodyBytes, _digest is not null, _expect is not null);
        try
        {
            var decoder = chunked ? new ChunkedDecoder() : null;
            long remaining = length ?? long.MaxValue;
            var leftover = buffer.AsSpan(headerEnd, filled - headerEnd);
            var done = Feed(leftover, decoder, body, ref remaining, out var framing);
            while (!done && framing is null && !body.Overflowed)
            {
                var n = await stream.ReadAsync(buffer.AsMemory(0, Math.Min(buffer.Length, HeaderLimit)), token).ConfigureAwait(false);
                if (n == 0)
                {
                    if (decoder is not null || length is not null)
                        return CheckResult.Failed($"body of {_url} cut short: the connection closed after {body.Total} bytes", Probe.Since(start));
                    break; // no framing: the body ends with the connection
                }
                done = Feed(buffer.AsSpan(0, n), decoder, body, ref remaining, out framing);
            }
            if (framing is not null)
                return CheckResult.Failed($"body of {_url}: malformed chunked encoding ({framing})", Probe.Since(start));

            var took = Probe.Since(start);
            if (_digest is not null)
            {
                if (body.Overflowed)
                    return CheckResult.Failed($"body of {_url} is longer than {_h.MaxBodyBytes} bytes (max body bytes); cannot check its digest", took);
                var actual = body.Digest();
                if (!actual.AsSpan().SequenceEqual(_digest))
                    return CheckResult.Failed($"body of {_url} has MD5 {Convert.ToHexStringLower(actual)}, expected {Convert.ToHexStringLower(_digest)}", took);
            }
            if (_expect is not null && !body.Contains(_expect))
                return CheckResult.Failed($"body of {_url} lacks '{_h.Expect}'", took);
            return CheckResult.Ok($"HTTP {status} from {_s.Target} after {Probe.Ms(took)}, body matched", took);
        }
        finally
        {
            body.Dispose();
        }
    }

    private static bool Feed(ReadOnlySpan<byte> data, ChunkedDecoder? decoder, BodySink body, ref long remaining, out string? error)
    {
        error = null;
        if (decoder is not null) return decoder.Feed(data, body, out error);
        var take = (int)Math.Min(remaining, data.Length);
        body.Append(data[..take]);
        remaining -= take;
        return remaining == 0;
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

    /// <summary>Collects up to max bytes of the body for the substring search and hashes it for the digest.</summary>
    private sealed class BodySink(int max, bool hash, bool keep) : IDisposable
    {
        private readonly IncrementalHash? _md5 = hash ? IncrementalHash.CreateHash(HashAlgorithmName.MD5) : null;
        private byte[]? _kept = keep ? ArrayPool<byte>.Shared.Rent(max) : null;
        private int _keptLength;
        public long Total { get; private set; }
        public bool Overflowed => Total > max;

        public void Append(ReadOnlySpan<byte> data)
        {
            Total += data.Length;
            _md5?.AppendData(data);
            if (_kept is not null)
            {
                var room = Math.Min(data.Length, max - _keptLength);
                if (room > 0) { data[..room].CopyTo(_kept.AsSpan(_keptLength)); _keptLength += room; }
            }
        }

        public byte[] Digest() => _md5!.GetHashAndReset();
        public bool Contains(byte[] needle) => _kept is not null && _kept.AsSpan(0, _keptLength).IndexOf(needle) >= 0;

        public void Dispose()
        {
            _md5?.Dispose();
            if (_kept is not null) ArrayPool<byte>.Shared.Return(_kept);
            _kept = null;
        }
    }

    /// <summary>RFC 9112 §7.1 chunked transfer coding, decoded incrementally as bytes arrive.</summary>
    private sealed class ChunkedDecoder
    {
        private enum State { Size, Extension, SizeLf, Data, DataCr, DataLf, Trailer, Done }
        private State _state = State.Size;
        private long _size;
        private int _digits;
        private int _trailerLineLength;

        public bool Feed(ReadOnlySpan<byte> data, BodySink sink, out string? error)
        {
            error = null;
            var i = 0;
            while (i < data.Length && _state != State.Done)
            {
                var b = data[i];
                switch (_state)
                {
                    case State.Size:
                        var v = HexValue(b);
                        if (v >= 0)
                        {
                            if (++_digits > 15) { error = "chunk size too long"; return false; }
                            _size = _size * 16 + v; i++;
                        }
                        else if (_digits == 0) { error = $"chunk size expected, got byte 0x{b:x2}"; return false; }
                        else if (b == ';' || b == ' ' || b == '\t') { _state = State.Extension; i++; }
                        else if (b == '\r') { _state = State.SizeLf; i++; }
                        else { error = $"bad byte 0x{b:x2} in chunk size"; return false; }
                        break;
                    case State.Extension:
                        if (b == '\r') _state = State.SizeLf;
                        i++;
                        break;
                    case State.SizeLf:
                        if (b != '\n') { error = "chunk size line not ended by CRLF"; return false; }
                        i++;
                        _state = _size == 0 ? State.Trailer : State.Data;
                        _trailerLineLength = 0;
                        break;
                    case State.Data:
                        var take = (int)Math.Min(_size, data.Length - i);
                        sink.Append(data.Slice(i, take));
                        i += take; _size -= take;
                        if (_size == 0) _state = State.DataCr;
                        if (sink.Overflowed) return false;
                        break;
                    case State.DataCr:
                        if (b != '\r') { error = "chunk data not followed by CRLF"; return false; }
                        _state = State.DataLf; i++;
                        break;
                    case State.DataLf:
                        if (b != '\n') { error = "chunk data not followed by CRLF"; return false; }
                        _state = State.Size; _size = 0; _digits = 0; i++;
                        break;
                    case State.Trailer:
                        // Trailer fields end with an empty line; we only need to find it.
                        if (b == '\n')
                        {
                            if (_trailerLineLength == 0) _state = State.Done;
                            _trailerLineLength = 0;
                        }
                        else if (b != '\r') _trailerLineLength++;
                        i++;
                        break;
                }
            }
            return _state == State.Done;
        }

        private static int HexValue(byte b) => b switch
        {
            >= (byte)'0' and <= (byte)'9' => b - '0',
            >= (byte)'a' and <= (byte)'f' => b - 'a' + 10,
            >= (byte)'A' and <= (byte)'F' => b - 'A' + 10,
            _ => -1,
        };
    }
}
