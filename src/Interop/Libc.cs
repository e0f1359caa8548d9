using System.Runtime.InteropServices;

namespace Appliance.Interop;

/// <summary>
/// The C library as the appliance uses it: one partial class split by header
/// (<c>Libc.sys_socket.cs</c> holds what &lt;sys/socket.h&gt; declares, and so on), keeping the C
/// names so a reader can take any line to the man page. Every constant and struct here is
/// checked against the system headers by tests/Appliance.Tests/Interop (a compiled C program).
/// </summary>
/// <remarks>
/// Declarations are <c>LibraryImport</c> (source-generated marshalling, AOT-safe) with
/// <c>SetLastError = true</c>: read errno right after a failed call with <see cref="Errno.Last"/>,
/// before any other call can overwrite it. Only this folder touches raw pointers; the span and
/// <c>ref</c> overloads next to each declaration are what the rest of the appliance calls.
/// </remarks>
public static partial class Libc
{
    /// <summary>
    /// The library handed to <c>LibraryImport</c>: glibc's soname, which the process has already
    /// loaded. Plain "libc" also works, but the runtime first probes "libc.so" (on a development
    /// machine a linker script, on the appliance absent) and "liblibc.so" before falling back.
    /// </summary>
    internal const string Name = "libc.so.6";
}
