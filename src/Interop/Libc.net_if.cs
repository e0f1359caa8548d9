#pragma warning disable CS8981 // C names are kept on purpose
using System.Runtime.InteropServices;

namespace Appliance.Interop;

/// <summary>struct sockaddr (sys/socket.h): the generic address, as the interface ioctls carry a hardware address in it.</summary>
[StructLayout(LayoutKind.Sequential)]
public struct sockaddr
{
    public ushort sa_family;
    public InlineBytes14 sa_data;
}

/// <summary>
/// struct ifreq (net/if.h) with the ifr_hwaddr member of its union (SIOCGIFHWADDR). The union's
/// largest member (struct ifmap) makes it 40 bytes on 64-bit Linux; the kernel copies all 40.
/// The MAC is read with this ioctl rather than from sysfs because /sys shows the namespace that
/// mounted it, not the one a thread joined with setns.
/// </summary>
[StructLayout(LayoutKind.Sequential, Size = 40)]
public struct ifreq
{
    public InlineBytes16 ifr_name;
    public sockaddr ifr_hwaddr;
}

/// <summary>&lt;net/if.h&gt;: interface names and indexes; the interface ioctls of &lt;sys/ioctl.h&gt;.</summary>
public static partial class Libc
{
    /// <summary>Longest interface name including the terminating NUL.</summary>
    public const int IF_NAMESIZE = 16;

    /// <summary>ioctl: read an interface's hardware address into ifr_hwaddr.</summary>
    public const ulong SIOCGIFHWADDR = 0x8927;

    /// <summary>Interface index of a name, 0 (errno ENODEV) when there is none.</summary>
    [LibraryImport(Name, SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    public static partial uint if_nametoindex(string ifname);
}
