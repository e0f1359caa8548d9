using System.Runtime.InteropServices;

namespace Appliance.Watchdog.Native;

// TO MOVE: belongs in src/Interop (branch `interop` had not landed). Verified against
// <linux/watchdog.h> by tests/Appliance.Tests/Watchdog/WatchdogNativeTests.cs.

/// <summary>struct watchdog_info (linux/watchdog.h): 40 bytes.</summary>
[StructLayout(LayoutKind.Sequential)]
internal unsafe struct WatchdogInfo
{
    public uint options;
    public uint firmware_version;
    public fixed byte identity[32];
}

internal static class WatchdogConstants
{
    // _IOR('W', 0, struct watchdog_info) etc. (asm-generic/ioctl.h encoding: dir<<30 | size<<16 | type<<8 | nr).
    public const uint WDIOC_GETSUPPORT = 0x80285700;
    public const uint WDIOC_SETOPTIONS = 0x80045704;
    public const uint WDIOC_KEEPALIVE = 0x80045705;
    public const uint WDIOC_SETTIMEOUT = 0xC0045706;
    public const uint WDIOC_GETTIMEOUT = 0x80045707;

    public const uint WDIOF_SETTIMEOUT = 0x0080;
    public const uint WDIOF_MAGICCLOSE = 0x0100;
    public const uint WDIOF_KEEPALIVEPING = 0x8000;

    public const int O_WRONLY = 0x1;
    public const int O_CLOEXEC = 0x80000;
    public const int EINTR = 4;
}

internal static partial class WatchdogLibc
{
    [LibraryImport("libc", EntryPoint = "open", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int open(string path, int flags);

    [LibraryImport("libc", EntryPoint = "close", SetLastError = true)]
    internal static partial int close(int fd);

    [LibraryImport("libc", EntryPoint = "write", SetLastError = true)]
    internal static unsafe partial nint write(int fd, byte* buf, nint count);

    [LibraryImport("libc", EntryPoint = "ioctl", SetLastError = true)]
    internal static unsafe partial int ioctl(int fd, nuint request, void* arg);
}
