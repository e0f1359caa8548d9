using System.Globalization;

namespace Appliance.Logging;

/// <summary>
/// Human-readable lines on stderr: <c>2026-11-22T03:58:59.123Z info    vrrp: message</c>.
/// UTC with milliseconds, so lines from both directors can be merged by sorting.
/// </summary>
public sealed class StderrSink(TextWriter writer) : ILogSink
{
    public string Name => "stderr";

    public static string Format(in LogRecord r) =>
        $"{r.Time.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture)} {LogLevels.Name(r.Level),-7} {r.Component}: {r.Message}";

    public void Write(in LogRecord record)
    {
        writer.WriteLine(Format(record));
        writer.Flush();
    }

    public void Dispose() => writer.Flush();
}
