#pragma warning disable CS8981 // C names are kept on purpose
using System.Runtime.InteropServices;
using Appliance.Interop;

namespace Appliance.Netlink;

// TODO(interop): getsockname and SO_RCVTIMEO belong in src/Interop (Libc.sys_socket.cs); they are
// here until the interop branch declares them. Verified by tests/Appliance.Tests/Netlink/NativeLayoutTests.
/// <summary>The two libc pieces the netlink socket needs that src/Interop does not declare yet.</summary>
internal static unsafe partial class NativeNetlink
{
    public const int SO_RCVTIMEO = 20;

    /// <summary>struct timeval on x86-64 (two longs).</summary>
    [StructLayout(LayoutKind.Sequential)]
    public struct timeval
    {
        public long tv_sec;
        public long tv_usec;
    }

    [LibraryImport(Libc.Name, SetLastError = true)]
    public static partial int getsockname(int fd, void* addr, uint* addrlen);
}
