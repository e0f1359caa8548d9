namespace Appliance.Logging;

/// <summary>Severity of a log line; values follow syslog's (RFC 5424) numbering.</summary>
public enum LogLevel
{
    Error = 3,
    Warning = 4,
    Notice = 5,
    Info = 6,
    Debug = 7,
}

/// <summary>
/// Where the appliance writes what it does. Implementations must never block the event loop for
/// long and must never be handed a secret: callers redact keys and passwords before logging.
/// </summary>
public interface ILog
{
    /// <summary>True when lines of this level are written.</summary>
    bool IsEnabled(LogLevel level);

    /// <summary>Writes one line. <paramref name="component"/> is a short subsystem name ("vrrp", "ipvs").</summary>
    void Write(LogLevel level, string component, string message);
}

/// <summary>Convenience methods over <see cref="ILog"/>.</summary>
public static class LogExtensions
{
    public static void Error(this ILog log, string component, string message) => log.Write(LogLevel.Error, component, message);
    public static void Warning(this ILog log, string component, string message) => log.Write(LogLevel.Warning, component, message);
    public static void Notice(this ILog log, string component, string message) => log.Write(LogLevel.Notice, component, message);
    public static void Info(this ILog log, string component, string message) => log.Write(LogLevel.Info, component, message);
    public static void Debug(this ILog log, string component, string message)
    {
        if (log.IsEnabled(LogLevel.Debug)) log.Write(LogLevel.Debug, component, message);
    }
}
