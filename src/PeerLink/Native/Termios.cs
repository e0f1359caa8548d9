using System.Runtime.InteropServices;

namespace Appliance.PeerLink.Native;

// TO MOVE: these libc declarations belong in src/Interop (branch `interop`), which had not landed
// when the serial port was written. They are verified against <termios.h>, <fcntl.h> and
// <poll.h> by tests/Appliance.Tests/PeerLink/NativeLayoutTests.cs (a compiled C program).

/// <summary>struct termios of glibc on Linux (asm-generic/termbits.h + c_ispeed/c_ospeed): 60 bytes.</summary>
[StructLayout(LayoutKind.Sequential)]
internal unsafe struct Termios
{
    public const int NCCS = 32;
    public uint c_iflag;
    public uint c_oflag;
    public uint c_cflag;
    public uint c_lflag;
    public byte c_line;
    public fixed byte c_cc[NCCS];
    public uint c_ispeed;
    public uint c_ospeed;
}

[StructLayout(LayoutKind.Sequential)]
internal struct PollFd
{
    public int fd;
    public short events;
    public short revents;
}

internal static class TermiosConstants
{
    public const int O_RDWR = 0x2;
    public const int O_NOCTTY = 0x100;
    public const int O_NONBLOCK = 0x800;
    public const int O_CLOEXEC = 0x80000;

    public const int TCSANOW = 0;
    public const int TCIOFLUSH = 2;

    // c_cflag
    public const uint CSIZE = 0x30;
    public const uint CS8 = 0x30;
    public const uint CSTOPB = 0x40;
    public const uint CREAD = 0x80;
    public const uint PARENB = 0x100;
    public const uint HUPCL = 0x400;
    public const uint CLOCAL = 0x800;
    public const uint CBAUD = 0x100F;
    public const uint CRTSCTS = 0x80000000;
    // c_iflag
    public const uint IXON = 0x400;
    public const uint IXANY = 0x800;
    public const uint IXOFF = 0x1000;
    // c_cc indexes
    public const int VTIME = 5;
    public const int VMIN = 6;

    // speed_t values (termbits.h: B9600 is octal 015, B57600 and up have the CBAUDEX bit 010000).
    public const uint B9600 = 0xD;
    public const uint B19200 = 0xE;
    public const uint B38400 = 0xF;
    public const uint B57600 = 0x1001;
    public const uint B115200 = 0x1002;
    public const uint B230400 = 0x1003;
    public const uint B460800 = 0x1004;
    public const uint B921600 = 0x1007;

    public const short POLLIN = 0x1;
    public const short POLLERR = 0x8;
    public const short POLLHUP = 0x10;
    public const short POLLNVAL = 0x20;

    public const int EINTR = 4;
    public const int EIO = 5;
    public const int EAGAIN = 11;
    public const int ENOENT = 2;
}

internal static partial class Libc
{
    [LibraryImport("libc", EntryPoint = "open", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int open(string path, int flags);

    [LibraryImport("libc", EntryPoint = "close", SetLastError = true)]
    internal static partial int close(int fd);

    [LibraryImport("libc", EntryPoint = "read", SetLastError = true)]
    internal static unsafe partial nint read(int fd, byte* buf, nint count);

    [LibraryImport("libc", EntryPoint = "write", SetLastError = true)]
    internal static unsafe partial nint write(int fd, byte* buf, nint count);

    [LibraryImport("libc", EntryPoint = "poll", SetLastError = true)]
    internal static unsafe partial int poll(PollFd* fds, nuint nfds, int timeout);

    [LibraryImport("libc", EntryPoint = "tcgetattr", SetLastError = true)]
    internal static unsafe partial int tcgetattr(int fd, Termios* termios);

    [LibraryImport("libc", EntryPoint = "tcsetattr", SetLastError = true)]
    internal static unsafe partial int tcsetattr(int fd, int optionalActions, Termios* termios);

    [LibraryImport("libc", EntryPoint = "cfmakeraw")]
    internal static unsafe partial void cfmakeraw(Termios* termios);

    [LibraryImport("libc", EntryPoint = "cfsetispeed", SetLastError = true)]
    internal static unsafe partial int cfsetispeed(Termios* termios, uint speed);

    [LibraryImport("libc", EntryPoint = "cfsetospeed", SetLastError = true)]
    internal static unsafe partial int cfsetospeed(Termios* termios, uint speed);

    [LibraryImport("libc", EntryPoint = "tcflush", SetLastError = true)]
    internal static partial int tcflush(int fd, int queueSelector);

    internal static string StrError(int errno) => $"{Marshal.GetPInvokeErrorMessage(errno)} (errno {errno})";
}
