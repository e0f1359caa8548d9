using System.Buffers;
using System.Security.Cryptography;
using System.Text;

namespace Appliance.Health.Checkers;

/// <summary>
/// What every HTTP_GET / SSL_GET check of one real server sends and expects, computed once per
/// configuration: the request bytes, the accepted statuses, the body checks, and the wording
/// pieces of its reasons.
/// </summary>
public sealed class HttpCheckPlan
{
    public HttpCheckPlan(CheckSettings settings)
    {
        Settings = settings;
        Http = settings.Http ?? throw new ArgumentException($"creating the HTTP checker for {settings.Target}: no HTTP settings");
        Tls = settings.Kind == CheckKind.Https;
        if (!Http.Path.StartsWith('/') || Http.Path.Any(c => c <= ' ' || c > '~'))
            throw new ArgumentException($"creating the HTTP checker for {settings.Target}: path '{Http.Path}' must start with '/' and contain no spaces or control characters");
        Target = settings.Target.ToString();
        var host = Http.Host ?? Target;
        Url = $"{(Tls ? "https" : "http")}://{Target}{Http.Path}";
        Request = Encoding.ASCII.GetBytes(
            $"GET {Http.Path} HTTP/1.1\r\nHost: {host}\r\nUser-Agent: appliance-health\r\nAccept: */*\r\nConnection: close\r\n\r\n");
        if (Http.Digest is { } hex)
        {
            byte[]? digest;
            try { digest = Convert.FromHexString(hex); }
            catch (FormatException) { digest = null; }
            if (digest is not { Length: 16 })
                throw new ArgumentException($"creating the HTTP checker for {Url}: digest '{hex}' is not 32 hex digits (an MD5)");
            Digest = digest;
        }
        if (Http.Expect is { Length: > 0 } expect) Expect = Encoding.UTF8.GetBytes(expect);
    }

    public CheckSettings Settings { get; }
    public HttpCheckSettings Http { get; }
    public bool Tls { get; }
    /// <summary>The target as text ("10.0.0.12:80"), formatted once.</summary>
    public string Target { get; }
    public string Url { get; }
    public byte[] Request { get; }
    public byte[]? Digest { get; }
    public byte[]? Expect { get; }
    public bool ChecksBody => Digest is not null || Expect is not null;

    private (int Status, string Prefix)? _statusPrefix;

    /// <summary>"HTTP 200 from 10.0.0.12:80 after ", kept for the status last seen (one string per server, not per check).</summary>
    public string StatusPrefix(int status)
    {
        if (_statusPrefix is { } cached && cached.Status == status) return cached.Prefix;
        var prefix = $"HTTP {status} from {Target} after ";
        _statusPrefix = (status, prefix);
        return prefix;
    }

    public bool Accepts(int status)
    {
        foreach (var r in Http.StatusCodes) if (r.Contains(status)) return true;
        return false;
    }

    /// <summary>The reason when connect_timeout ends the check in the given phase.</summary>
    public string TimedOut(HttpPhase phase)
    {
        var within = $"within {Probe.Seconds(Settings.ConnectTimeout)} (connect_timeout)";
        return phase switch
        {
            HttpPhase.Tls => $"no TLS handshake from {Target} {within}",
            HttpPhase.Response => $"connected to {Target} but no HTTP response {within}",
            _ => $"body of {Url} incomplete {within}",
        };
    }
}

/// <summary>Where an HTTP check is; a timeout's reason names it.</summary>
public enum HttpPhase { Tls, Response, Body }

/// <summary>
/// The response side of one HTTP check, fed incrementally as bytes arrive (from a non-blocking
/// socket or from a TLS stream): status line and headers up to <see cref="HeaderLimit"/>, then the
/// body only when a body check needs it (Content-Length, chunked per RFC 9112 §7.1, or until the
/// close). Reusable: <see cref="Begin"/> starts the next check, of any server. Not thread-safe; one check at a time.
/// </summary>
public sealed class HttpResponseReader : IDisposable
{
    /// <summary>Status line and headers must fit in this many bytes.</summary>
    public const int HeaderLimit = 8192;
    private const int InitialBuffer = 1024;

    private HttpCheckPlan _plan = null!;
    // Most status lines and headers fit in 1 KiB; the buffer grows to HeaderLimit only when
    // needed, so thousands of checks in flight do not pin 8 KiB each.
    private byte[] _buffer = ArrayPool<byte>.Shared.Rent(InitialBuffer);
    private int _filled;
    private TimeSpan _elapsed;
    private int _status;
    private BodySink? _body;
    private ChunkedDecoder? _decoder;
    private long _remaining;
    private bool _framed;

    public HttpPhase Phase { get; private set; } = HttpPhase.Response;

    /// <summary>Starts reading the response of a new check of <paramref name="plan"/>.</summary>
    public void Begin(HttpCheckPlan plan)
    {
        _plan = plan;
        _filled = 0;
        _status = 0;
        _body?.Dispose();
        _body = null;
        _decoder = null;
        Phase = HttpPhase.Response;
    }

