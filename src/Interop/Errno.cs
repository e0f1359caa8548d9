using System.Runtime.InteropServices;

namespace Appliance.Interop;

/// <summary>errno values (asm-generic/errno-base.h, asm-generic/errno.h) the appliance reacts to or reports.</summary>
public static partial class Libc
{
    public const int EPERM = 1;
    public const int ENOENT = 2;
    public const int ESRCH = 3;
    public const int EINTR = 4;
    public const int EIO = 5;
    public const int ENXIO = 6;
    public const int EBADF = 9;
    public const int EAGAIN = 11;
    public const int EWOULDBLOCK = EAGAIN;
    public const int ENOMEM = 12;
    public const int EACCES = 13;
    public const int EFAULT = 14;
    public const int EBUSY = 16;
    public const int EEXIST = 17;
    public const int ENODEV = 19;
    public const int EINVAL = 22;
    public const int ENOTTY = 25;
    public const int ENOSPC = 28;
    public const int EPIPE = 32;
    public const int ERANGE = 34;
    public const int EMSGSIZE = 90;
    public const int ENOPROTOOPT = 92;
    public const int EPROTONOSUPPORT = 93;
    public const int EOPNOTSUPP = 95;
    public const int EAFNOSUPPORT = 97;
    public const int EADDRINUSE = 98;
    public const int EADDRNOTAVAIL = 99;
    public const int ENETDOWN = 100;
    public const int ENETUNREACH = 101;
    public const int ECONNRESET = 104;
    public const int ENOBUFS = 105;
    public const int ETIMEDOUT = 110;
    public const int ECONNREFUSED = 111;
    public const int EISCONN = 106;
    public const int EHOSTUNREACH = 113;
    public const int EALREADY = 114;
    public const int EINPROGRESS = 115;
}

/// <summary>Turns errno values into the text an operator reads in a log line.</summary>
public static class Errno
{
    /// <summary>errno of the last failed <see cref="Libc"/> call on this thread.</summary>
    public static int Last => Marshal.GetLastPInvokeError();

    /// <summary>The C macro name of an errno value ("ENOENT"), or null when the appliance does not name it.</summary>
    public static string? Name(int errno) => errno switch
    {
        Libc.EPERM => "EPERM",
        Libc.ENOENT => "ENOENT",
        Libc.ESRCH => "ESRCH",
        Libc.EINTR => "EINTR",
        Libc.EIO => "EIO",
        Libc.ENXIO => "ENXIO",
        Libc.EBADF => "EBADF",
        Libc.EAGAIN => "EAGAIN",
        Libc.ENOMEM => "ENOMEM",
        Libc.EACCES => "EACCES",
        Libc.EFAULT => "EFAULT",
        Libc.EBUSY => "EBUSY",
        Libc.EEXIST => "EEXIST",
        Libc.ENODEV => "ENODEV",
        Libc.EINVAL => "EINVAL",
        Libc.ENOTTY => "ENOTTY",
        Libc.ENOSPC => "ENOSPC",
        Libc.EPIPE => "EPIPE",
        Libc.ERANGE => "ERANGE",
        Libc.EMSGSIZE => "EMSGSIZE",
        Libc.ENOPROTOOPT => "ENOPROTOOPT",
        Libc.EPROTONOSUPPORT => "EPROTONOSUPPORT",
        Libc.EOPNOTSUPP => "EOPNOTSUPP",
        Libc.EAFNOSUPPORT => "EAFNOSUPPORT",
        Libc.EADDRINUSE => "EADDRINUSE",
        Libc.EADDRNOTAVAIL => "EADDRNOTAVAIL",
        Libc.ENETDOWN => "ENETDOWN",
        Libc.ENETUNREACH => "ENETUNREACH",
        Libc.ECONNRESET => "ECONNRESET",
        Libc.ENOBUFS => "ENOBUFS",
        Libc.ETIMEDOUT => "ETIMEDOUT",
        Libc.ECONNREFUSED => "ECONNREFUSED",
        Libc.EISCONN => "EISCONN",
        Libc.EHOSTUNREACH => "EHOSTUNREACH",
        Libc.EALREADY => "EALREADY",
        Libc.EINPROGRESS => "EINPROGRESS",
        _ => null,
    };

    /// <summary>"ENOENT (No such file or directory)"; "errno 200 (Unknown error 200)" for values without a name.</summary>
    public static string Describe(int errno) =>
        $"{Name(errno) ?? $"errno {errno}"} ({Marshal.GetPInvokeErrorMessage(errno)})";
}

/// <summary>
/// A libc call failed. The message says what was being done to what, then the errno:
/// "binding VRRP socket to eth1: ENODEV (No such device)".
/// </summary>
public sealed class ErrnoException : IOException
{
    public ErrnoException(string doing, int errno)
        : base($"{doing}: {Interop.Errno.Describe(errno)}") => Errno = errno;

    /// <summary>The errno value the call set.</summary>
    public int Errno { get; }

    /// <summary>Builds the exception from the errno of the last failed call on this thread.</summary>
    public static ErrnoException FromLast(string doing) => new(doing, Interop.Errno.Last);
}
