using System.Globalization;
using System.Net.Sockets;
using System.Text;

namespace Appliance.Logging;

/// <summary>
/// The local syslog socket (/dev/log), one datagram per line in the RFC 3164 form glibc's
/// syslog(3) sends: <c>&lt;PRI&gt;Mmm dd hh:mm:ss appliance[PID]: component: message</c>, facility
/// LOG_DAEMON. Sends never block: when syslogd falls behind the datagram is dropped and counted
/// (a stuck logger must not stop VRRP adverts). A restarted syslogd is reconnected on the next line.
/// </summary>
public sealed class SyslogSink : ILogSink
{
    /// <summary>LOG_DAEMON (syslog.h) — 3, shifted into the PRI as facility * 8.</summary>
    public const int FacilityDaemon = 3;

    private readonly string _path;
    private readonly int _pid;
    private readonly TimeProvider _time;
    private Socket? _socket;
    private long _dropped;

    public SyslogSink(string path, TimeProvider time, int pid)
    {
        _path = path;
        _time = time;
        _pid = pid;
        _socket = Connect();
    }

    public string Name => "syslog";

    /// <summary>Lines syslogd did not take (socket full or gone).</summary>
    public long Dropped => Interlocked.Read(ref _dropped);

    /// <summary>RFC 3164 §4.1: PRI, TIMESTAMP (local time, day padded with a space), TAG[PID]: MSG.</summary>
    public static string Format(in LogRecord r, DateTime localTime, int pid)
    {
        var month = CultureInfo.InvariantCulture.DateTimeFormat.GetAbbreviatedMonthName(localTime.Month);
        return $"<{FacilityDaemon * 8 + (int)r.Level}>{month} {localTime.Day,2} {localTime:HH:mm:ss} appliance[{pid}]: {r.Component}: {r.Message}";
    }

    public void Write(in LogRecord record)
    {
        var local = TimeZoneInfo.ConvertTime(record.Time, _time.LocalTimeZone).DateTime;
        var bytes = Encoding.UTF8.GetBytes(Format(record, local, _pid));
        for (var attempt = 0; attempt < 2; attempt++)
        {
            _socket ??= TryConnect();
            if (_socket is null) break;
            try
            {
                _socket.Send(bytes, SocketFlags.None);
                return;
            }
            catch (SocketException e) when (e.SocketErrorCode is SocketError.WouldBlock or SocketError.NoBufferSpaceAvailable)
            {
                break; // syslogd is behind: drop rather than wait
            }
            catch (SocketException)
            {
                // ECONNREFUSED/ENOTCONN: syslogd restarted and bound a new socket; reconnect once.
                _socket.Dispose();
                _socket = null;
            }
        }
        Interlocked.Increment(ref _dropped);
    }

    private Socket? TryConnect()
    {
        try { return Connect(); }
        catch (SocketException) { return null; }
    }

    private Socket Connect()
    {
        var s = new Socket(AddressFamily.Unix, SocketType.Dgram, ProtocolType.Unspecified);
        try
        {
            s.Connect(new UnixDomainSocketEndPoint(_path));
            s.Blocking = false;
            return s;
        }
        catch
        {
            s.Dispose();
            throw;
        }
    }

    public void Dispose() => _socket?.Dispose();
}
