using System.Text;
using Appliance.Interop;

namespace Appliance.Logging;

/// <summary>
/// The kernel log through /dev/kmsg: an appliance without syslogd still keeps its lines in the
/// ring buffer next to the kernel's (link down, watchdog), readable with dmesg or on the console.
/// Each write(2) is one record, <c>&lt;level&gt;appliance: component: message</c>; the kernel adds
/// the timestamp. Note: by default the kernel rate-limits user writes (printk.devkmsg=ratelimit);
/// the firmware boots with printk.devkmsg=on.
/// </summary>
public sealed class KmsgSink : ILogSink
{
    /// <summary>The kernel refuses records longer than this (LOG_LINE_MAX is 1024 minus the prefix room).</summary>
    public const int MaxRecordBytes = 976;

    private const string TruncatedMarker = " [truncated]";
    private readonly int _fd;

    private KmsgSink(int fd) => _fd = fd;

    public string Name => "kmsg";

    /// <summary>Opens the kernel log (or, in tests, any file); throws <see cref="ErrnoException"/> when it cannot.</summary>
    public static KmsgSink Open(string path = "/dev/kmsg")
    {
        var fd = Libc.open(path, Libc.O_WRONLY | Libc.O_CLOEXEC | Libc.O_NOCTTY | Libc.O_APPEND);
        if (fd < 0) throw ErrnoException.FromLast($"opening {path} for the kernel log");
        return new KmsgSink(fd);
    }

    /// <summary>The bytes of one record, cut to <see cref="MaxRecordBytes"/> with a visible marker rather than refused.</summary>
    public static byte[] Format(in LogRecord r)
    {
        var bytes = Encoding.UTF8.GetBytes($"<{(int)r.Level}>appliance: {r.Component}: {r.Message}\n");
        if (bytes.Length <= MaxRecordBytes) return bytes;
        var cut = MaxRecordBytes - TruncatedMarker.Length - 1;
        while (cut > 0 && (bytes[cut] & 0xC0) == 0x80) cut--; // do not split a UTF-8 sequence
        var result = new byte[cut + TruncatedMarker.Length + 1];
        bytes.AsSpan(0, cut).CopyTo(result);
        Encoding.ASCII.GetBytes(TruncatedMarker).CopyTo(result, cut);
        result[^1] = (byte)'\n';
        return result;
    }

    public void Write(in LogRecord record)
    {
        var bytes = Format(record);
        if (Libc.write(_fd, bytes) < 0)
            throw ErrnoException.FromLast("writing to the kernel log");
    }

    public void Dispose() => Libc.close(_fd);
}
