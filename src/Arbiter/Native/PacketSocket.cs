using System.Runtime.InteropServices;

namespace Appliance.Arbiter.Native;

// TO MOVE to src/Interop: struct ifreq and SIOCGIFHWADDR are not there yet (the takeover code
// reads the MAC from sysfs, which shows the wrong namespace to a thread that joined another
// network namespace with setns). Verified against <net/if.h> and <linux/sockios.h> by
// tests/Appliance.Tests/Arbiter/ArpProbeHostTests.cs.

/// <summary>struct ifreq with the ifr_hwaddr member of its union (net/if.h): 40 bytes.</summary>
[StructLayout(LayoutKind.Sequential, Size = 40)]
internal unsafe struct IfreqHwaddr
{
    public fixed byte ifr_name[16];
    public ushort sa_family;
    public fixed byte sa_data[14];
}

internal static class IfreqConstants
{
    public const uint SIOCGIFHWADDR = 0x8927;
}
