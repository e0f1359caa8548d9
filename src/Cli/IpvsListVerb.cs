using Appliance.Ipvs;
using Appliance.Netlink;

namespace Appliance.Cli;

/// <summary><c>appliance ipvs list</c>: the kernel's IPVS table in ipvsadm -Ln's layout, read with the appliance's own netlink client.</summary>
public sealed class IpvsListVerb : IVerb
{
    public const string ConnectionsFile = "/proc/net/ip_vs_conn";

    public string Name => "ipvs list";
    public string Summary => "print the IPVS table like ipvsadm -Ln (--stats, --rate, --connections)";
    public string Usage => "appliance ipvs list [--stats | --rate | --connections]";

    public int Run(IReadOnlyList<string> args, VerbContext context)
    {
        var format = IpvsListFormat.Normal;
        var connections = false;
        if (args.Count > 1)
        {
            context.Error.WriteLine($"appliance ipvs list: only one of --stats, --rate, --connections; usage: {Usage}");
            return CommandLine.UsageError;
        }
        foreach (var a in args)
        {
            switch (a)
            {
                case "--stats": format = IpvsListFormat.Stats; break;
                case "--rate": format = IpvsListFormat.Rate; break;
                case "--connections" or "-c": connections = true; break;
                default:
                    context.Error.WriteLine($"appliance ipvs list: unknown option '{a}'; usage: {Usage}");
                    return CommandLine.UsageError;
            }
        }
        try
        {
            if (connections)
            {
                // The generic-netlink interface has no connection dump (ip_vs_ctl.c has none); ipvsadm -Lnc reads this file too.
                var text = File.ReadAllText(ConnectionsFile);
                context.Out.Write(IpvsListing.RenderConnections(text, out var malformed));
                if (malformed > 0) context.Error.WriteLine($"appliance ipvs list: skipped {malformed} unreadable line(s) of {ConnectionsFile}");
                return 0;
            }
            using var client = IpvsClient.Open();
            var info = client.GetInfo();
            var table = client.ReadTable();
            if (ReferenceEquals(context.Out, Console.Out))
            {
                // The terminal or a pipe: bytes straight to fd 1, not 0.7 MB through a TextWriter.
                context.Out.Flush();
                using var stdout = Console.OpenStandardOutput();
                IpvsListing.Write(stdout, info, table, format);
            }
            else context.Out.Write(IpvsListing.Render(info, table, format));
            if (client.Counters.Dropped > 0)
                context.Error.WriteLine($"appliance ipvs list: dropped {client.Counters.Dropped} malformed or unexpected netlink message(s)");
            return 0;
        }
        catch (NetlinkException e)
        {
            context.Error.WriteLine($"appliance ipvs list: {e.Message}");
            return 1;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            context.Error.WriteLine($"appliance ipvs list: reading {ConnectionsFile}: {e.Message}");
            return 1;
        }
    }
}