    /// <summary>Where the next received bytes go; then call <see cref="Received"/> with their count.</summary>
    public Memory<byte> Free
    {
        get
        {
            if (Phase == HttpPhase.Body) return _buffer.AsMemory(0, Math.Min(_buffer.Length, HeaderLimit));
            if (_filled == _buffer.Length && _buffer.Length < HeaderLimit)
            {
                var bigger = ArrayPool<byte>.Shared.Rent(HeaderLimit);
                _buffer.AsSpan(0, _filled).CopyTo(bigger);
                ArrayPool<byte>.Shared.Return(_buffer);
                _buffer = bigger;
            }
            return _buffer.AsMemory(_filled, Math.Min(_buffer.Length, HeaderLimit) - _filled);
        }
    }

    /// <summary>
    /// <paramref name="n"/> (> 0) bytes were written into <see cref="Free"/>, <paramref name="elapsed"/>
    /// after the check began (the caller's one clock reading): the verdict, or null when more is needed.
    /// </summary>
    public CheckResult? Received(int n, TimeSpan elapsed)
    {
        _elapsed = elapsed;
        if (Phase == HttpPhase.Body) return Body(_buffer.AsSpan(0, n));
        var from = Math.Max(0, _filled - 3);
        _filled += n;
        var got = _buffer.AsSpan(0, _filled);
        // Something that is not HTTP (an SSH banner, a TLS alert) is refused as soon as it shows,
        // not at connect_timeout.
        if (_filled >= 5 && !got[..5].SequenceEqual("HTTP/"u8))
            return Fail($"malformed HTTP response from {_plan.Target}: status line '{HttpChecker.Printable(FirstLine(got))}'");
        var at = got[from..].IndexOf("\r\n\r\n"u8);
        if (at < 0)
            return _filled >= HeaderLimit ? Fail($"HTTP headers from {_plan.Target} exceed {HeaderLimit} bytes") : null;
        var headerEnd = from + at + 4;

        if (!HttpChecker.TryParseHead(got[..headerEnd], out _status, out var length, out var chunked, out var bad))
            return Fail($"malformed HTTP response from {_plan.Target}: {bad}");
        if (!_plan.Accepts(_status))
            return CheckResult.After(CheckStatus.Failure, _plan.StatusPrefix(_status), _elapsed);
        if (!_plan.ChecksBody)
            return CheckResult.After(CheckStatus.Success, _plan.StatusPrefix(_status), _elapsed);

        if (_status is 204 or 304 || _status < 200) length = 0;
        Phase = HttpPhase.Body;
        _body = new BodySink(_plan.Http.MaxBodyBytes, _plan.Digest is not null, _plan.Expect is not null);
        _decoder = chunked ? new ChunkedDecoder() : null;
        _framed = chunked || length is not null;
        _remaining = length ?? long.MaxValue;
        return Body(got[headerEnd..]);
    }

    /// <summary>The peer closed the connection (a read returned 0), <paramref name="elapsed"/> after the check began: the verdict.</summary>
    public CheckResult Closed(TimeSpan elapsed)
    {
        _elapsed = elapsed;
        if (Phase == HttpPhase.Body)
        {
            if (_framed)
                return Fail($"body of {_plan.Url} cut short: the connection closed after {_body!.Total} bytes");
            return Judge(); // no framing: the body ends with the connection
        }
        var got = _buffer.AsSpan(0, _filled);
        return Fail(
            _filled == 0 ? $"{_plan.Target} closed the connection without an HTTP response"
            : !got.StartsWith("HTTP/"u8) ? $"malformed HTTP response from {_plan.Target}: status line '{HttpChecker.Printable(FirstLine(got))}'"
            : $"{_plan.Target} closed the connection in the middle of the HTTP headers");
    }

    private CheckResult? Body(ReadOnlySpan<byte> data)
    {
        var body = _body!;
        bool done;
        string? framing = null;
        if (_decoder is not null) done = _decoder.Feed(data, body, out framing);
        else
        {
            var take = (int)Math.Min(_remaining, data.Length);
            body.Append(data[..take]);
            _remaining -= take;
            done = _remaining == 0;
        }
        if (framing is not null) return Fail($"body of {_plan.Url}: malformed chunked encoding ({framing})");
        return done || body.Overflowed ? Judge() : null;
    }

    private CheckResult Judge()
    {
        var body = _body!;
        if (_plan.Digest is { } digest)
        {
            if (body.Overflowed)
                return Fail($"body of {_plan.Url} is longer than {_plan.Http.MaxBodyBytes} bytes (max body bytes); cannot check its digest");
            var actual = body.Digest();
            if (!actual.AsSpan().SequenceEqual(digest))
                return Fail($"body of {_plan.Url} has MD5 {Convert.ToHexStringLower(actual)}, expected {Convert.ToHexStringLower(digest)}");
        }
        if (_plan.Expect is { } expect && !body.Contains(expect))
            return Fail($"body of {_plan.Url} lacks '{_plan.Http.Expect}'");
        return Ok($"HTTP {_status} from {_plan.Target} after {Probe.Ms(_elapsed)}, body matched");
    }

    private CheckResult Ok(string reason) => CheckResult.Ok(reason, _elapsed);
    private CheckResult Fail(string reason) => CheckResult.Failed(reason, _elapsed);

    private static ReadOnlySpan<byte> FirstLine(ReadOnlySpan<byte> got) =>
        got.IndexOf("\r\n"u8) is var eol and >= 0 ? got[..eol] : got;

    public void Dispose()
    {
        _body?.Dispose();
        _body = null;
        if (_buffer.Length > 0) ArrayPool<byte>.Shared.Return(_buffer);
        _buffer = [];
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
