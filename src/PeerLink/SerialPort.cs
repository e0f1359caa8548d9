using Appliance.Interop;
using static Appliance.Interop.Libc;

namespace Appliance.PeerLink;

/// <summary>A serial port operation failed; the message says which port, doing what, and errno.</summary>
public sealed class SerialPortException(string message, int errno) : IOException(message)
{
    public int Errno { get; } = errno;
}

/// <summary>
/// A raw 8N1 serial port over termios, non-blocking, for a poll-driven loop. Our own code, not
/// System.IO.Ports (which is not AOT-friendly on Linux and hides errors behind a thread).
/// </summary>
public sealed unsafe class SerialPort : IDisposable
{
    private static readonly Dictionary<int, uint> Speeds = new()
    {
        [9600] = B9600, [19200] = B19200, [38400] = B38400, [57600] = B57600,
        [115200] = B115200, [230400] = B230400,
    };

    /// <summary>Baud rates the INI may name. 115200 is the default.</summary>
    public static IReadOnlyCollection<int> SupportedBaudRates => Speeds.Keys;

    private int _fd = -1;

    public SerialPort(string path, int baud = 115200)
    {
        if (!Speeds.ContainsKey(baud))
            throw new ArgumentException($"serial port {path}: baud rate {baud} is not one of {string.Join(", ", Speeds.Keys)}");
        Path = path;
        Baud = baud;
    }

    public string Path { get; }
    public int Baud { get; }
    public int Fd => _fd;
    public bool IsOpen => _fd >= 0;

    /// <summary>
    /// Opens and configures the port: raw (cfmakeraw: no echo, no canonical mode, no signals, no
    /// CR/NL mapping), 8 data bits, no parity, one stop bit, CLOCAL (ignore modem lines: a
    /// null-modem cable has no DCD) and CREAD, no RTS/CTS and no XON/XOFF (XOFF is a byte value
    /// our binary frames contain). VMIN=1 VTIME=0 with O_NONBLOCK: an empty read fails with
    /// EAGAIN, so a read of 0 bytes can only mean hang-up (n_tty_read returns 0 for "no data"
    /// when VMIN=VTIME=0, which would hide it); poll() does the waiting. Both queues are flushed so stale bytes from before the open are
    /// not taken for a frame.
    /// </summary>
    public void Open()
    {
        if (_fd >= 0) return;
        int fd = open(Path, O_RDWR | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
        if (fd < 0) throw Error("opening", Errno.Last);
        try
        {
            termios t;
            if (tcgetattr(fd, &t) != 0) throw Error("reading the termios settings of", Errno.Last);
            cfmakeraw(&t);
            t.c_cflag &= ~(CSIZE | PARENB | CSTOPB | CRTSCTS | HUPCL);
            t.c_cflag |= CS8 | CLOCAL | CREAD;
            t.c_iflag &= ~(IXON | IXOFF);
            t.c_cc[VMIN] = 1;
            t.c_cc[VTIME] = 0;
            uint speed = Speeds[Baud];
            if (cfsetispeed(&t, speed) != 0 || cfsetospeed(&t, speed) != 0)
                throw Error($"setting {Baud} baud on", Errno.Last);
            if (tcsetattr(fd, TCSANOW, &t) != 0) throw Error("applying raw 8N1 settings to", Errno.Last);
            if (tcflush(fd, TCIOFLUSH) != 0) throw Error("flushing", Errno.Last);
        }
        catch
        {
            close(fd);
            throw;
        }
        _fd = fd;
    }

    /// <summary>Reads what is available; 0 when nothing is. Throws on EIO and on hang-up (read returning 0 on a tty).</summary>
    public int Read(Span<byte> buffer)
    {
        EnsureOpen("reading from");
        while (true)
        {
            nint n = read(_fd, buffer);
            if (n > 0) return (int)n;
            if (n == 0) throw new SerialPortException($"reading from serial port {Path}: end of file (hang-up: the other end went away)", EIO);
            int errno = Errno.Last;
            if (errno == EINTR) continue;
            if (errno == EAGAIN) return 0;
            throw Error("reading from", errno);
        }
    }

    /// <summary>
    /// Writes a frame without blocking. Returns the bytes written; fewer than asked when the
    /// output queue is full (the peer does not read): the rest is dropped, and the peer will see
    /// a truncated frame and resynchronise at the next frame's leading delimiter.
    /// </summary>
    public int Write(ReadOnlySpan<byte> data)
    {
        EnsureOpen("writing to");
        int done = 0;
        while (done < data.Length)
        {
            nint n = write(_fd, data[done..]);
            if (n > 0) { done += (int)n; continue; }
            int errno = Errno.Last;
            if (errno == EINTR) continue;
            if (errno == EAGAIN) break;
            throw Error("writing to", errno);
        }
        return done;
    }

    /// <summary>Waits up to <paramref name="timeoutMs"/> for input; true when readable. Throws on POLLERR/POLLHUP/POLLNVAL.</summary>
    public bool WaitReadable(int timeoutMs)
    {
        EnsureOpen("waiting on");
        var pfd = new pollfd { fd = _fd, events = POLLIN };
        int r = poll(&pfd, 1, timeoutMs);
        if (r < 0)
        {
            int errno = Errno.Last;
            if (errno == EINTR) return false;
            throw Error("polling", errno);
        }
        if (r == 0) return false;
        if ((pfd.revents & POLLIN) != 0) return true;
        if ((pfd.revents & (POLLERR | POLLHUP | POLLNVAL)) != 0)
            throw new SerialPortException($"polling serial port {Path}: {((pfd.revents & POLLHUP) != 0 ? "hang-up" : "error condition")} (revents 0x{pfd.revents:x})", EIO);
        return false;
    }

    public void Close()
    {
        if (_fd >= 0) close(_fd);
        _fd = -1;
    }

    public void Dispose() => Close();

    private void EnsureOpen(string what)
    {
        if (_fd < 0) throw new SerialPortException($"{what} serial port {Path}: the port is not open", EIO);
    }

    private SerialPortException Error(string what, int errno) =>
        new($"{what} serial port {Path}: {Errno.Describe(errno)}", errno);
}
