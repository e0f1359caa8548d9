using System.Runtime.InteropServices;

namespace Appliance.Interop;

/// <summary>&lt;signal.h&gt;: the signals the daemon answers and kill(2) to send them (tests, notify hooks).</summary>
public static partial class Libc
{
    public const int SIGHUP = 1;
    public const int SIGINT = 2;
    public const int SIGKILL = 9;
    public const int SIGTERM = 15;

    [LibraryImport(Name, SetLastError = true)]
    public static partial int kill(int pid, int sig);
}
