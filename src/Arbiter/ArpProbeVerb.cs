using System.Net;
using System.Globalization;
using Appliance.Cli;
using Appliance.Core;

namespace Appliance.Arbiter;

/// <summary><c>appliance arp-probe</c>: the arbiter's data-path probe by hand (exit 0: answers, 1: silent).</summary>
public sealed class ArpProbeVerb : IVerb
{
    public string Name => "arp-probe";
    public string Summary => "ARP for the peer's public address the way the split-brain arbiter does (exit 0 answers, 1 silent)";
    public string Usage => "appliance arp-probe IFACE OUR-ADDRESS PEER-ADDRESS [TIMEOUT-MS]";

    public int Run(IReadOnlyList<string> args, VerbContext context)
    {
        if (args.Count is < 3 or > 4 || !IPAddress.TryParse(args[1], out var source) || !IPAddress.TryParse(args[2], out var peer))
        {
            context.Error.WriteLine($"usage: {Usage}");
            return CommandLine.UsageError;
        }
        var timing = new ArpProbeTiming();
        if (args.Count == 4) timing = timing with { Timeout = TimeSpan.FromMilliseconds(double.Parse(args[3], CultureInfo.InvariantCulture)) };
        try
        {
            using var probe = ArpProbe.Open(args[0]);
            var clock = new MonotonicClock();
            var start = clock.Now;
            var result = probe.Probe(source, peer, timing, clock);
            context.Out.WriteLine($"{peer} on {args[0]}: {(result == ProbeResult.PeerAnswers ? "answers" : "silent")} after {(clock.Now - start).TotalMilliseconds:0.0} ms ({probe.Current?.Sent} requests)");
            return result == ProbeResult.PeerAnswers ? 0 : 1;
        }
        catch (Exception e) when (e is IOException or ArgumentException)
        {
            context.Error.WriteLine($"appliance arp-probe: {e.Message}");
            return 2;
        }
    }
}
