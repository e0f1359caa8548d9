namespace Appliance.Core;

/// <summary>
/// Gives the calling thread its managed name in the kernel too (<c>/proc/PID/task/TID/comm</c>),
/// which NativeAOT does not do by itself: `top -H`, `ps -L` and the benchmarks then tell the
/// health checker, the VRRP loop and the arbiter apart. Best effort: the kernel keeps 15 bytes.
/// </summary>
public static class OsThreadName
{
    public static void FromManaged()
    {
        var name = Thread.CurrentThread.Name;
        if (string.IsNullOrEmpty(name)) return;
        try
        {
            File.WriteAllText("/proc/thread-self/comm", name.Length > 15 ? name[..15] : name);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // /proc missing or read-only: the name is only a convenience.
        }
    }
}
