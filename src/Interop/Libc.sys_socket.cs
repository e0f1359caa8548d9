#pragma warning disable CS8981 // C names are kept on purpose (struct msghdr, iovec ...)
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Appliance.Interop;

/// <summary>struct iovec (sys/uio.h): one buffer of a scatter/gather list.</summary>
[StructLayout(LayoutKind.Sequential)]
public unsafe struct iovec
{
    public void* iov_base;
    public nuint iov_len;
}

/// <summary>struct msghdr: the argument of sendmsg/recvmsg.</summary>
[StructLayout(LayoutKind.Sequential)]
public unsafe struct msghdr
{
    public void* msg_name;
    public uint msg_namelen;
    public iovec* msg_iov;
    public nuint msg_iovlen;
    public void* msg_control;
    public nuint msg_controllen;
    public int msg_flags;
}

/// <summary>struct cmsghdr: the header of one ancillary-data item (IP_PKTINFO, IPV6_HOPLIMIT ...).</summary>
[StructLayout(LayoutKind.Sequential)]
public struct cmsghdr
{
    public nuint cmsg_len;
    public int cmsg_level;
    public int cmsg_type;
}

/// <summary>&lt;sys/socket.h&gt;: the socket calls, address families, socket types and options.</summary>
public static unsafe partial class Libc
{
    public const int AF_UNSPEC = 0;
    public const int AF_UNIX = 1;
    public const int AF_INET = 2;
    public const int AF_INET6 = 10;
    public const int AF_NETLINK = 16;
    public const int AF_PACKET = 17;

    public const int SOCK_STREAM = 1;
    public const int SOCK_DGRAM = 2;
    public const int SOCK_RAW = 3;
    public const int SOCK_NONBLOCK = 0x800;
    public const int SOCK_CLOEXEC = 0x80000;

    public const int SOL_SOCKET = 1;
    public const int SOL_IP = 0;
    public const int SOL_IPV6 = 41;
    public const int SOL_PACKET = 263;
    public const int SOL_NETLINK = 270;

    public const int SO_REUSEADDR = 2;
    public const int SO_TYPE = 3;
    public const int SO_ERROR = 4;
    public const int SO_BROADCAST = 6;
    public const int SO_SNDBUF = 7;
    public const int SO_RCVBUF = 8;
    public const int SO_PRIORITY = 12;
    public const int SO_BINDTODEVICE = 25;
    public const int SO_SNDBUFFORCE = 32;
    public const int SO_RCVBUFFORCE = 33;
    public const int SO_PROTOCOL = 38;
    public const int SO_DOMAIN = 39;

    public const int MSG_PEEK = 0x2;
    public const int MSG_DONTROUTE = 0x4;
    public const int MSG_CTRUNC = 0x8;
    public const int MSG_TRUNC = 0x20;
    public const int MSG_DONTWAIT = 0x40;
    public const int MSG_NOSIGNAL = 0x4000;

    [LibraryImport(Name, SetLastError = true)]
    public static partial int socket(int domain, int type, int protocol);

    [LibraryImport(Name, SetLastError = true)]
    public static partial int bind(int sockfd, void* addr, uint addrlen);

    [LibraryImport(Name, SetLastError = true)]
    public static partial int connect(int sockfd, void* addr, uint addrlen);

    [LibraryImport(Name, SetLastError = true)]
    public static partial nint sendto(int sockfd, void* buf, nuint len, int flags, void* dest_addr, uint addrlen);

    [LibraryImport(Name, SetLastError = true)]
    public static partial nint recvfrom(int sockfd, void* buf, nuint len, int flags, void* src_addr, uint* addrlen);

    [LibraryImport(Name, SetLastError = true)]
    public static partial nint sendmsg(int sockfd, msghdr* msg, int flags);

    [LibraryImport(Name, SetLastError = true)]
    public static partial nint recvmsg(int sockfd, msghdr* msg, int flags);

    [LibraryImport(Name, SetLastError = true)]
    public static partial int setsockopt(int sockfd, int level, int optname, void* optval, uint optlen);

    [LibraryImport(Name, SetLastError = true)]
    public static partial int getsockopt(int sockfd, int level, int optname, void* optval, uint* optlen);

    // Span/ref overloads: the rest of the appliance passes addresses and options as values.

    /// <summary>bind(2) to an address struct (<see cref="sockaddr_in"/>, <see cref="sockaddr_nl"/>, <see cref="sockaddr_ll"/> ...).</summary>
    public static int bind<TAddr>(int sockfd, in TAddr addr) where TAddr : unmanaged
    {
        fixed (TAddr* a = &addr) return bind(sockfd, a, (uint)sizeof(TAddr));
    }

