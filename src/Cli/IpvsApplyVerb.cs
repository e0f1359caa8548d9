using System.Globalization;
using Appliance.Config;
using Appliance.Ipvs;
using Appliance.Netlink;

namespace Appliance.Cli;

/// <summary>
/// <c>appliance ipvs apply CONFIG</c>: validates the configuration and reconciles the kernel's
/// IPVS table with it once, through the same reconciler the daemon uses. An invalid file changes nothing.
/// </summary>
public sealed class IpvsApplyVerb : IVerb
{
    public const int DataError = 65; // EX_DATAERR: the configuration is invalid

    public string Name => "ipvs apply";
    public string Summary => "reconcile the kernel's IPVS table with a configuration file once";
    public string Usage => "appliance ipvs apply [--state FILE] [--verbose] CONFIG";

    public int Run(IReadOnlyList<string> args, VerbContext context)
    {
        string? configPath = null;
        var statePath = IpvsOwnershipStore.DefaultPath;
        var verbose = false;
        for (var i = 0; i < args.Count; i++)
        {
            if (args[i] == "--state" && i + 1 < args.Count) statePath = args[++i];
            else if (args[i] is "--verbose" or "-v") verbose = true;
            else if (!args[i].StartsWith('-') && configPath is null) configPath = args[i];
            else
            {
                context.Error.WriteLine($"appliance ipvs apply: unexpected '{args[i]}'; usage: {Usage}");
                return CommandLine.UsageError;
            }
        }
        if (configPath is null)
        {
            context.Error.WriteLine($"appliance ipvs apply: no configuration file given; usage: {Usage}");
            return CommandLine.UsageError;
        }

        var loaded = ConfigLoader.Load(configPath);
        if (!loaded.IsValid)
        {
            foreach (var e in loaded.Errors) context.Error.WriteLine(e.ToString());
            context.Error.WriteLine($"appliance ipvs apply: {configPath} is not valid; the IPVS table was not changed");
            return DataError;
        }
        try
        {
            using var client = IpvsClient.Open();
            var desired = IpvsDesiredFromConfig.Build(loaded.Config!);
            var report = new IpvsApplier(client, new IpvsOwnershipStore(statePath)).Apply(desired);
            var timeoutErrors = ApplyTimeouts(client, loaded.Config!.IpvsTimeouts, context);
            if (verbose)
                foreach (var c in report.Planned) context.Out.WriteLine(c.Describe());
            foreach (var p in report.Problems) context.Error.WriteLine($"appliance ipvs apply: {p}");
            foreach (var e in report.Errors) context.Error.WriteLine($"appliance ipvs apply: {e}");
            context.Out.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"ipvs apply: {report.Planned.Count} change(s) planned, {report.Applied} applied, {report.Errors.Count} refused in {report.Elapsed.TotalMilliseconds:F1} ms"));
            return report.Errors.Count == 0 && timeoutErrors == 0 ? 0 : 1;
        }
        catch (NetlinkException e)
        {
            context.Error.WriteLine($"appliance ipvs apply: {e.Message}");
            return 1;
        }
    }

    private static int ApplyTimeouts(IpvsClient client, Config.IpvsTimeouts wanted, VerbContext context)
    {
        var target = new Ipvs.IpvsTimeouts((uint)wanted.Tcp.TotalSeconds, (uint)wanted.TcpFin.TotalSeconds, (uint)wanted.Udp.TotalSeconds);
        try
        {
            if (client.GetTimeouts() != target) client.SetTimeouts(target);
            return 0;
        }
        catch (NetlinkException e)
        {
            context.Error.WriteLine($"appliance ipvs apply: {e.Message}");
            return 1;
        }
    }
}
