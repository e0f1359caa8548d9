using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using Appliance.Core;
using Appliance.Logging;
using Appliance.Takeover;
using Appliance.Vrrp;

namespace Appliance.Cli;

/// <summary>
/// <c>appliance vrrp run</c>: runs the VRRP part of the daemon from command-line options (keepalived's
/// keyword names). The product path is <c>appliance run --config FILE</c>, which builds the same
/// <see cref="VrrpService"/> from the INI file; this verb exists for host tests and the benchmark.
/// </summary>
public sealed class VrrpRunVerb : IVerb
{
    public string Name => "vrrp run";
    public string Summary => "run VRRP instances (one sync group) from command-line options";
    public string Usage => """
        appliance vrrp run --config FILE [--peer-appliance]
        appliance vrrp run --interface HB --public-interface PUB [--instance NAME] --virtual-router-id N
                           --virtual-ipaddress ADDR/LEN [...] [--priority P] [--version 2|3] [--advert-int SECONDS]
                           [--nopreempt] [--preempt-delay SECONDS] [--peer-appliance] [--unicast-peer ADDR]
                           [--auth-pass PASS] [--notify CMD] [--notify-master CMD] [--notify-backup CMD]
                           [--notify-fault CMD] [--notify-stop CMD] [--garp-master-delay S] [--garp-master-repeat N]
                           [--garp-master-refresh S] [--track-interface IF] [--checksum-rfc9568]
          --instance starts another instance of the same sync group; options after it apply to it.
          SIGTERM/SIGINT stop gracefully (priority 0, VIPs released, notify STOP).
        """;

    public int Run(IReadOnlyList<string> args, VerbContext context)
    {
        IReadOnlyList<VrrpInstanceConfig> instances;
        bool syncGroup = true;
        try
        {
            int at = args.ToList().IndexOf("--config");
            if (at >= 0)
            {
                if (at + 1 >= args.Count) throw new FormatException("--config needs a file");
                var loaded = Appliance.Config.ConfigLoader.Load(args[at + 1]);
                if (!loaded.IsValid)
                {
                    foreach (var e in loaded.Errors) context.Error.WriteLine($"appliance vrrp run: {e}");
                    return CommandLine.UsageError;
                }
                var rest = args.Where((_, i) => i != at && i != at + 1).ToList();
                if (rest.Any(a => a != "--peer-appliance")) throw new FormatException($"with --config only --peer-appliance is allowed, not {string.Join(' ', rest.Where(a => a != "--peer-appliance"))}");
                instances = VrrpConfigMapping.Instances(loaded.Config!, rest.Contains("--peer-appliance") ? true : null);
                syncGroup = loaded.Config!.Global.GroupFailover;
            }
            else instances = Parse(args);
        }
        catch (Exception e) when (e is FormatException or ArgumentException or OverflowException)
        {
            context.Error.WriteLine($"appliance vrrp run: {e.Message}");
            return CommandLine.UsageError;
        }
        var errors = instances.SelectMany(i => i.Validate()).ToList();
        if (errors.Count > 0)
        {
            foreach (var e in errors) context.Error.WriteLine($"appliance vrrp run: {e}");
            return CommandLine.UsageError;
        }

        var level = Environment.GetEnvironmentVariable("APPLIANCE_DEBUG") == "1" ? LogLevel.Debug : LogLevel.Info;
        var (log, _) = Logger.Create(LogTarget.Stderr, level, context.Error, TimeProvider.System);
        using var logOwner = log;
        // The v2 password goes on the wire but never into a log line.
        foreach (var pass in instances.Select(i => i.AuthPass).OfType<string>()) log.AddRedaction(pass);
        using var table = new RtnetlinkAddressClient();
        try
        {
            using var service = new VrrpService(instances, syncGroup, log, new MonotonicClock(), table, c => VrrpHost.LocalAddress(table, c));
            using var stop = new CancellationTokenSource();
            // .NET runs PosixSignalRegistration handlers on a thread-pool thread: start one now, or the first
            // SIGTERM waits for the pool to create a worker (measured 60-90 ms here), delaying the handover.
            ThreadPool.UnsafeQueueUserWorkItem(_ => { }, null);
            using var term = PosixSignalRegistration.Create(PosixSignal.SIGTERM, s => { s.Cancel = true; log.Debug("vrrp", "SIGTERM: stopping"); stop.Cancel(); });
            using var intr = PosixSignalRegistration.Create(PosixSignal.SIGINT, s => { s.Cancel = true; stop.Cancel(); });
            service.Run(stop.Token);
            return 0;
        }
        catch (Exception e) when (e is InvalidOperationException or SocketException or IOException or ArgumentException)
        {
            context.Error.WriteLine($"appliance vrrp run: {e.Message}");
            return 1;
        }
    }

