using System.Diagnostics;
using Appliance.Sync;
using Xunit;

namespace Appliance.Tests.Sync;

/// <summary>The daemon constants against include/uapi/linux/ip_vs.h, by compiling C that prints them.</summary>
public class SyncHeaderTests
{
    [Fact]
    public void Daemon_constants_match_linux_ip_vs_h()
    {
        const string program = """
            #include <stdio.h>
            #include <linux/ip_vs.h>
            int main(void) {
              printf("%s %d %d %d %d %d\n", IPVS_GENL_NAME, IPVS_GENL_VERSION, IPVS_CMD_NEW_DAEMON, IPVS_CMD_DEL_DAEMON, IPVS_CMD_GET_DAEMON, IPVS_CMD_ATTR_DAEMON);
              printf("%d %d %d %d %d %d %d %d\n", IPVS_DAEMON_ATTR_STATE, IPVS_DAEMON_ATTR_MCAST_IFN, IPVS_DAEMON_ATTR_SYNC_ID, IPVS_DAEMON_ATTR_SYNC_MAXLEN,
                IPVS_DAEMON_ATTR_MCAST_GROUP, IPVS_DAEMON_ATTR_MCAST_GROUP6, IPVS_DAEMON_ATTR_MCAST_PORT, IPVS_DAEMON_ATTR_MCAST_TTL);
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
            Assert.Equal($"{IpvsDaemonNetlink.FamilyName} {IpvsDaemonNetlink.FamilyVersion} {IpvsDaemonNetlink.CmdNewDaemon} {IpvsDaemonNetlink.CmdDelDaemon} {IpvsDaemonNetlink.CmdGetDaemon} {IpvsDaemonNetlink.CmdAttrDaemon}", lines[0]);
            Assert.Equal($"{IpvsDaemonNetlink.AttrState} {IpvsDaemonNetlink.AttrMcastIfn} {IpvsDaemonNetlink.AttrSyncId} {IpvsDaemonNetlink.AttrSyncMaxLen} {IpvsDaemonNetlink.AttrMcastGroup} {IpvsDaemonNetlink.AttrMcastGroup6} {IpvsDaemonNetlink.AttrMcastPort} {IpvsDaemonNetlink.AttrMcastTtl}", lines[1]);
            Assert.Equal($"{(int)SyncDaemonKind.Master} {(int)SyncDaemonKind.Backup} {SyncDaemonConfig.MaxInterfaceLength + 1}", lines[2]);
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
