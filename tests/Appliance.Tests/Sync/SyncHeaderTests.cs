using System.Diagnostics;
using Appliance.Sync;
using Xunit;

namespace Appliance.Tests.Sync;

/// <summary>
/// The sync subsystem's own constants against include/uapi/linux/ip_vs.h, by compiling C that prints them
/// (the IPVS family's commands and attributes are checked with src/Ipvs in Netlink/NativeLayoutTests).
/// </summary>
public class SyncHeaderTests
{
    [Fact]
    public void Daemon_kinds_and_interface_length_match_linux_ip_vs_h()
    {
        const string program = """
            #include <stdio.h>
            #include <linux/ip_vs.h>
            int main(void) {
              printf("%d %d %d\n", IP_VS_STATE_MASTER, IP_VS_STATE_BACKUP, IP_VS_IFNAME_MAXLEN);
              return 0;
            }
            """;
        var dir = Directory.CreateTempSubdirectory("sync-hdr");
        try
        {
            File.WriteAllText(Path.Combine(dir.FullName, "h.c"), program);
            Run("gcc", $"-o {dir.FullName}/h {dir.FullName}/h.c");
            var lines = Run($"{dir.FullName}/h", "").Split('\n', StringSplitOptions.RemoveEmptyEntries);
            Assert.Equal($"{(int)SyncDaemonKind.Master} {(int)SyncDaemonKind.Backup} {SyncDaemonConfig.MaxInterfaceLength + 1}", lines[0]);
        }
        finally { dir.Delete(true); }
    }

    private static string Run(string file, string args)
    {
        using var p = Process.Start(new ProcessStartInfo(file, args) { RedirectStandardOutput = true, RedirectStandardError = true })!;
        var output = p.StandardOutput.ReadToEnd();
        var error = p.StandardError.ReadToEnd();
        p.WaitForExit();
        Assert.True(p.ExitCode == 0, $"{file} {args}: exit {p.ExitCode}: {error}");
        return output;
    }
}
