using System.Text;
using Appliance.Interop;
using static Appliance.Interop.Libc;

namespace Appliance.Watchdog;

public sealed class WatchdogException(string message, int errno) : IOException(message)
{
    public int Errno { get; } = errno;
}

/// <summary>What the driver says about itself (WDIOC_GETSUPPORT).</summary>
public readonly record struct WatchdogIdentity(string Identity, uint FirmwareVersion, uint Options)
{
    public bool SupportsMagicClose => (Options & WDIOF_MAGICCLOSE) != 0;
    public bool SupportsSetTimeout => (Options & WDIOF_SETTIMEOUT) != 0;
    public override string ToString() => $"{Identity} (firmware {FirmwareVersion}, options 0x{Options:x}{(SupportsMagicClose ? ", magic close" : "")})";
}

/// <summary>
/// /dev/watchdog (Documentation/watchdog/watchdog-api.rst). Opening it arms the timer. Closing
/// disarms it only after the magic character 'V' was written, and only if the driver is not
/// built or loaded with nowayout; a process that dies (SIGKILL) closes without 'V', so the
/// timer keeps running and the box resets.
/// </summary>
public sealed class WatchdogDevice : IDisposable
{
    private int _fd;

    private WatchdogDevice(string path, int fd, WatchdogIdentity identity, int timeout)
    {
        Path = path;
        _fd = fd;
        Identity = identity;
        TimeoutSeconds = timeout;
    }

    public string Path { get; }
    public WatchdogIdentity Identity { get; }
    /// <summary>The timeout the driver actually applied (it may round the request).</summary>
    public int TimeoutSeconds { get; }

    /// <summary>Opens (arms) the device, reads its identity and sets the timeout.</summary>
    public static WatchdogDevice Open(string path, int timeoutSeconds)
    {
        if (timeoutSeconds < 1) throw new ArgumentException($"watchdog {path}: timeout {timeoutSeconds} s must be at least 1 s");
        int fd = open(path, O_WRONLY | O_CLOEXEC);
        if (fd < 0) throw Error(path, "opening", Errno.Last);
        try
        {
            watchdog_info info = default;
            if (ioctl(fd, WDIOC_GETSUPPORT, ref info) != 0) throw Error(path, "reading the identity (WDIOC_GETSUPPORT) of", Errno.Last);
            var identity = new WatchdogIdentity(Encoding.ASCII.GetString(((ReadOnlySpan<byte>)info.identity).TrimEnd((byte)0)), info.firmware_version, info.options);
            int timeout = timeoutSeconds;
            if (ioctl(fd, WDIOC_SETTIMEOUT, ref timeout) != 0)
                throw Error(path, $"setting a {timeoutSeconds} s timeout (WDIOC_SETTIMEOUT) on", Errno.Last);
            if (ioctl(fd, WDIOC_GETTIMEOUT, ref timeout) != 0) throw Error(path, "reading back the timeout of", Errno.Last);
            return new WatchdogDevice(path, fd, identity, timeout);
        }
        catch
        {
            // Closing without 'V' leaves the timer running: a daemon that cannot configure the
            // watchdog must not leave the box to reset silently, so say so in the error.
            close(fd);
            throw;
        }
    }

    public void Keepalive()
    {
        int dummy = 0;
        if (ioctl(_fd, WDIOC_KEEPALIVE, ref dummy) != 0) throw Error(Path, "feeding (WDIOC_KEEPALIVE)", Errno.Last);
    }

    /// <summary>
    /// Orderly stop. With <paramref name="disarm"/> (INI nowayout = no) the magic 'V' is written
    /// first so the driver stops the timer; otherwise the fd is closed and the timer runs on —
    /// the box resets unless a new daemon opens the device within the timeout.
    /// </summary>
    public void Close(bool disarm)
    {
        if (_fd < 0) return;
        if (disarm)
        {
            if (write(_fd, "V"u8) != 1)
            {
                int errno = Errno.Last;
                close(_fd);
                _fd = -1;
                throw Error(Path, "writing the magic close character to", errno);
            }
        }
        close(_fd);
        _fd = -1;
    }

    /// <summary>Disposal without an orderly stop never disarms.</summary>
    public void Dispose() => Close(disarm: false);

    private static WatchdogException Error(string path, string what, int errno) =>
        new($"{what} watchdog {path}: {Errno.Describe(errno)}", errno);
}