    /// <summary>connect(2) to an address struct.</summary>
    public static int connect<TAddr>(int sockfd, in TAddr addr) where TAddr : unmanaged
    {
        fixed (TAddr* a = &addr) return connect(sockfd, a, (uint)sizeof(TAddr));
    }

    /// <summary>sendto(2) one datagram to an address struct.</summary>
    public static nint sendto<TAddr>(int sockfd, ReadOnlySpan<byte> buf, int flags, in TAddr dest) where TAddr : unmanaged
    {
        fixed (byte* b = buf)
        fixed (TAddr* a = &dest)
            return sendto(sockfd, b, (nuint)buf.Length, flags, a, (uint)sizeof(TAddr));
    }

    /// <summary>send(2)-like sendto(2) on a connected or bound-to-peer socket.</summary>
    public static nint sendto(int sockfd, ReadOnlySpan<byte> buf, int flags)
    {
        fixed (byte* b = buf) return sendto(sockfd, b, (nuint)buf.Length, flags, null, 0);
    }

    /// <summary>connect(2) to an address held as bytes (<see cref="Sockaddr.From"/>).</summary>
    public static int connect(int sockfd, ReadOnlySpan<byte> addr)
    {
        fixed (byte* a = addr) return connect(sockfd, a, (uint)addr.Length);
    }

    /// <summary>bind(2) to an address held as bytes (<see cref="Sockaddr.From"/>).</summary>
    public static int bind(int sockfd, ReadOnlySpan<byte> addr)
    {
        fixed (byte* a = addr) return bind(sockfd, a, (uint)addr.Length);
    }

    /// <summary>recv(2): recvfrom(2) without the source address, on a connected socket.</summary>
    public static nint recv(int sockfd, Span<byte> buf, int flags)
    {
        fixed (byte* b = buf) return recvfrom(sockfd, b, (nuint)buf.Length, flags, null, null);
    }

    /// <summary>recvfrom(2) one datagram and its source address.</summary>
    public static nint recvfrom<TAddr>(int sockfd, Span<byte> buf, int flags, out TAddr src) where TAddr : unmanaged
    {
        src = default;
        uint len = (uint)sizeof(TAddr);
        fixed (byte* b = buf)
        fixed (TAddr* a = &src)
            return recvfrom(sockfd, b, (nuint)buf.Length, flags, a, &len);
    }

    /// <summary>setsockopt(2) with a value struct or integer.</summary>
    public static int setsockopt<T>(int sockfd, int level, int optname, in T optval) where T : unmanaged
    {
        fixed (T* v = &optval) return setsockopt(sockfd, level, optname, v, (uint)sizeof(T));
    }

    /// <summary>setsockopt(2) with raw bytes (SO_BINDTODEVICE takes the interface name).</summary>
    public static int setsockopt(int sockfd, int level, int optname, ReadOnlySpan<byte> optval)
    {
        fixed (byte* v = optval) return setsockopt(sockfd, level, optname, v, (uint)optval.Length);
    }

    /// <summary>getsockopt(2) of a value struct or integer.</summary>
    public static int getsockopt<T>(int sockfd, int level, int optname, out T optval) where T : unmanaged
    {
        optval = default;
        uint len = (uint)sizeof(T);
        fixed (T* v = &optval) return getsockopt(sockfd, level, optname, v, &len);
    }

    /// <summary>
    /// recvmsg(2) into one data buffer with room for ancillary data; the source address goes
    /// to <paramref name="src"/>. Returns the byte count (or -1); <paramref name="controlLength"/>
    /// is how much of <paramref name="control"/> the kernel filled (read it with <see cref="CmsgReader"/>),
    /// <paramref name="msgFlags"/> carries MSG_TRUNC/MSG_CTRUNC.
    /// </summary>
    public static nint recvmsg<TAddr>(int sockfd, Span<byte> data, Span<byte> control, int flags,
        out TAddr src, out int controlLength, out int msgFlags) where TAddr : unmanaged
    {
        src = default;
        fixed (byte* d = data)
        fixed (byte* c = control)
        fixed (TAddr* a = &src)
        {
            var iov = new iovec { iov_base = d, iov_len = (nuint)data.Length };
            var msg = new msghdr
            {
                msg_name = a, msg_namelen = (uint)sizeof(TAddr),
                msg_iov = &iov, msg_iovlen = 1,
                msg_control = control.IsEmpty ? null : c, msg_controllen = (nuint)control.Length,
            };
            var n = recvmsg(sockfd, &msg, flags);
            controlLength = n < 0 ? 0 : (int)msg.msg_controllen;
            msgFlags = n < 0 ? 0 : msg.msg_flags;
            return n;
        }
    }

