#pragma warning disable CS8981 // C names are kept on purpose
using System.Runtime.InteropServices;

namespace Appliance.Interop;

/// <summary>struct watchdog_info: what WDIOC_GETSUPPORT reports about a watchdog driver.</summary>
[StructLayout(LayoutKind.Sequential)]
public struct watchdog_info
{
    public uint options;
    public uint firmware_version;
    public InlineBytes32 identity;
}

/// <summary>&lt;sys/ioctl.h&gt; and &lt;linux/watchdog.h&gt;.</summary>
public static unsafe partial class Libc
{
    // _IOR/_IOWR('W', n, ...) request numbers: direction and argument size are encoded in them,
    // which is why they are checked against the header rather than typed in from a table.
    public const ulong WDIOC_GETSUPPORT = 0x80285700;
    public const ulong WDIOC_GETSTATUS = 0x80045701;
    public const ulong WDIOC_GETBOOTSTATUS = 0x80045702;
    public const ulong WDIOC_SETOPTIONS = 0x80045704;
    public const ulong WDIOC_KEEPALIVE = 0x80045705;
    public const ulong WDIOC_SETTIMEOUT = 0xC0045706;
    public const ulong WDIOC_GETTIMEOUT = 0x80045707;
    public const ulong WDIOC_GETTIMELEFT = 0x8004570A;

    public const int WDIOS_DISABLECARD = 0x0001;
    public const int WDIOS_ENABLECARD = 0x0002;

    public const uint WDIOF_CARDRESET = 0x0020;
    public const uint WDIOF_SETTIMEOUT = 0x0080;
    public const uint WDIOF_MAGICCLOSE = 0x0100;
    public const uint WDIOF_PRETIMEOUT = 0x0200;
    public const uint WDIOF_KEEPALIVEPING = 0x8000;

    /// <summary>ioctl(2). Variadic in C; one pointer argument is how every request here is passed.</summary>
    [LibraryImport(Name, SetLastError = true)]
    public static partial int ioctl(int fd, ulong request, void* argp);

    /// <summary>ioctl(2) with a value the kernel reads and/or writes (int timeout, watchdog_info, modem bits).</summary>
    public static int ioctl<T>(int fd, ulong request, ref T arg) where T : unmanaged
    {
        fixed (T* p = &arg) return ioctl(fd, request, p);
    }
}
