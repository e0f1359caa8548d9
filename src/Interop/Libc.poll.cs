#pragma warning disable CS8981 // C names are kept on purpose
using System.Runtime.InteropServices;

namespace Appliance.Interop;

/// <summary>struct pollfd.</summary>
[StructLayout(LayoutKind.Sequential)]
public struct pollfd
{
    public int fd;
    public short events;
    public short revents;
}

/// <summary>&lt;poll.h&gt;.</summary>
public static unsafe partial class Libc
{
    public const short POLLIN = 0x001;
    public const short POLLPRI = 0x002;
    public const short POLLOUT = 0x004;
    public const short POLLERR = 0x008;
    public const short POLLHUP = 0x010;
    public const short POLLNVAL = 0x020;

    [LibraryImport(Name, SetLastError = true)]
    public static partial int poll(pollfd* fds, nuint nfds, int timeout);

    /// <summary>poll(2) over a span of descriptors; timeout in milliseconds, -1 waits forever.</summary>
    public static int poll(Span<pollfd> fds, int timeout)
    {
        fixed (pollfd* p = fds) return poll(p, (nuint)fds.Length, timeout);
    }
}
