using System.Runtime.InteropServices;

namespace Appliance.Arbiter.Native;

// TO MOVE: belongs in src/Interop (branch `interop` had not landed). Verified against
// <linux/if_packet.h>, <net/if.h>, <sys/socket.h> by tests/Appliance.Tests/Arbiter/ArpProbeHostTests.cs.

/// <summary>struct sockaddr_ll (linux/if_packet.h): 20 bytes.</summary>
[StructLayout(LayoutKind.Sequential)]
internal unsafe struct SockaddrLl
{
    public ushort sll_family;
    public ushort sll_protocol; // network byte order
    public int sll_ifindex;
    public ushort sll_hatype;
    public byte sll_pkttype;
    public byte sll_halen;
    public fixed byte sll_addr[8];
}

/// <summary>struct ifreq with the ifr_hwaddr member of the union (net/if.h): 40 bytes.</summary>
[StructLayout(LayoutKind.Sequential, Size = 40)]
internal unsafe struct IfreqHwaddr
{
    public fixed byte ifr_name[16];
    public ushort sa_family;
    public fixed byte sa_data[14];
}

[StructLayout(LayoutKind.Sequential)]
internal struct PollFd
{
    public int fd;
    public short events;
    public short revents;
}

internal static class PacketConstants
{
    public const int AF_PACKET = 17;
    public const int SOCK_DGRAM = 2;
    public const int SOCK_NONBLOCK = 0x800;
    public const int SOCK_CLOEXEC = 0x80000;
    public const ushort ETH_P_ARP = 0x0806;
    public const uint SIOCGIFHWADDR = 0x8927;
    public const byte PACKET_OUTGOING = 4;
    public const int IFNAMSIZ = 16;
    public const short POLLIN = 1;
    public const int EAGAIN = 11;
    public const int EINTR = 4;
}

internal static partial class PacketLibc
{
    [LibraryImport("libc", EntryPoint = "socket", SetLastError = true)]
    internal static partial int socket(int domain, int type, int protocol);

    [LibraryImport("libc", EntryPoint = "bind", SetLastError = true)]
    internal static unsafe partial int bind(int fd, SockaddrLl* addr, int len);

    [LibraryImport("libc", EntryPoint = "sendto", SetLastError = true)]
    internal static unsafe partial nint sendto(int fd, byte* buf, nint len, int flags, SockaddrLl* addr, int addrlen);

    [LibraryImport("libc", EntryPoint = "recvfrom", SetLastError = true)]
    internal static unsafe partial nint recvfrom(int fd, byte* buf, nint len, int flags, SockaddrLl* addr, int* addrlen);

    [LibraryImport("libc", EntryPoint = "ioctl", SetLastError = true)]
    internal static unsafe partial int ioctl(int fd, nuint request, void* arg);

    [LibraryImport("libc", EntryPoint = "if_nametoindex", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial uint if_nametoindex(string name);

    [LibraryImport("libc", EntryPoint = "poll", SetLastError = true)]
    internal static unsafe partial int poll(PollFd* fds, nuint nfds, int timeout);

    [LibraryImport("libc", EntryPoint = "close", SetLastError = true)]
    internal static partial int close(int fd);
}
