using System.Diagnostics;
using System.Runtime.InteropServices;
using Appliance.Vrrp.Native;
using Xunit;
using static Appliance.Vrrp.Native.VrrpLibc;

namespace Appliance.Tests.Vrrp;

/// <summary>Every constant and struct of <see cref="VrrpLibc"/> and the netlink/ARP constants of Takeover, checked against the C headers with gcc.</summary>
public class NativeLayoutTests
{
    private static Dictionary<string, long> CValues()
    {
        const string program = """
            #define _GNU_SOURCE
            #include <stdio.h>
            #include <stddef.h>
            #include <sys/socket.h>
            #include <netinet/in.h>
            #include <linux/if_packet.h>
            #include <linux/if_ether.h>
            #include <linux/netlink.h>
            #include <linux/rtnetlink.h>
            #include <linux/if_addr.h>
            #include <net/if_arp.h>
            #include <errno.h>
            #define P(name, value) printf("%s %ld\n", name, (long)(value))
            int main(void) {
              P("AF_INET", AF_INET); P("AF_INET6", AF_INET6); P("AF_NETLINK", AF_NETLINK); P("AF_PACKET", AF_PACKET);
              P("SOCK_RAW", SOCK_RAW); P("SOCK_CLOEXEC", SOCK_CLOEXEC); P("IPPROTO_IPV6", IPPROTO_IPV6);
              P("NETLINK_ROUTE", NETLINK_ROUTE); P("ETH_P_ARP", ETH_P_ARP); P("SOL_SOCKET", SOL_SOCKET);
              P("SO_BINDTODEVICE", SO_BINDTODEVICE); P("IPV6_RECVPKTINFO", IPV6_RECVPKTINFO); P("IPV6_PKTINFO", IPV6_PKTINFO);
              P("IPV6_RECVHOPLIMIT", IPV6_RECVHOPLIMIT); P("IPV6_HOPLIMIT", IPV6_HOPLIMIT); P("EAGAIN", EAGAIN); P("EINTR", EINTR);
              P("sizeof(sockaddr_ll)", sizeof(struct sockaddr_ll)); P("offsetof(sockaddr_ll,sll_ifindex)", offsetof(struct sockaddr_ll, sll_ifindex));
              P("offsetof(sockaddr_ll,sll_addr)", offsetof(struct sockaddr_ll, sll_addr));
              P("sizeof(sockaddr_in6)", sizeof(struct sockaddr_in6)); P("offsetof(sockaddr_in6,sin6_scope_id)", offsetof(struct sockaddr_in6, sin6_scope_id));
              P("sizeof(msghdr)", sizeof(struct msghdr)); P("offsetof(msghdr,msg_control)", offsetof(struct msghdr, msg_control));
              P("offsetof(msghdr,msg_flags)", offsetof(struct msghdr, msg_flags));
              P("sizeof(cmsghdr)", sizeof(struct cmsghdr)); P("CMSG_ALIGN(20)", CMSG_ALIGN(20)); P("CMSG_LEN(4)", CMSG_LEN(4));
              P("sizeof(in6_pktinfo)", sizeof(struct in6_pktinfo)); P("sizeof(iovec)", sizeof(struct iovec));
              P("sizeof(nlmsghdr)", sizeof(struct nlmsghdr)); P("sizeof(ifaddrmsg)", sizeof(struct ifaddrmsg));
              P("RTM_NEWADDR", RTM_NEWADDR); P("RTM_DELADDR", RTM_DELADDR); P("RTM_GETADDR", RTM_GETADDR);
              P("NLM_F_REQUEST", NLM_F_REQUEST); P("NLM_F_ACK", NLM_F_ACK); P("NLM_F_EXCL", NLM_F_EXCL); P("NLM_F_CREATE", NLM_F_CREATE);
              P("NLM_F_DUMP", NLM_F_DUMP); P("NLM_F_MULTI", NLM_F_MULTI); P("NLMSG_ERROR", NLMSG_ERROR); P("NLMSG_DONE", NLMSG_DONE);
              P("IFA_ADDRESS", IFA_ADDRESS); P("IFA_LOCAL", IFA_LOCAL); P("IFA_LABEL", IFA_LABEL); P("IFA_FLAGS", IFA_FLAGS);
              P("IFA_F_NODAD", IFA_F_NODAD); P("RT_SCOPE_UNIVERSE", RT_SCOPE_UNIVERSE);
              P("ARPOP_REQUEST", ARPOP_REQUEST); P("ARPHRD_ETHER", ARPHRD_ETHER); P("ETH_P_IP", ETH_P_IP);
              return 0;
            }
            """;
        var dir = Directory.CreateTempSubdirectory("vrrp-layout");
        try
        {
            File.WriteAllText(Path.Combine(dir.FullName, "l.c"), program);
            var exe = Path.Combine(dir.FullName, "l");
            Run("gcc", $"-o {exe} {Path.Combine(dir.FullName, "l.c")}");
            return Run(exe, "").Split('\n', StringSplitOptions.RemoveEmptyEntries)
                .Select(l => l.Split(' ')).ToDictionary(p => p[0], p => long.Parse(p[1]));
        }
        finally { dir.Delete(true); }
    }

    private static string Run(string file, string args)
    {
        using var p = Process.Start(new ProcessStartInfo(file, args) { RedirectStandardOutput = true, RedirectStandardError = true })!;
        var output = p.StandardOutput.ReadToEnd();
        var error = p.StandardError.ReadToEnd();
        Assert.True(p.WaitForExit(60_000), $"{file} did not finish");
        Assert.True(p.ExitCode == 0, $"{file} {args} failed: {error}");
        return output;
    }

