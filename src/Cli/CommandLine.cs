namespace Appliance.Cli;

/// <summary>Dispatches <c>appliance VERB ...</c> to the verb that handles it.</summary>
public static class CommandLine
{
    /// <summary>Exit code for a command line that names no known verb or has bad options.</summary>
    public const int UsageError = 64; // EX_USAGE, sysexits.h

    /// <summary>Every verb of the binary. Add one line per verb.</summary>
    public static IReadOnlyList<IVerb> CreateVerbs() =>
    [
        new VersionVerb(),
        new CheckConfigVerb(),
        new RunVerb(),
        new IpvsListVerb(),
        new IpvsApplyVerb(),
        new IpvsApplyVerb(rules: true),
        new HealthCheckVerb(),
        new HealthBenchVerb(),
        new VrrpRunVerb(),
        new SyncVerb(),
        new Appliance.PeerLink.PeerLinkVerb(),
        new Appliance.Arbiter.ArpProbeVerb(),
        new ControlVerb("status", Appliance.Control.ControlTopic.Status, "the running daemon's state: VRRP, IPVS, health, sync, watchdog, reloads"),
        new ControlVerb("health", Appliance.Control.ControlTopic.Health, "the running daemon's view of every real server: state, last result, time in state, counts"),
        new ControlVerb("vrrp status", Appliance.Control.ControlTopic.Vrrp, "the running daemon's VRRP instances: state, priority, master, advert counters"),
    ];

    public static int Run(string[] args) => Run(args, new VerbContext(Console.Out, Console.Error));

    public static int Run(IReadOnlyList<string> args, VerbContext context)
    {
        var verbs = CreateVerbs();
        if (args.Count == 0 || args[0] is "help" or "--help" or "-h")
            return Help(verbs, args.Skip(1).ToArray(), context);

        // Longest match first, so "ipvs list" wins over a verb named "ipvs".
        foreach (var verb in verbs.OrderByDescending(v => v.Name.Count(c => c == ' ')))
        {
            var words = verb.Name.Split(' ');
            if (StartsWith(args, words))
                return verb.Run(args.Skip(words.Length).ToArray(), context);
        }

        context.Error.WriteLine($"appliance: unknown verb '{string.Join(' ', args)}'; try 'appliance help'");
        return UsageError;
    }

    private static int Help(IReadOnlyList<IVerb> verbs, string[] topic, VerbContext context)
    {
        if (topic.Length > 0)
        {
            var name = string.Join(' ', topic);
            var verb = verbs.FirstOrDefault(v => v.Name == name);
            if (verb is null)
            {
                context.Error.WriteLine($"appliance help: no verb named '{name}'");
                return UsageError;
            }
            context.Out.WriteLine($"{verb.Summary}\n\nusage: {verb.Usage}");
            return 0;
        }

        context.Out.WriteLine("appliance - load-balancer director (VRRP, IPVS, serial heartbeat, connection sync)\n");
        context.Out.WriteLine("usage: appliance VERB [ARGS]\n\nverbs:");
        var width = verbs.Max(v => v.Name.Length) + 2;
        foreach (var verb in verbs.OrderBy(v => v.Name, StringComparer.Ordinal))
            context.Out.WriteLine($"  {verb.Name.PadRight(width)}{verb.Summary}");
        context.Out.WriteLine($"  {"help [VERB]".PadRight(width)}this text, or the usage of one verb");
        return 0;
    }

    private static bool StartsWith(IReadOnlyList<string> args, string[] words)
    {
        if (args.Count < words.Length) return false;
        for (int i = 0; i < words.Length; i++)
            if (words[i] != args[i]) return false;
        return true;
    }
}
