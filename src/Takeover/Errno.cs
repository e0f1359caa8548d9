namespace Appliance.Takeover;

/// <summary>Names for the errno values the takeover paths meet, for error messages.</summary>
internal static class Errno
{
    public const int EEXIST = 17;
    public const int EADDRNOTAVAIL = 99;

    public static string Name(int errno) => errno switch
    {
        1 => "EPERM", 2 => "ENOENT", 12 => "ENOMEM", 13 => "EACCES", 16 => "EBUSY", 17 => "EEXIST", 19 => "ENODEV",
        22 => "EINVAL", 95 => "EOPNOTSUPP", 97 => "EAFNOSUPPORT", 99 => "EADDRNOTAVAIL", 100 => "ENETDOWN",
        101 => "ENETUNREACH", _ => $"errno {errno}",
    };
}