    [Fact]
    public unsafe void ConstantsAndLayouts_MatchTheCHeaders()
    {
        var c = CValues();
        var cs = new Dictionary<string, long>
        {
            ["AF_INET"] = AF_INET, ["AF_INET6"] = AF_INET6, ["AF_NETLINK"] = AF_NETLINK, ["AF_PACKET"] = AF_PACKET,
            ["SOCK_RAW"] = SOCK_RAW, ["SOCK_CLOEXEC"] = SOCK_CLOEXEC, ["IPPROTO_IPV6"] = IPPROTO_IPV6,
            ["NETLINK_ROUTE"] = NETLINK_ROUTE, ["ETH_P_ARP"] = ETH_P_ARP, ["SOL_SOCKET"] = SOL_SOCKET,
            ["SO_BINDTODEVICE"] = SO_BINDTODEVICE, ["IPV6_RECVPKTINFO"] = IPV6_RECVPKTINFO, ["IPV6_PKTINFO"] = IPV6_PKTINFO,
            ["IPV6_RECVHOPLIMIT"] = IPV6_RECVHOPLIMIT, ["IPV6_HOPLIMIT"] = IPV6_HOPLIMIT, ["EAGAIN"] = EAGAIN, ["EINTR"] = EINTR,
            ["sizeof(sockaddr_ll)"] = sizeof(sockaddr_ll), ["offsetof(sockaddr_ll,sll_ifindex)"] = Marshal.OffsetOf<sockaddr_ll>(nameof(sockaddr_ll.sll_ifindex)),
            ["offsetof(sockaddr_ll,sll_addr)"] = Marshal.OffsetOf<sockaddr_ll>("sll_addr"),
            ["sizeof(sockaddr_in6)"] = sizeof(sockaddr_in6), ["offsetof(sockaddr_in6,sin6_scope_id)"] = Marshal.OffsetOf<sockaddr_in6>(nameof(sockaddr_in6.sin6_scope_id)),
            ["sizeof(msghdr)"] = sizeof(msghdr), ["offsetof(msghdr,msg_control)"] = Marshal.OffsetOf<msghdr>(nameof(msghdr.msg_control)),
            ["offsetof(msghdr,msg_flags)"] = Marshal.OffsetOf<msghdr>(nameof(msghdr.msg_flags)),
            ["sizeof(cmsghdr)"] = sizeof(cmsghdr), ["CMSG_ALIGN(20)"] = CmsgAlign(20), ["CMSG_LEN(4)"] = CmsgAlign(sizeof(cmsghdr)) + 4,
            ["sizeof(in6_pktinfo)"] = sizeof(in6_pktinfo), ["sizeof(iovec)"] = sizeof(iovec),
            ["sizeof(nlmsghdr)"] = Appliance.Takeover.RouteAddress.NlmsgHeaderSize, ["sizeof(ifaddrmsg)"] = Appliance.Takeover.RouteAddress.IfaddrmsgSize,
            ["RTM_NEWADDR"] = Appliance.Takeover.RouteAddress.RTM_NEWADDR, ["RTM_DELADDR"] = Appliance.Takeover.RouteAddress.RTM_DELADDR,
            ["RTM_GETADDR"] = Appliance.Takeover.RouteAddress.RTM_GETADDR,
            ["NLM_F_REQUEST"] = Appliance.Takeover.RouteAddress.NLM_F_REQUEST, ["NLM_F_ACK"] = Appliance.Takeover.RouteAddress.NLM_F_ACK,
            ["NLM_F_EXCL"] = Appliance.Takeover.RouteAddress.NLM_F_EXCL, ["NLM_F_CREATE"] = Appliance.Takeover.RouteAddress.NLM_F_CREATE,
            ["NLM_F_DUMP"] = Appliance.Takeover.RouteAddress.NLM_F_DUMP, ["NLM_F_MULTI"] = Appliance.Takeover.RouteAddress.NLM_F_MULTI,
            ["NLMSG_ERROR"] = Appliance.Takeover.RouteAddress.NLMSG_ERROR, ["NLMSG_DONE"] = Appliance.Takeover.RouteAddress.NLMSG_DONE,
            ["IFA_ADDRESS"] = Appliance.Takeover.RouteAddress.IFA_ADDRESS, ["IFA_LOCAL"] = Appliance.Takeover.RouteAddress.IFA_LOCAL,
            ["IFA_LABEL"] = Appliance.Takeover.RouteAddress.IFA_LABEL, ["IFA_FLAGS"] = Appliance.Takeover.RouteAddress.IFA_FLAGS,
            ["IFA_F_NODAD"] = Appliance.Takeover.RouteAddress.IFA_F_NODAD, ["RT_SCOPE_UNIVERSE"] = Appliance.Takeover.RouteAddress.RT_SCOPE_UNIVERSE,
            ["ARPOP_REQUEST"] = Appliance.Takeover.Announcer.ARPOP_REQUEST, ["ARPHRD_ETHER"] = Appliance.Takeover.Announcer.ARPHRD_ETHER,
            ["ETH_P_IP"] = Appliance.Takeover.Announcer.ETH_P_IP,
        };
        foreach (var (name, value) in cs)
            Assert.True(c.TryGetValue(name, out var expected) && expected == value, $"{name}: C says {(c.TryGetValue(name, out var v) ? v : "missing")}, C# says {value}");
        Assert.Equal(c.Count, cs.Count);
    }
}
