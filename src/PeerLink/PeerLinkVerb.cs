using System.Globalization;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using Appliance.Cli;
using Appliance.Core;
using Appliance.Logging;

namespace Appliance.PeerLink;

/// <summary>
/// <c>appliance peerlink</c>: runs the serial heartbeat alone on a port, printing the peer's
/// state changes and the counters — the cable test an operator runs on both boxes before
/// trusting the link (Linux-HA had no such tool; one learned about a bad cable at failover).
/// </summary>
public sealed class PeerLinkVerb : IVerb
{
    public string Name => "peerlink";
    public string Summary => "run the serial heartbeat alone on a port and report the peer and the counters (cable test)";
    public string Usage =>
        "appliance peerlink --device PATH --node-id N --key-file PATH [--baud 115200] [--interval-ms 100]\n" +
        "                   [--dead-time-ms 400] [--role master|backup] [--duration-ms N]\n" +
        "  the key file holds the shared heartbeat key (at least 16 bytes; a trailing newline is ignored);\n" +
        "  the key is never taken on the command line, where ps would show it";

    public int Run(IReadOnlyList<string> args, VerbContext context)
    {
        var opts = new Dictionary<string, string>();
        for (int i = 0; i < args.Count; i++)
        {
            if (!args[i].StartsWith("--", StringComparison.Ordinal) || i + 1 >= args.Count)
            {
                context.Error.WriteLine($"appliance peerlink: unexpected argument '{args[i]}'\nusage: {Usage}");
                return CommandLine.UsageError;
            }
            opts[args[i][2..]] = args[++i];
        }
        try
        {
            string device = Required(opts, "device");
            uint nodeId = uint.Parse(Required(opts, "node-id"), CultureInfo.InvariantCulture);
            var keyBytes = File.ReadAllBytes(Required(opts, "key-file"));
            int len = keyBytes.Length;
            while (len > 0 && keyBytes[len - 1] is (byte)'\n' or (byte)'\r') len--;
            var key = new PeerLinkKey(keyBytes.AsSpan(0, len));
            CryptographicOperations.ZeroMemory(keyBytes);
            int baud = opts.TryGetValue("baud", out var b) ? int.Parse(b, CultureInfo.InvariantCulture) : 115200;
            var options = new PeerLinkOptions
            {
                NodeId = nodeId,
                Interval = TimeSpan.FromMilliseconds(opts.TryGetValue("interval-ms", out var iv) ? double.Parse(iv, CultureInfo.InvariantCulture) : 100),
                DeadTime = TimeSpan.FromMilliseconds(opts.TryGetValue("dead-time-ms", out var dt) ? double.Parse(dt, CultureInfo.InvariantCulture) : 400),
            };
            var role = opts.TryGetValue("role", out var r) && r == "master" ? NodeRole.Master : NodeRole.Backup;
            TimeSpan? duration = opts.TryGetValue("duration-ms", out var d) ? TimeSpan.FromMilliseconds(double.Parse(d, CultureInfo.InvariantCulture)) : null;

            var log = new WriterLog(context.Out);
            var status = new LocalStatus(role, new HealthSummary(HealthFlags.None, SyncState.Off, 0, 0), []);
            using var endpoint = new PeerLinkEndpoint(new SerialPort(device, baud),
                new PeerLinkSession(options, key, BootIds.New()), () => status, log,
                o => { if (o.NewCommand != PeerCommand.None) log.Notice("peerlink", $"command from the peer: {o.NewCommand}"); });
            using var stop = duration is { } dur ? new CancellationTokenSource(dur) : new CancellationTokenSource();
            using var term = PosixSignalRegistration.Create(PosixSignal.SIGTERM, c => { c.Cancel = true; stop.Cancel(); });
            using var intr = PosixSignalRegistration.Create(PosixSignal.SIGINT, c => { c.Cancel = true; stop.Cancel(); });
            endpoint.Run(new MonotonicClock(), stop.Token);
            var s = endpoint.Status;
            context.Out.WriteLine($"peerlink {device}: port {s.Port}, peer {(s.PeerAlive ? "alive" : "silent")}; {s.Counters}");
            return 0;
        }
        catch (Exception e) when (e is ArgumentException or FormatException or IOException or OverflowException or UnauthorizedAccessException)
        {
            context.Error.WriteLine($"appliance peerlink: {e.Message}");
            return e is ArgumentException or FormatException or OverflowException ? CommandLine.UsageError : 1;
        }
    }

    private static string Required(Dictionary<string, string> opts, string name) =>
        opts.TryGetValue(name, out var v) ? v : throw new ArgumentException($"--{name} is required");

    /// <summary>Log lines to a writer, one per line, for the command-line tools.</summary>
    private sealed class WriterLog(TextWriter w) : ILog
    {
        public bool IsEnabled(LogLevel level) => level <= LogLevel.Info;
        public void Write(LogLevel level, string component, string message)
        {
            if (IsEnabled(level)) lock (w) { w.WriteLine($"{level.ToString().ToLowerInvariant()} {component}: {message}"); w.Flush(); }
        }
    }
}

/// <summary>
/// Boot ids: random, non-zero, 64 bits (the epoch of replay protection), from the kernel's CSPRNG
/// (/dev/urandom). Not RandomNumberGenerator: on Linux it calls OpenSSL, which the product image
/// lacks, and the NativeAOT runtime aborts the process when it cannot load libssl.
/// </summary>
public static class BootIds
{
    public static ulong New()
    {
        Span<byte> b = stackalloc byte[8];
        ulong id;
        using var urandom = File.OpenRead("/dev/urandom");
        do
        {
            urandom.ReadExactly(b);
            id = BitConverter.ToUInt64(b);
        } while (id == 0);
        return id;
    }
}
