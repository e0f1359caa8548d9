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

    private readonly bool _rules;

    /// <param name="rules">true: <c>ipvs restore</c>, the inputs are ipvsadm rule files (-A/-a lines) instead of appliance.ini.</param>
    public IpvsApplyVerb(bool rules = false) => _rules = rules;

    public string Name => _rules ? "ipvs restore" : "ipvs apply";
    public string Summary => _rules
        ? "reconcile the kernel's IPVS table with an ipvsadm rule file (ipvsadm -Sn output) as the whole desired table"
        : "reconcile the kernel's IPVS table with a configuration file once";
    public string Usage => $"appliance {Name} [--state FILE] [--verbose] {(_rules ? "RULES" : "CONFIG")} [RELOAD-{(_rules ? "RULES" : "CONFIG")}...]\n" +
        "  Each further CONFIG is applied afterwards as the daemon applies a reload (SIGHUP): only the\n" +
        "  services whose desired state changed since the previous step are read from the kernel and changed.";

    public int Run(IReadOnlyList<string> args, VerbContext context)
    {
        var configs = new List<string>();
        var statePath = IpvsOwnershipStore.DefaultPath;
        var verbose = false;
        for (var i = 0; i < args.Count; i++)
        {
            if (args[i] == "--state" && i + 1 < args.Count) statePath = args[++i];
            else if (args[i] is "--verbose" or "-v") verbose = true;
            else if (!args[i].StartsWith('-')) configs.Add(args[i]);
            else
            {
                context.Error.WriteLine($"appliance ipvs apply: unexpected '{args[i]}'; usage: {Usage}");
                return CommandLine.UsageError;
            }
        }
        if (configs.Count == 0)
        {
            context.Error.WriteLine($"appliance ipvs apply: no configuration file given; usage: {Usage}");
            return CommandLine.UsageError;
        }
        try
        {
            using var client = IpvsClient.Open();
            var applier = new IpvsApplier(client, new IpvsOwnershipStore(statePath));
            var exit = 0;
            for (var step = 0; step < configs.Count; step++)
            {
                var clock = System.Diagnostics.Stopwatch.StartNew();
                DesiredTable desired;
                var timeoutErrors = 0;
                if (_rules)
                {
                    var errors = new List<string>();
                    string text;
                    try { text = File.ReadAllText(configs[step]); }
                    catch (Exception e) when (e is IOException or UnauthorizedAccessException)
                    {
                        context.Error.WriteLine($"appliance {Name}: reading {configs[step]}: {e.Message}");
                        return DataError;
                    }
                    desired = IpvsRules.Parse(text, configs[step], errors);
                    if (errors.Count > 0)
                    {
                        foreach (var e in errors) context.Error.WriteLine(e);
                        context.Error.WriteLine($"appliance {Name}: {configs[step]} is not valid; the IPVS table was not changed");
                        return DataError;
                    }
                }
                else
                {
                    var loaded = ConfigLoader.Load(configs[step]);
                    if (!loaded.IsValid)
                    {
                        foreach (var e in loaded.Errors) context.Error.WriteLine(e.ToString());
                        context.Error.WriteLine($"appliance ipvs apply: {configs[step]} is not valid; the IPVS table was not changed");
                        return DataError;
                    }
                    desired = IpvsDesiredFromConfig.Build(loaded.Config!);
                    timeoutErrors = ApplyTimeouts(client, loaded.Config!.IpvsTimeouts, context);
                }
                var report = applier.Apply(desired, incremental: step > 0);
                if (verbose)
                    foreach (var c in report.Planned) context.Out.WriteLine(c.Describe());
                foreach (var p in report.Problems) context.Error.WriteLine($"appliance ipvs apply: {p}");
                foreach (var e in report.Errors) context.Error.WriteLine($"appliance ipvs apply: {e}");
                context.Out.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"{Name}{(step > 0 ? " (reload)" : "")}: {report.Planned.Count} change(s) planned, {report.Applied} applied, {report.Errors.Count} refused in {report.Elapsed.TotalMilliseconds:F1} ms ({clock.Elapsed.TotalMilliseconds:F1} ms with reading {configs[step]}; {(report.FullRead ? "whole table" : "changed services")} read: {report.ServicesRead} service(s); {report.Timings})"));
                if (report.Errors.Count > 0 || timeoutErrors > 0) exit = 1;
            }
            return exit;
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
