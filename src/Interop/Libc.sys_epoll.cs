#pragma warning disable CS8981 // C names are kept on purpose
using System.Runtime.InteropServices;

namespace Appliance.Interop;

/// <summary>
/// struct epoll_event. On x86_64 the kernel declares it <c>__attribute__((packed))</c>
/// (EPOLL_PACKED in uapi/linux/eventpoll.h): 12 bytes, the 64-bit data at offset 4.
/// </summary>
[StructLayout(LayoutKind.Sequential, Pack = 4)]
public struct epoll_event
{
    public uint events;
    /// <summary>epoll_data_t; the appliance stores a 64-bit token (the union's <c>u64</c>).</summary>
    public ulong data;
}

/// <summary>struct linger (SO_LINGER).</summary>
[StructLayout(LayoutKind.Sequential)]
public struct linger
{
    public int l_onoff;
    public int l_linger;
}

/// <summary>&lt;sys/epoll.h&gt; and &lt;sys/eventfd.h&gt;: one readiness loop for many non-blocking sockets.</summary>
public static unsafe partial class Libc
{
    public const int EPOLL_CLOEXEC = 0x80000;
    public const int EPOLL_CTL_ADD = 1;
    public const int EPOLL_CTL_DEL = 2;
    public const int EPOLL_CTL_MOD = 3;

    public const uint EPOLLIN = 0x001;
    public const uint EPOLLOUT = 0x004;
    public const uint EPOLLERR = 0x008;
    public const uint EPOLLHUP = 0x010;
    public const uint EPOLLRDHUP = 0x2000;
    public const uint EPOLLET = 1u << 31;

    public const int EFD_CLOEXEC = 0x80000;
    public const int EFD_NONBLOCK = 0x800;

    public const int SO_LINGER = 13;

    [LibraryImport(Name, SetLastError = true)]
    public static partial int epoll_create1(int flags);

    [LibraryImport(Name, SetLastError = true)]
    public static partial int epoll_ctl(int epfd, int op, int fd, epoll_event* @event);

    [LibraryImport(Name, SetLastError = true)]
    public static partial int epoll_wait(int epfd, epoll_event* events, int maxevents, int timeout);

    [LibraryImport(Name, SetLastError = true)]
    public static partial int eventfd(uint initval, int flags);

    /// <summary>epoll_ctl(2) with the event mask and the token the kernel hands back with each readiness.</summary>
    public static int epoll_ctl(int epfd, int op, int fd, uint events, ulong token)
    {
        var ev = new epoll_event { events = events, data = token };
        return epoll_ctl(epfd, op, fd, &ev);
    }

    /// <summary>epoll_wait(2) into a span; timeout in milliseconds, -1 waits forever.</summary>
    public static int epoll_wait(int epfd, Span<epoll_event> events, int timeout)
    {
        fixed (epoll_event* e = events) return epoll_wait(epfd, e, events.Length, timeout);
    }
}
