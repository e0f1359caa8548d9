using System.Globalization;
using System.Net;

namespace Appliance.Ipvs;

/// <summary>
/// Reads the table from ipvsadm's rule syntax (what <c>ipvsadm -Sn</c> writes and <c>ipvsadm -R</c>
/// reads): <c>-A</c> service lines and <c>-a</c> real-server lines, short or long options. The
/// file is taken as the whole desired table, not as commands: the reconciler then makes the
/// kernel match it. Lets operators bring an ipvsadm setup over, and the benchmark feed the
/// appliance and ipvsadm the same file. Problems carry the line number; bad lines are skipped.
/// </summary>
public static class IpvsRules
{
    private const int MaxWords = 64;

    public static DesiredTable Parse(string text, string fileName, List<string> errors)
    {
        var services = new List<IpvsService>();
        var dests = new Dictionary<ServiceKey, List<IpvsDestination>>();
        var lineNo = 0;
        var lastKey = new KeyCache();
        // Real-server lines are 10,000 of an 11,000-line table: they are tokenized as spans of
        // the text (no string per line or word); the rest as strings.
        Span<Range> ranges = stackalloc Range[MaxWords + 1];
        var rest = text.AsSpan();
        while (!rest.IsEmpty || lineNo == 0)
        {
            var end = rest.IndexOf('\n');
            var line = (end < 0 ? rest : rest[..end]).Trim();
            rest = end < 0 ? [] : rest[(end + 1)..];
            lineNo++;
            if (line.Length == 0 || line[0] == '#') continue;
            var n = line.SplitAny(ranges, " \t", StringSplitOptions.RemoveEmptyEntries);
            var first = line[ranges[0]];
            string? problem;
            if (n > MaxWords) problem = $"more than {MaxWords} words in one line";
            else if (first is "-a" or "--add-server")
            {
                problem = TryDestination(line, ranges[..n], ref lastKey, out var key, out var dest);
                if (problem is null && !dests.ContainsKey(key)) problem = $"real server for {key}, which no earlier -A line defines";
                if (problem is null) dests[key].Add(dest!);
            }
            else if (first is "-A" or "--add-service")
            {
                var words = new string[n];
                for (var i = 0; i < n; i++) words[i] = line[ranges[i]].ToString();
                problem = TryService(words, out var service);
                if (problem is null && dests.ContainsKey(service!.Key)) problem = $"service {service.Key} is defined twice";
                if (problem is null) { services.Add(service!); dests[service!.Key] = []; }
            }
            else problem = $"'{first}' is not a rule this reader takes (only -A and -a lines describe a table)";
            if (problem is not null) errors.Add($"{fileName}:{lineNo}: {problem}");
        }
        var table = new List<VirtualServer>(services.Count);
        foreach (var s in services) table.Add(new VirtualServer(s, dests[s.Key]));
        return new DesiredTable(table);
    }

