using Appliance.Interop;

namespace Appliance.Vrrp;

/// <summary>Interface lookups the VRRP and takeover shells share.</summary>
public static class NetworkInterfaces
{
    /// <summary>The interface index, with an error naming the interface when it does not exist.</summary>
    public static int Index(string name)
    {
        uint index = Libc.if_nametoindex(name);
        if (index == 0) throw ErrnoException.FromLast($"looking up interface '{name}'");
        return (int)index;
    }

    /// <summary>Carrier from sysfs: false when the interface is administratively down (EINVAL) or gone.</summary>
    public static bool Carrier(string name)
    {
        try { return File.ReadAllText($"/sys/class/net/{name}/carrier").Trim() == "1"; }
        catch (IOException) { return false; }
        catch (UnauthorizedAccessException) { return false; }
    }
}
