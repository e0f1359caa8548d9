using System.Globalization;

namespace Appliance.Logging;

/// <summary>One line on its way to the sinks: when (wall clock, for humans), how bad, who, what.</summary>
public readonly record struct LogRecord(DateTimeOffset Time, LogLevel Level, string Component, string Message);

/// <summary>Where log lines end up: stderr, the kernel log, the syslog socket.</summary>
public interface ILogSink : IDisposable
{
    /// <summary>Short name for counters and diagnostics ("stderr", "kmsg", "syslog").</summary>
    string Name { get; }

    /// <summary>Writes one record. May block (a full pipe, a stuck syslogd): <see cref="QueuedSink"/> keeps that off the event loop.</summary>
    void Write(in LogRecord record);

    /// <summary>Waits until every record written so far has left the sink; false when the bound ran out.</summary>
    bool Flush(TimeSpan timeout) => true;
}

/// <summary>Level names as operators type them (syslog's, plus the usual short forms).</summary>
public static class LogLevels
{
    public static string Name(LogLevel level) => level switch
    {
        LogLevel.Error => "error",
        LogLevel.Warning => "warning",
        LogLevel.Notice => "notice",
        LogLevel.Info => "info",
        LogLevel.Debug => "debug",
        _ => ((int)level).ToString(CultureInfo.InvariantCulture),
    };

    /// <summary>Parses "error", "err", "warning", "warn", "notice", "info", "debug" (any case).</summary>
    public static bool TryParse(string? text, out LogLevel level)
    {
        level = LogLevel.Info;
        switch (text?.Trim().ToLowerInvariant())
        {
            case "error" or "err": level = LogLevel.Error; return true;
            case "warning" or "warn": level = LogLevel.Warning; return true;
            case "notice": level = LogLevel.Notice; return true;
            case "info": level = LogLevel.Info; return true;
            case "debug": level = LogLevel.Debug; return true;
            default: return false;
        }
    }

    /// <summary>The accepted names, for usage and error messages.</summary>
    public const string Accepted = "error, warning, notice, info, debug";
}
