#pragma warning disable CS8981 // struct names keep the C spelling (msghdr, iovec) so they can be checked against the headers
using System.Net.Sockets;
using System.Runtime.InteropServices;

namespace Appliance.Vrrp.Native;

/// <summary>
/// The few libc calls and kernel constants VRRP and takeover need that .NET does not offer: raw protocol-112,
/// AF_PACKET and AF_NETLINK sockets (.NET's Socket constructor refuses them), bind(2) with a sockaddr_ll,
/// recvmsg(2) for the IPv6 hop-limit control message. Every value is checked against the C headers by
/// tests/Appliance.Tests/Vrrp/NativeLayoutTests.cs. (Kept here until src/Interop lands; then it moves there.)
/// </summary>
internal static unsafe partial class VrrpLibc
{
    public const int AF_INET = 2;
    public const int AF_INET6 = 10;
    public const int AF_NETLINK = 16;
    public const int AF_PACKET = 17;
    public const int SOCK_RAW = 3;
    public const int SOCK_CLOEXEC = 0x80000;
    public const int IPPROTO_VRRP = 112;
    public const int IPPROTO_IPV6 = 41;
    public const int NETLINK_ROUTE = 0;
    public const ushort ETH_P_ARP = 0x0806;
    public const int SOL_SOCKET = 1;
    public const int SO_BINDTODEVICE = 25;
    public const int IPV6_RECVPKTINFO = 49;
    public const int IPV6_PKTINFO = 50;
    public const int IPV6_RECVHOPLIMIT = 51;
    public const int IPV6_HOPLIMIT = 52;
    public const int EAGAIN = 11;
    public const int EINTR = 4;

    [StructLayout(LayoutKind.Sequential)]
    public struct sockaddr_ll
    {
        public ushort sll_family;
        public ushort sll_protocol; // network byte order
        public int sll_ifindex;
        public ushort sll_hatype;
        public byte sll_pkttype;
        public byte sll_halen;
        public fixed byte sll_addr[8];
    }

    [StructLayout(LayoutKind.Sequential)]
    public struct sockaddr_in6
    {
        public ushort sin6_family;
        public ushort sin6_port;
        public uint sin6_flowinfo;
        public fixed byte sin6_addr[16];
        public uint sin6_scope_id;
    }

    [StructLayout(LayoutKind.Sequential)]
    public struct iovec
    {
        public void* iov_base;
        public nuint iov_len;
    }

    [StructLayout(LayoutKind.Sequential)]
    public struct msghdr
    {
        public void* msg_name;
        public uint msg_namelen;
        public iovec* msg_iov;
        public nuint msg_iovlen;
        public void* msg_control;
        public nuint msg_controllen;
        public int msg_flags;
    }

    [StructLayout(LayoutKind.Sequential)]
    public struct cmsghdr
    {
        public nuint cmsg_len;
        public int cmsg_level;
        public int cmsg_type;
    }

    [StructLayout(LayoutKind.Sequential)]
    public struct in6_pktinfo
    {
        public fixed byte ipi6_addr[16];
        public int ipi6_ifindex;
    }

    [LibraryImport("libc", SetLastError = true)]
    public static partial int socket(int domain, int type, int protocol);

    [LibraryImport("libc", SetLastError = true)]
    public static partial int bind(SafeHandle fd, void* addr, uint addrlen);

    [LibraryImport("libc", SetLastError = true)]
    public static partial nint recvmsg(SafeHandle fd, msghdr* msg, int flags);

    [LibraryImport("libc", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    public static partial uint if_nametoindex(string name);

    /// <summary>Creates a socket .NET refuses to create and wraps it; the SafeSocketHandle owns the descriptor.</summary>
    public static Socket CreateSocket(int domain, int type, int protocol, string what)
    {
        int fd = socket(domain, type | SOCK_CLOEXEC, protocol);
        if (fd < 0)
        {
            int errno = Marshal.GetLastPInvokeError();
            throw new SocketException(errno, $"creating {what} socket (domain {domain}, type {type}, protocol {protocol}): {Marshal.GetPInvokeErrorMessage(errno)}");
        }
        return new Socket(new SafeSocketHandle(fd, ownsHandle: true));
    }

    /// <summary>The interface index, with an error naming the interface when it does not exist.</summary>
    public static int InterfaceIndex(string name)
    {
        uint index = if_nametoindex(name);
        if (index == 0)
            throw new InvalidOperationException($"looking up interface '{name}': {Marshal.GetPInvokeErrorMessage(Marshal.GetLastPInvokeError())}");
        return (int)index;
    }

    /// <summary>CMSG_ALIGN of glibc: control messages are aligned to sizeof(size_t).</summary>
    public static int CmsgAlign(int length) => (length + sizeof(nuint) - 1) & ~(sizeof(nuint) - 1);
}