    private static string? TryKey(string option, string value, bool v6, out ServiceKey key)
    {
        key = default;
        if (option is "-f" or "--fwmark-service")
        {
            if (!uint.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var mark) || mark == 0) return $"bad firewall mark '{value}'";
            key = ServiceKey.ForFirewallMark(mark, v6 ? IpvsFamily.Inet6 : IpvsFamily.Inet);
            return null;
        }
        var protocol = option switch
        {
            "-t" or "--tcp-service" => IpvsProtocol.Tcp,
            "-u" or "--udp-service" => IpvsProtocol.Udp,
            "--sctp-service" => IpvsProtocol.Sctp,
            _ => IpvsProtocol.None,
        };
        if (!IPEndPoint.TryParse(value, out var ep) || ep.Port is 0 or > ushort.MaxValue) return $"bad service address '{value}' (want ADDRESS:PORT)";
        key = ServiceKey.For(protocol, ep.Address, (ushort)ep.Port);
        return null;
    }

    private static bool IsServiceOption(string w) => w is "-t" or "--tcp-service" or "-u" or "--udp-service" or "--sctp-service" or "-f" or "--fwmark-service";

    private static string? TryService(string[] w, out IpvsService? service)
    {
        service = null;
        string? option = null, value = null, sched = "wlc", pe = null, mask = null;
        var flags = ServiceFlags.None;
        uint timeout = 0;
        var v6 = false;
        for (var i = 1; i < w.Length; i++)
        {
            var next = i + 1 < w.Length ? w[i + 1] : null;
            switch (w[i])
            {
                case var o when IsServiceOption(o) && next is not null: option = o; value = next; i++; break;
                case "-6" or "--ipv6": v6 = true; break;
                case "-s" or "--scheduler" when next is not null: sched = next; i++; break;
                case "-p" or "--persistent":
                    flags |= ServiceFlags.Persistent;
                    timeout = 300; // ipvsadm's default persistence
                    if (next is not null && uint.TryParse(next, NumberStyles.None, CultureInfo.InvariantCulture, out var t)) { timeout = t; i++; }
                    break;
                case "-M" or "--netmask" when next is not null: mask = next; i++; break;
                case "-o" or "--ops": flags |= ServiceFlags.OnePacket; break;
                case "--pe" when next is not null: pe = next; i++; break;
                case "-b" or "--sched-flags" when next is not null:
                    foreach (var f in next.Split(','))
                    {
                        switch (f)
                        {
                            case "sh-fallback" or "mh-fallback" or "flag-1": flags |= ServiceFlags.Sched1; break;
                            case "sh-port" or "mh-port" or "flag-2": flags |= ServiceFlags.Sched2; break;
                            case "flag-3": flags |= ServiceFlags.Sched3; break;
                            default: return $"unknown scheduler flag '{f}'";
                        }
                    }
                    i++;
                    break;
                default: return $"unexpected '{w[i]}' in a service line";
            }
        }
        if (option is null) return "a service line needs -t, -u, --sctp-service or -f";
        var problem = TryKey(option, value!, v6, out var key);
        if (problem is not null) return problem;
        var netmask = IpvsService.FullNetmask(key.Family);
        if (mask is not null)
        {
            if (key.Family == IpvsFamily.Inet6)
            {
                if (!uint.TryParse(mask, NumberStyles.None, CultureInfo.InvariantCulture, out netmask) || netmask > 128) return $"bad IPv6 netmask '{mask}' (a prefix length)";
            }
            else
            {
                if (!IPAddress.TryParse(mask, out var m) || m.AddressFamily != System.Net.Sockets.AddressFamily.InterNetwork) return $"bad netmask '{mask}'";
                Span<byte> b = stackalloc byte[4];
                m.TryWriteBytes(b, out _);
                netmask = System.Buffers.Binary.BinaryPrimitives.ReadUInt32LittleEndian(b);
            }
        }
        service = new IpvsService(key, sched!, flags, timeout, netmask, pe);
        return null;
    }

    /// <summary>The service of the previous real-server line: a table lists a service's servers together, so its address is parsed once.</summary>
    private struct KeyCache
    {
        public string? Option, Value;
        public bool V6;
        public ServiceKey Key;
    }

    private static string? TryDestination(ReadOnlySpan<char> line, ReadOnlySpan<Range> w, ref KeyCache cache, out ServiceKey key, out IpvsDestination? dest)
    {
        key = default;
        dest = null;
        string? option = null;
        ReadOnlySpan<char> value = default, server = default;
        var fwd = ForwardMethod.Route; // ipvsadm's default is -g
        int weight = 1;
        uint upper = 0, lower = 0;
        ushort tunPort = 0;
        var tunType = TunnelType.Ipip;
        var tunFlags = TunnelFlags.NoChecksum;
        var v6 = false;
        var haveServer = false;
        for (var i = 1; i < w.Length; i++)
        {
            var word = line[w[i]];
            var hasNext = i + 1 < w.Length;
            var next = hasNext ? line[w[i + 1]] : default;
            if (hasNext && ServiceOption(word) is { } o)
            {
                option = o;
                value = next;
                i++;
                continue;
            }
            switch (word)
            {
                case "-6" or "--ipv6": v6 = true; break;
                case "-r" or "--real-server" when hasNext: server = next; haveServer = true; i++; break;
                case "-m" or "--masquerading": fwd = ForwardMethod.Masq; break;
                case "-g" or "--gatewaying": fwd = ForwardMethod.Route; break;
                case "-i" or "--ipip": fwd = ForwardMethod.Tunnel; break;
                case "-w" or "--weight" when hasNext && int.TryParse(next, NumberStyles.None, CultureInfo.InvariantCulture, out weight): i++; break;
                case "-x" or "--u-threshold" when hasNext && uint.TryParse(next, NumberStyles.None, CultureInfo.InvariantCulture, out upper): i++; break;
                case "-y" or "--l-threshold" when hasNext && uint.TryParse(next, NumberStyles.None, CultureInfo.InvariantCulture, out lower): i++; break;
                case "--tun-type" when hasNext:
                    switch (next)
                    {
                        case "ipip": tunType = TunnelType.Ipip; break;
                        case "gue": tunType = TunnelType.Gue; break;
                        case "gre": tunType = TunnelType.Gre; break;
                        default: return $"unknown tunnel type '{next}'";
                    }
                    i++;
                    break;
                case "--tun-port" when hasNext && ushort.TryParse(next, NumberStyles.None, CultureInfo.InvariantCulture, out tunPort): i++; break;
                case "--tun-nocsum": tunFlags = TunnelFlags.NoChecksum; break;
                case "--tun-csum": tunFlags = TunnelFlags.Checksum; break;
                case "--tun-remcsum": tunFlags = TunnelFlags.RemoteChecksum; break;
                default: return $"unexpected '{word}' in a real-server line";
            }
        }
        if (option is null || !haveServer) return "a real-server line needs a service (-t/-u/--sctp-service/-f) and -r";
        if ((object)option == cache.Option && v6 == cache.V6 && value.SequenceEqual(cache.Value)) key = cache.Key;
        else
        {
            var text = value.ToString();
            var problem = TryKey(option, text, v6, out key);
            if (problem is not null) return problem;
            cache = new KeyCache { Option = option, Value = text, V6 = v6, Key = key };
        }
        if (!IPEndPoint.TryParse(server, out var ep) || ep.Port > ushort.MaxValue) return $"bad real server '{server}'";
        // Without an explicit port the real server takes the service's (ipvsadm's rule).
        var explicitPort = server.Contains(']') || (ep.Address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork && server.Contains(':'));
        var port = explicitPort ? (ushort)ep.Port : key.Port;
        dest = new IpvsDestination(ep.Address, port, fwd, weight, upper, lower, tunType, tunPort, tunFlags);
        return null;
    }

    /// <summary>The service option <paramref name="w"/> names, as the canonical string TryKey takes; null if it is none.</summary>
    private static string? ServiceOption(ReadOnlySpan<char> w) => w switch
    {
        "-t" => "-t", "--tcp-service" => "--tcp-service", "-u" => "-u", "--udp-service" => "--udp-service",
        "--sctp-service" => "--sctp-service", "-f" => "-f", "--fwmark-service" => "--fwmark-service", _ => null,
    };
}
