using System.Runtime.InteropServices;

namespace Appliance.Interop;

/// <summary>&lt;net/if.h&gt;: interface names and indexes.</summary>
public static partial class Libc
{
    /// <summary>Longest interface name including the terminating NUL.</summary>
    public const int IF_NAMESIZE = 16;

    /// <summary>Interface index of a name, 0 (errno ENODEV) when there is none.</summary>
    [LibraryImport(Name, SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    public static partial uint if_nametoindex(string ifname);
}
