using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using Appliance.Cli;
using Appliance.Core;
using Appliance.Logging;
using Appliance.PeerLink;
using Appliance.Takeover;
using Appliance.Vrrp;

namespace Appliance.Arbiter;

/// <summary>
/// <c>appliance pair run</c>: VRRP (the options of <c>appliance vrrp run</c>) plus the serial
/// heartbeat and the split-brain arbiter — one director of an appliance pair, from command-line
/// options. The product path will be <c>appliance run --config FILE</c> building the same
/// objects from the INI ([peer_link], [watchdog]); this verb is what the two-appliance host
/// scenario runs until that is wired.
/// </summary>
public sealed class PairRunVerb : IVerb
{
    public string Name => "pair run";
    public string Summary => "run VRRP with the serial heartbeat and the split-brain arbiter (one director of a pair)";
    public string Usage => """
        appliance pair run VRRP-OPTIONS (as for 'appliance vrrp run')
                           --node-id N --public-address ADDR --peer-public-address ADDR
                           [--serial DEVICE --key-file PATH [--baud 115200] [--serial-interval-ms 100] [--dead-time-ms 400]]
          without --serial the arbiter decides from VRRP and the ARP probe alone.
        """;

    public int Run(IReadOnlyList<string> args, VerbContext context)
    {
        var vrrpArgs = new List<string>();
        var opts = new Dictionary<string, string>();
        string[] mine = ["--node-id", "--public-address", "--peer-public-address", "--serial", "--key-file", "--baud", "--serial-interval-ms", "--dead-time-ms"];
        for (int i = 0; i < args.Count; i++)
        {
            if (mine.Contains(args[i]) && i + 1 < args.Count) opts[args[i][2..]] = args[++i];
            else vrrpArgs.Add(args[i]);
        }
        List<VrrpInstanceConfig> instances;
        uint nodeId;
        IPAddress publicAddress, peerAddress;
        PeerLinkKey? key = null;
        try
        {
            instances = VrrpRunVerb.Parse(vrrpArgs);
            nodeId = uint.Parse(Need(opts, "node-id"), CultureInfo.InvariantCulture);
            publicAddress = IPAddress.Parse(Need(opts, "public-address"));
            peerAddress = IPAddress.Parse(Need(opts, "peer-public-address"));
            if (opts.ContainsKey("serial"))
            {
                var bytes = File.ReadAllBytes(Need(opts, "key-file"));
                int len = bytes.Length;
                while (len > 0 && bytes[len - 1] is (byte)'\n' or (byte)'\r') len--;
                key = new PeerLinkKey(bytes.AsSpan(0, len));
                System.Security.Cryptography.CryptographicOperations.ZeroMemory(bytes);
            }
        }
        catch (Exception e) when (e is FormatException or ArgumentException or OverflowException or IOException)
        {
            context.Error.WriteLine($"appliance pair run: {e.Message}");
            return CommandLine.UsageError;
        }
        var errors = instances.SelectMany(i => i.Validate()).ToList();
        if (errors.Count > 0)
        {
            foreach (var e in errors) context.Error.WriteLine($"appliance pair run: {e}");
            return CommandLine.UsageError;
        }

        var log = new TimestampLog(context.Error);
        var clock = new MonotonicClock();
        using var table = new RtnetlinkAddressClient();
        try
        {
            using var service = new VrrpService(instances, syncGroup: true, log, clock, table, c => VrrpHost.LocalAddress(table, c));
            var guardOptions = new GuardOptions
            {
                HeartbeatInterface = instances[0].Interface, PublicInterface = instances[0].PublicInterface,
                PublicAddress = publicAddress, PeerPublicAddress = peerAddress, NodeId = nodeId,
            };
            SplitBrainGuard? guard = null;
            PeerLinkEndpoint? endpoint = null;
            if (key is not null)
            {
                var linkOptions = new PeerLinkOptions
                {
                    NodeId = nodeId,
                    Interval = TimeSpan.FromMilliseconds(double.Parse(opts.GetValueOrDefault("serial-interval-ms", "100"), CultureInfo.InvariantCulture)),
                    DeadTime = TimeSpan.FromMilliseconds(double.Parse(opts.GetValueOrDefault("dead-time-ms", "400"), CultureInfo.InvariantCulture)),
                };
                endpoint = new PeerLinkEndpoint(
                    new SerialPort(opts["serial"], int.Parse(opts.GetValueOrDefault("baud", "115200"), CultureInfo.InvariantCulture)),
                    new PeerLinkSession(linkOptions, key, BootIds.New()), () => guard!.LocalStatus, log,
                    o => { if (o.NewCommand != PeerCommand.None) log.Notice("peerlink", $"the peer says {o.NewCommand}"); });
            }
            guard = new SplitBrainGuard(guardOptions, service, endpoint, log, clock);
            guard.Arm();

            using var stop = new CancellationTokenSource();
            using var linkStop = new CancellationTokenSource();
            using var term = PosixSignalRegistration.Create(PosixSignal.SIGTERM, s => { s.Cancel = true; stop.Cancel(); });
            using var intr = PosixSignalRegistration.Create(PosixSignal.SIGINT, s => { s.Cancel = true; stop.Cancel(); });
            var linkThread = endpoint is null ? null : new Thread(() => endpoint.Run(clock, linkStop.Token)) { Name = "peerlink", IsBackground = true };
            var guardThread = new Thread(() => guard.Run(stop.Token)) { Name = "arbiter", IsBackground = true };
            linkThread?.Start();
            guardThread.Start();
            service.RunAsync(stop.Token).GetAwaiter().GetResult();
            guardThread.Join();
            // VIPs are released and priority 0 is sent: now tell the peer over the serial link too.
            guard.AnnounceStop(TimeSpan.FromMilliseconds(500));
            linkStop.Cancel();
            linkThread?.Join();
            if (endpoint is not null) log.Info("peerlink", $"stopped; {endpoint.Status.Counters}");
            endpoint?.Dispose();
            return 0;
        }
        catch (Exception e) when (e is InvalidOperationException or SocketException or IOException or ArgumentException)
        {
            context.Error.WriteLine($"appliance pair run: {e.Message}");
            return 1;
        }
    }

    private static string Need(Dictionary<string, string> opts, string name) =>
        opts.TryGetValue(name, out var v) ? v : throw new FormatException($"--{name} is required");

    private sealed class TimestampLog(TextWriter writer) : ILog
    {
        private readonly Lock _lock = new();
        public bool IsEnabled(LogLevel level) => level <= LogLevel.Info || Environment.GetEnvironmentVariable("APPLIANCE_DEBUG") == "1";
        public void Write(LogLevel level, string component, string message)
        {
            if (!IsEnabled(level)) return;
            lock (_lock) { writer.WriteLine($"{DateTime.UtcNow:HH:mm:ss.fff} {level.ToString().ToLowerInvariant()} {component}: {message}"); writer.Flush(); }
        }
    }
}
