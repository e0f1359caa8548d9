using System.Collections.Immutable;
using System.Text;

namespace Appliance.Logging;

/// <summary>Which sinks <see cref="Logger.Create"/> uses besides stderr.</summary>
public enum LogTarget
{
    /// <summary>stderr, plus the syslog socket when a syslogd listens, else the kernel log when writable.</summary>
    Auto,
    /// <summary>stderr only (development, tests).</summary>
    Stderr,
    /// <summary>stderr and /dev/kmsg.</summary>
    Kmsg,
    /// <summary>stderr and /dev/log.</summary>
    Syslog,
}

/// <summary>
/// The appliance's <see cref="ILog"/>: filters by level, scrubs registered secrets and control
/// characters, stamps the wall-clock time and hands the record to its sink (usually a
/// <see cref="CompositeSink"/> of <see cref="QueuedSink"/>s, so writing never blocks the caller).
/// Safe to call from any thread.
/// </summary>
public sealed class Logger : ILog, IDisposable
{
    /// <summary>What a registered secret is replaced with; the same text <c>Secret.ToString()</c> gives.</summary>
    public const string Redacted = "(secret)";

    /// <summary>Shorter secrets are not scrubbed: replacing two characters everywhere would garble every line.</summary>
    public const int MinRedactedLength = 3;

    private readonly ILogSink _sink;
    private readonly TimeProvider _time;
    private volatile LogLevel _minimum;
    private ImmutableArray<string> _secrets = [];

    public Logger(ILogSink sink, LogLevel minimum, TimeProvider time)
    {
        _sink = sink;
        _minimum = minimum;
        _time = time;
    }

    /// <summary>The least severe level written; can change at run time (reload).</summary>
    public LogLevel Minimum
    {
        get => _minimum;
        set => _minimum = value;
    }

    public ILogSink Sink => _sink;

    public bool IsEnabled(LogLevel level) => level <= _minimum;

    public void Write(LogLevel level, string component, string message)
    {
        if (!IsEnabled(level)) return;
        _sink.Write(new LogRecord(_time.GetUtcNow(), level, component, Clean(Redact(message))));
    }

    /// <summary>
    /// Scrubs this text from every later line. A second line of defence: secrets travel as
    /// <c>Secret</c> values that print "(secret)", but a key pasted into the wrong INI key would
    /// otherwise reach an error message verbatim.
    /// </summary>
    public void AddRedaction(string secret)
    {
        if (secret.Length < MinRedactedLength) return;
        ImmutableInterlocked.Update(ref _secrets, s => s.Contains(secret) ? s : s.Add(secret));
    }

    /// <summary>Waits (bounded) until every line written so far has reached its sinks.</summary>
    public bool Flush(TimeSpan timeout) => _sink.Flush(timeout);

    public void Dispose()
    {
        _sink.Flush(TimeSpan.FromSeconds(2));
        _sink.Dispose();
    }

    private string Redact(string message)
    {
        foreach (var secret in _secrets)
            if (message.Contains(secret, StringComparison.Ordinal))
                message = message.Replace(secret, Redacted, StringComparison.Ordinal);
        return message;
    }

    /// <summary>One record is one line: control characters (a newline in a peer's hostname, say) are escaped so they cannot forge lines.</summary>
    internal static string Clean(string message)
    {
        var clean = true;
        foreach (var c in message)
            if (c < ' ' && c != '\t' || c == '\x7f') { clean = false; break; }
        if (clean) return message;
        var sb = new StringBuilder(message.Length + 8);
        foreach (var c in message)
        {
            if (c == '\n') sb.Append("\\n");
            else if (c == '\r') sb.Append("\\r");
            else if (c < ' ' && c != '\t' || c == '\x7f') sb.Append($"\\x{(int)c:x2}");
            else sb.Append(c);
        }
        return sb.ToString();
    }

    /// <summary>
    /// Builds the daemon's logger: stderr always, plus the kernel log or the syslog socket per
    /// <paramref name="target"/>. Returns the logger and a sentence saying which sinks it chose
    /// (and why one was skipped), for the first log line.
    /// </summary>
    public static (Logger Logger, string Description) Create(LogTarget target, LogLevel minimum, TextWriter stderr, TimeProvider time,
        string kmsgPath = "/dev/kmsg", string syslogPath = "/dev/log")
    {
        var sinks = new List<ILogSink> { new QueuedSink(new StderrSink(stderr), time) };
        var notes = new List<string> { "stderr" };

        bool TrySyslog(bool required)
        {
            if (!File.Exists(syslogPath) && !required) return false;
            try
            {
                sinks.Add(new QueuedSink(new SyslogSink(syslogPath, time, Environment.ProcessId), time));
                notes.Add($"syslog socket {syslogPath}");
                return true;
            }
            catch (Exception e) when (e is System.Net.Sockets.SocketException or IOException)
            {
                notes.Add($"not syslog socket {syslogPath} ({e.Message})");
                return false;
            }
        }

        bool TryKmsg()
        {
            try
            {
                sinks.Add(new QueuedSink(KmsgSink.Open(kmsgPath), time));
                notes.Add($"kernel log {kmsgPath}");
                return true;
            }
            catch (IOException e)
            {
                notes.Add($"not kernel log ({e.Message})");
                return false;
            }
        }

        switch (target)
        {
            case LogTarget.Auto:
                if (!TrySyslog(required: false)) TryKmsg();
                break;
            case LogTarget.Kmsg:
                TryKmsg();
                break;
            case LogTarget.Syslog:
                TrySyslog(required: true);
                break;
        }
        var logger = new Logger(new CompositeSink(sinks), minimum, time);
        return (logger, $"logging at {LogLevels.Name(minimum)} to {string.Join(", ", notes)}");
    }
}
