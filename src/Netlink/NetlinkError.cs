namespace Appliance.Netlink;

/// <summary>Names and texts for the errno values the kernel answers netlink requests with.</summary>
public static class Errno
{
    public const int EPERM = 1, ENOENT = 2, ESRCH = 3, EINTR = 4, EIO = 5, ENXIO = 6, E2BIG = 7, EAGAIN = 11,
        ENOMEM = 12, EACCES = 13, EFAULT = 14, EBUSY = 16, EEXIST = 17, ENODEV = 19, EINVAL = 22, ENOSPC = 28,
        ERANGE = 34, ENOSYS = 38, ENOTSUP = 95, EOPNOTSUPP = 95, EPROTONOSUPPORT = 93, ENOBUFS = 105,
        EADDRNOTAVAIL = 99, EAFNOSUPPORT = 97, EMSGSIZE = 90, ETIMEDOUT = 110, EPROTO = 71, EBADMSG = 74;

    public static string Name(int errno) => errno switch
    {
        EPERM => "EPERM", ENOENT => "ENOENT", ESRCH => "ESRCH", EINTR => "EINTR", EIO => "EIO", ENXIO => "ENXIO",
        E2BIG => "E2BIG", EAGAIN => "EAGAIN", ENOMEM => "ENOMEM", EACCES => "EACCES", EFAULT => "EFAULT",
        EBUSY => "EBUSY", EEXIST => "EEXIST", ENODEV => "ENODEV", EINVAL => "EINVAL", ENOSPC => "ENOSPC",
        ERANGE => "ERANGE", ENOSYS => "ENOSYS", EOPNOTSUPP => "EOPNOTSUPP", EPROTONOSUPPORT => "EPROTONOSUPPORT",
        ENOBUFS => "ENOBUFS", EADDRNOTAVAIL => "EADDRNOTAVAIL", EAFNOSUPPORT => "EAFNOSUPPORT",
        EMSGSIZE => "EMSGSIZE", ETIMEDOUT => "ETIMEDOUT", EPROTO => "EPROTO", EBADMSG => "EBADMSG",
        _ => $"errno {errno}",
    };

    /// <summary>strerror(3)-like text, lower case as it reads inside a sentence.</summary>
    public static string Describe(int errno) => errno switch
    {
        EPERM => "operation not permitted",
        ENOENT => "no such file or directory",
        ESRCH => "no such process",
        ENOMEM => "out of memory",
        EACCES => "permission denied",
        EBUSY => "device or resource busy",
        EEXIST => "already exists",
        ENODEV => "no such device",
        EINVAL => "invalid argument",
        ERANGE => "out of range",
        EOPNOTSUPP => "operation not supported",
        EPROTONOSUPPORT => "protocol not supported",
        ENOBUFS => "no buffer space (messages were lost)",
        EADDRNOTAVAIL => "address not available",
        EAFNOSUPPORT => "address family not supported",
        EMSGSIZE => "message too long",
        ETIMEDOUT => "timed out",
        EAGAIN => "timed out waiting for the kernel",
        EPROTO => "protocol error",
        EBADMSG => "malformed reply",
        _ => "error",
    };
}

/// <summary>A failed netlink exchange: the errno, the kernel's extended-ACK text if any, and what was being done.</summary>
public sealed class NetlinkException : Exception
{
    public NetlinkException(string operation, int errno, string? kernelMessage = null)
        : base(Format(operation, errno, kernelMessage))
    {
        Operation = operation;
        ErrorNumber = errno;
        KernelMessage = kernelMessage;
    }

    public string Operation { get; }
    public int ErrorNumber { get; }
    public string? KernelMessage { get; }

    public static string Format(string operation, int errno, string? kernelMessage) =>
        $"{operation}: {Errno.Describe(errno)} ({Errno.Name(errno)})" + (string.IsNullOrEmpty(kernelMessage) ? "" : $": kernel says \"{kernelMessage}\"");
}

/// <summary>The outcome of one request in a batch.</summary>
public struct NetlinkResult
{
    /// <summary>0 on success, else a positive errno.</summary>
    public int Error;
    /// <summary>NLMSGERR_ATTR_MSG, when the kernel filled it in (NETLINK_EXT_ACK).</summary>
    public string? KernelMessage;
    /// <summary>NLMSGERR_ATTR_OFFS: offset in the request of the attribute the kernel disliked.</summary>
    public uint? ErrorOffset;
    public bool Completed;
    /// <summary>A dump saw NLM_F_DUMP_INTR: the table changed while it was read.</summary>
    public bool Interrupted;

    public readonly bool Ok => Completed && Error == 0;
}

/// <summary>Counters of input the socket dropped. Owned by one socket; read for status and tests.</summary>
public sealed class NetlinkCounters
{
    public long Malformed;
    public long UnexpectedPort;
    public long UnexpectedSequence;
    public long Truncated;
    public long Received;

    public long Dropped => Malformed + UnexpectedPort + UnexpectedSequence + Truncated;
}