    /// <summary>sendmsg(2) of one data buffer with ancillary data (built with <see cref="CmsgWriter"/>) to an address.</summary>
    public static nint sendmsg<TAddr>(int sockfd, ReadOnlySpan<byte> data, ReadOnlySpan<byte> control, int flags, in TAddr dest)
        where TAddr : unmanaged
    {
        fixed (byte* d = data)
        fixed (byte* c = control)
        fixed (TAddr* a = &dest)
        {
            var iov = new iovec { iov_base = d, iov_len = (nuint)data.Length };
            var msg = new msghdr
            {
                msg_name = a, msg_namelen = (uint)sizeof(TAddr),
                msg_iov = &iov, msg_iovlen = 1,
                msg_control = control.IsEmpty ? null : c, msg_controllen = (nuint)control.Length,
            };
            return sendmsg(sockfd, &msg, flags);
        }
    }

    // The CMSG_* macros of <sys/socket.h>: ancillary items are aligned to sizeof(size_t).

    /// <summary>CMSG_ALIGN(len).</summary>
    public static int CMSG_ALIGN(int len) => (len + sizeof(nuint) - 1) & ~(sizeof(nuint) - 1);

    /// <summary>CMSG_LEN(len): cmsg_len of an item carrying <paramref name="len"/> bytes.</summary>
    public static int CMSG_LEN(int len) => CMSG_ALIGN(sizeof(cmsghdr)) + len;

    /// <summary>CMSG_SPACE(len): buffer room an item carrying <paramref name="len"/> bytes takes.</summary>
    public static int CMSG_SPACE(int len) => CMSG_ALIGN(sizeof(cmsghdr)) + CMSG_ALIGN(len);
}

/// <summary>One ancillary-data item: its level, type and payload.</summary>
public readonly ref struct Cmsg(int level, int type, ReadOnlySpan<byte> data)
{
    public int Level { get; } = level;
    public int Type { get; } = type;
    public ReadOnlySpan<byte> Data { get; } = data;
}

/// <summary>
/// Walks the control buffer recvmsg filled, like CMSG_FIRSTHDR/CMSG_NXTHDR. A truncated or
/// malformed item ends the walk instead of reading past the buffer.
/// </summary>
public ref struct CmsgReader(ReadOnlySpan<byte> control)
{
    private ReadOnlySpan<byte> _rest = control;

    /// <summary>Reads the next item; false at the end of the buffer or on a malformed header.</summary>
    public bool TryNext(out Cmsg cmsg)
    {
        cmsg = default;
        var header = Unsafe.SizeOf<cmsghdr>();
        if (_rest.Length < header) return false;
        var h = MemoryMarshal.Read<cmsghdr>(_rest);
        if (h.cmsg_len < (nuint)header || h.cmsg_len > (nuint)_rest.Length) return false;
        var len = (int)h.cmsg_len;
        cmsg = new Cmsg(h.cmsg_level, h.cmsg_type, _rest[Libc.CMSG_LEN(0)..len]);
        var space = Libc.CMSG_ALIGN(len);
        _rest = space >= _rest.Length ? default : _rest[space..];
        return true;
    }
}

/// <summary>Builds a control buffer for sendmsg, item by item.</summary>
public ref struct CmsgWriter(Span<byte> control)
{
    private readonly Span<byte> _buffer = control;

    /// <summary>Bytes written so far: pass <c>buffer[..Length]</c> to sendmsg.</summary>
    public int Length { get; private set; }

    /// <summary>Appends one item with a value payload (in_pktinfo, int hop limit ...).</summary>
    public void Add<T>(int level, int type, in T value) where T : unmanaged =>
        Add(level, type, MemoryMarshal.AsBytes(new ReadOnlySpan<T>(in value)));

    /// <summary>Appends one item with a byte payload.</summary>
    public void Add(int level, int type, scoped ReadOnlySpan<byte> data)
    {
        var space = Libc.CMSG_SPACE(data.Length);
        if (_buffer.Length - Length < space)
            throw new ArgumentException($"control buffer of {_buffer.Length} bytes has no room for a {data.Length}-byte item (level {level}, type {type})");
        var item = _buffer.Slice(Length, space);
        item.Clear();
        var h = new cmsghdr { cmsg_len = (nuint)Libc.CMSG_LEN(data.Length), cmsg_level = level, cmsg_type = type };
        MemoryMarshal.Write(item, in h);
        data.CopyTo(item[Libc.CMSG_LEN(0)..]);
        Length += space;
    }
}
