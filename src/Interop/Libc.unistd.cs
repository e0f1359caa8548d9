using System.Runtime.InteropServices;

namespace Appliance.Interop;

/// <summary>&lt;fcntl.h&gt; and &lt;unistd.h&gt;: open, read, write, close on device files.</summary>
public static unsafe partial class Libc
{
    public const int O_RDONLY = 0x0;
    public const int O_WRONLY = 0x1;
    public const int O_RDWR = 0x2;
    public const int O_CREAT = 0x40;
    public const int O_EXCL = 0x80;
    public const int O_NOCTTY = 0x100;
    public const int O_TRUNC = 0x200;
    public const int O_APPEND = 0x400;
    public const int O_NONBLOCK = 0x800;
    public const int O_CLOEXEC = 0x80000;

    /// <summary>open(2). open is variadic in C; passing the mode as a third fixed argument is the x86_64 ABI's variadic call too.</summary>
    [LibraryImport(Name, SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int open(string pathname, int flags, uint mode);

    /// <summary>open(2) without O_CREAT.</summary>
    public static int open(string pathname, int flags) => open(pathname, flags, 0);

    [LibraryImport(Name, SetLastError = true)]
    public static partial nint read(int fd, void* buf, nuint count);

    [LibraryImport(Name, SetLastError = true)]
    public static partial nint write(int fd, void* buf, nuint count);

    [LibraryImport(Name, SetLastError = true)]
    public static partial int close(int fd);

    [LibraryImport(Name, SetLastError = true)]
    public static partial nint pread(int fd, void* buf, nuint count, long offset);

    /// <summary>pread(2) at <paramref name="offset"/>; on a sysfs attribute, offset 0 reads it afresh.</summary>
    public static nint pread(int fd, Span<byte> buf, long offset)
    {
        fixed (byte* b = buf) return pread(fd, b, (nuint)buf.Length, offset);
    }

    public static nint read(int fd, Span<byte> buf)
    {
        fixed (byte* b = buf) return read(fd, b, (nuint)buf.Length);
    }

    public static nint write(int fd, ReadOnlySpan<byte> buf)
    {
        fixed (byte* b = buf) return write(fd, b, (nuint)buf.Length);
    }
}