    internal static List<VrrpInstanceConfig> Parse(IReadOnlyList<string> args)
    {
        var result = new List<VrrpInstanceConfig>();
        string iface = "", pub = "";
        var track = new List<string>();
        VrrpInstanceConfig? current = null;
        var vips = new List<VirtualAddress>();
        void Flush()
        {
            if (current is null) return;
            result.Add(current with { VirtualAddresses = vips.ToArray(), Interface = iface, PublicInterface = pub, TrackInterfaces = track.ToArray() });
            vips = [];
        }
        VrrpInstanceConfig Cur() => current ??= new VrrpInstanceConfig { Name = "VI_1", VirtualRouterId = 0, VirtualAddresses = [] };
        static int Cs(string seconds) => (int)Math.Round(double.Parse(seconds, CultureInfo.InvariantCulture) * 100);
        for (int i = 0; i < args.Count; i++)
        {
            string a = args[i];
            string V() => i + 1 < args.Count ? args[++i] : throw new FormatException($"{a} needs a value");
            switch (a)
            {
                case "--interface": iface = V(); break;
                case "--public-interface": pub = V(); break;
                case "--track-interface": track.Add(V()); break;
                case "--instance": Flush(); current = new VrrpInstanceConfig { Name = V(), VirtualRouterId = 0, VirtualAddresses = [] }; break;
                case "--virtual-router-id": current = Cur() with { VirtualRouterId = byte.Parse(V(), CultureInfo.InvariantCulture) }; break;
                case "--virtual-ipaddress": Cur(); vips.Add(VirtualAddress.Parse(V())); break;
                case "--priority": current = Cur() with { Priority = byte.Parse(V(), CultureInfo.InvariantCulture) }; break;
                case "--version": current = Cur() with { Version = V() == "2" ? VrrpVersion.V2 : VrrpVersion.V3 }; break;
                case "--advert-int": current = Cur() with { AdvertIntervalCentiseconds = Cs(V()) }; break;
                case "--nopreempt": current = Cur() with { Preempt = false }; break;
                case "--preempt-delay": current = Cur() with { PreemptDelayCentiseconds = Cs(V()) }; break;
                case "--peer-appliance": current = Cur() with { PeerIsAppliance = true }; break;
                case "--unicast-peer": current = Cur() with { UnicastPeer = IPAddress.Parse(V()) }; break;
                case "--auth-pass": current = Cur() with { AuthType = VrrpAuthType.SimpleText, AuthPass = V() }; break;
                case "--notify": current = Cur() with { Notify = V() }; break;
                case "--notify-master": current = Cur() with { NotifyMaster = V() }; break;
                case "--notify-backup": current = Cur() with { NotifyBackup = V() }; break;
                case "--notify-fault": current = Cur() with { NotifyFault = V() }; break;
                case "--notify-stop": current = Cur() with { NotifyStop = V() }; break;
                case "--garp-master-delay": current = Cur() with { GarpMasterDelaySeconds = int.Parse(V(), CultureInfo.InvariantCulture) }; break;
                case "--garp-master-repeat": current = Cur() with { GarpMasterRepeat = int.Parse(V(), CultureInfo.InvariantCulture) }; break;
                case "--garp-master-refresh": current = Cur() with { GarpMasterRefreshSeconds = int.Parse(V(), CultureInfo.InvariantCulture) }; break;
                case "--checksum-rfc9568": current = Cur() with { Ipv4PseudoHeaderChecksum = false }; break;
                default: throw new FormatException($"unknown option '{a}'");
            }
        }
        Flush();
        if (result.Count == 0) throw new FormatException("no instance given (--virtual-router-id, --virtual-ipaddress)");
        if (iface.Length == 0 || pub.Length == 0) throw new FormatException("--interface and --public-interface are required");
        return result.Select(r => r with { Interface = iface, PublicInterface = pub, TrackInterfaces = track.ToArray() }).ToList();
    }
}
