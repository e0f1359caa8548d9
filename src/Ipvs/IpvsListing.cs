using System.Buffers.Binary;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Appliance.Ipvs;

public enum IpvsListFormat { Normal, Stats, Rate }

/// <summary>
/// Renders the table in exactly the layout of <c>ipvsadm -Ln</c> (1.31: ipvsadm.c print_title,
/// print_service_entry, print_largenum; libipvs ipvs_cmp_services/ipvs_cmp_dests for the order),
/// so operators' eyes and scripts keep working. Checked line for line against the real ipvsadm.
/// </summary>
public static class IpvsListing
{
    public static string Render(IpvsInfo info, KernelTable table, IpvsListFormat format)
    {
        var sb = new StringBuilder();
        sb.Append(CultureInfo.InvariantCulture, $"IP Virtual Server version {info.VersionString} (size={info.ConnectionTableSize})\n");
        switch (format)
        {
            case IpvsListFormat.Stats:
                sb.Append($"{"Prot LocalAddress:Port",-33} {"Conns",8} {"InPkts",8} {"OutPkts",8} {"InBytes",8} {"OutBytes",8}\n  -> RemoteAddress:Port\n");
                break;
            case IpvsListFormat.Rate:
                sb.Append($"{"Prot LocalAddress:Port",-33} {"CPS",8} {"InPPS",8} {"OutPPS",8} {"InBPS",8} {"OutBPS",8}\n  -> RemoteAddress:Port\n");
                break;
            default:
                sb.Append("Prot LocalAddress:Port Scheduler Flags\n  -> RemoteAddress:Port           Forward Weight ActiveConn InActConn\n");
                break;
        }
        var services = table.Services.ToArray();
        GlibcMergeSort(services, (a, b) => CompareServices(a.Service.Service.Key, b.Service.Service.Key));
        foreach (var (service, destinations) in services)
        {
            AppendService(sb, service, format);
            var dests = destinations.ToArray();
            GlibcMergeSort(dests, (a, b) => CompareDestinations(service.Service.Key.Family, a.Destination, b.Destination));
            foreach (var d in dests) AppendDestination(sb, service.Service.Key, d, format);
        }
        return sb.ToString();
    }

    private static void AppendService(StringBuilder sb, ServiceEntry entry, IpvsListFormat format)
    {
        var s = entry.Service;
        var key = s.Key;
        string name;
        if (key.IsFirewallMark) name = $"{"FWM",-4} {key.FirewallMark}" + (key.Family == IpvsFamily.Inet6 ? " IPv6" : "");
        else
        {
            name = $"{ProtocolName(key.Protocol),-4} {IpvsFormat.Endpoint(key.Address, key.Port)}";
            if (key.Family != IpvsFamily.Inet6 && name.Length > 33) name = name[..33]; // svc_name[33] = '\0'
        }
        var st = entry.Stats;
        switch (format)
        {
            case IpvsListFormat.Stats:
                sb.Append($"{name,-33}").Append(LargeNum(st.Conns)).Append(LargeNum(st.InPackets)).Append(LargeNum(st.OutPackets))
                  .Append(LargeNum(st.InBytes)).Append(LargeNum(st.OutBytes));
                break;
            case IpvsListFormat.Rate:
                sb.Append($"{name,-33}").Append(LargeNum(st.Cps)).Append(LargeNum(st.InPps)).Append(LargeNum(st.OutPps))
                  .Append(LargeNum(st.InBps)).Append(LargeNum(st.OutBps));
                break;
            default:
                sb.Append(name).Append(' ').Append(s.Scheduler);
                var schedFlags = s.Flags & (ServiceFlags.Sched1 | ServiceFlags.Sched2 | ServiceFlags.Sched3);
                if (schedFlags != 0) sb.Append(" (").Append(SchedulerFlagNames(s.Scheduler, schedFlags)).Append(')');
                if ((s.Flags & ServiceFlags.Persistent) != 0)
                {
                    sb.Append(CultureInfo.InvariantCulture, $" persistent {s.Timeout}");
                    if (key.Family == IpvsFamily.Inet && s.Netmask != 0xffffffff)
                    {
                        Span<byte> b = stackalloc byte[4];
                        BinaryPrimitives.WriteUInt32LittleEndian(b, s.Netmask);
                        sb.Append(" mask ").Append(new IPAddress(b).ToString());
                    }
                    if (key.Family == IpvsFamily.Inet6 && s.Netmask != 128) sb.Append(CultureInfo.InvariantCulture, $" mask {s.Netmask}");
                }
                if (!string.IsNullOrEmpty(s.PeName)) sb.Append(" pe ").Append(s.PeName);
                if ((s.Flags & ServiceFlags.OnePacket) != 0) sb.Append(" ops");
                break;
        }
        sb.Append('\n');
    }

    private static void AppendDestination(StringBuilder sb, ServiceKey service, DestinationEntry e, IpvsListFormat format)
    {
        var d = e.Destination;
        var name = IpvsFormat.Endpoint(d.Address, d.Port);
        if (service.Family != IpvsFamily.Inet6 && name.Length > 28) name = name[..28]; // dname[28] = '\0'
        var st = e.Stats;
        switch (format)
        {
            case IpvsListFormat.Stats:
                sb.Append($"  -> {name,-28}").Append(LargeNum(st.Conns)).Append(LargeNum(st.InPackets)).Append(LargeNum(st.OutPackets))
                  .Append(LargeNum(st.InBytes)).Append(LargeNum(st.OutBytes)).Append('\n');
                break;
            case IpvsListFormat.Rate:
                // cps/pps are printed as %8u of a 32-bit value by ipvsadm.
                sb.Append(CultureInfo.InvariantCulture, $"  -> {name,-28} {(uint)st.Cps,8} {(uint)st.InPps,8} {(uint)st.OutPps,8}")
                  .Append(LargeNum(st.InBps)).Append(LargeNum(st.OutBps)).Append('\n');
                break;
            default:
                sb.Append(CultureInfo.InvariantCulture, $"  -> {name,-28} {ForwardName(d.Forward),-7} {d.Weight,-6} {e.ActiveConns,-10} {e.InactiveConns,-10}\n");
                break;
        }
    }

    public static string ProtocolName(IpvsProtocol p) => p switch
    {
        IpvsProtocol.Tcp => "TCP", IpvsProtocol.Udp => "UDP", IpvsProtocol.Sctp => "SCTP", _ => "?",
    };

    public static string ForwardName(ForwardMethod m) => m switch
    {
        ForwardMethod.Masq => "Masq", ForwardMethod.Local => "Local", ForwardMethod.Tunnel => "Tunnel", ForwardMethod.Route => "Route", _ => "",
    };

    /// <summary>sh and mh name their flags; any other scheduler shows flag-1..3.</summary>
    public static string SchedulerFlagNames(string scheduler, ServiceFlags flags)
    {
        var names = new List<string>(3);
        string[] known = scheduler switch
        {
            "sh" => ["sh-fallback", "sh-port", "flag-3"],
            "mh" => ["mh-fallback", "mh-port", "flag-3"],
            _ => ["flag-1", "flag-2", "flag-3"],
        };
        if ((flags & ServiceFlags.Sched1) != 0) names.Add(known[0]);
        if ((flags & ServiceFlags.Sched2) != 0) names.Add(known[1]);
        if ((flags & ServiceFlags.Sched3) != 0) names.Add(known[2]);
        return string.Join(',', names);
    }

    /// <summary>print_largenum without --exact: 9 columns, K/M/G/T above 10^8.</summary>
    public static string LargeNum(ulong i) => i switch
    {
        < 100_000_000UL => i.ToString(CultureInfo.InvariantCulture).PadLeft(9),
        < 1_000_000_000UL => (i / 1000).ToString(CultureInfo.InvariantCulture).PadLeft(8) + "K",
        < 100_000_000_000UL => (i / 1_000_000).ToString(CultureInfo.InvariantCulture).PadLeft(8) + "M",
        < 100_000_000_000_000UL => (i / 1_000_000_000).ToString(CultureInfo.InvariantCulture).PadLeft(8) + "G",
        _ => (i / 1_000_000_000_000).ToString(CultureInfo.InvariantCulture).PadLeft(8) + "T",
    };

    /// <summary>
    /// libipvs's comparison, including its C arithmetic: differences of unsigned 32-bit values
    /// converted to int, so 10.x sorts after 192.x (0x0a.. - 0xc0.. wraps positive).
    /// </summary>
    public static int CompareServices(ServiceKey a, ServiceKey b)
    {
        var r = unchecked((int)(a.FirewallMark - b.FirewallMark));
        if (r != 0) return r;
        r = a.Family - b.Family;
        if (r != 0) return r;
        r = (ushort)a.Protocol - (ushort)b.Protocol;
        if (r != 0) return r;
        r = CompareAddresses(a.Family, a.Address, b.Address);
        return r != 0 ? r : a.Port - b.Port;
    }

    public static int CompareDestinations(ushort family, IpvsDestination a, IpvsDestination b)
    {
        var r = CompareAddresses(family, a.Address, b.Address);
        return r != 0 ? r : a.Port - b.Port;
    }

    private static int CompareAddresses(ushort family, IPAddress a, IPAddress b)
    {
        Span<byte> x = stackalloc byte[16], y = stackalloc byte[16];
        x.Clear();
        y.Clear();
        a.TryWriteBytes(x, out _);
        b.TryWriteBytes(y, out _);
        var words = family == IpvsFamily.Inet6 ? 4 : 1;
        var r = 0;
        for (var i = 0; r == 0 && i < words; i++)
            r = unchecked((int)(BinaryPrimitives.ReadUInt32BigEndian(x[(i * 4)..]) - BinaryPrimitives.ReadUInt32BigEndian(y[(i * 4)..])));
        return r;
    }

    /// <summary>
    /// glibc's qsort is a top-down merge sort (msort) when memory allows; with libipvs's
    /// non-transitive comparator only the same algorithm gives the same order.
    /// </summary>
    public static void GlibcMergeSort<T>(T[] items, Comparison<T> compare)
    {
        if (items.Length < 2) return;
        var tmp = new T[items.Length];
        Sort(items, tmp, 0, items.Length, compare);
    }

    private static void Sort<T>(T[] b, T[] tmp, int start, int n, Comparison<T> compare)
    {
        if (n <= 1) return;
        var n1 = n / 2;
        var n2 = n - n1;
        Sort(b, tmp, start, n1, compare);
        Sort(b, tmp, start + n1, n2, compare);
        int i = start, j = start + n1, k = 0, end1 = start + n1, end2 = start + n;
        while (i < end1 && j < end2) tmp[k++] = compare(b[i], b[j]) <= 0 ? b[i++] : b[j++];
        while (i < end1) tmp[k++] = b[i++];
        // What is left of the second half is already in place.
        Array.Copy(tmp, 0, b, start, k);
    }

    /// <summary>
    /// <c>ipvsadm -Lnc</c> from /proc/net/ip_vs_conn (the netlink interface has no connection
    /// dump): "pro expire state source virtual destination", expire as mm:ss.
    /// Lines that do not parse are skipped and counted in <paramref name="malformed"/>.
    /// </summary>
    public static string RenderConnections(string procText, out int malformed)
    {
        malformed = 0;
        var sb = new StringBuilder("IPVS connection entries\n");
        sb.Append($"pro expire {"state",-11} {"source",-18} {"virtual",-18} destination\n");
        var lines = procText.Split('\n');
        for (var n = 1; n < lines.Length; n++) // the first line is the header
        {
            var f = lines[n].Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (f.Length == 0) continue;
            if (f.Length < 9 || !int.TryParse(f[8], NumberStyles.Integer, CultureInfo.InvariantCulture, out var expires)
                || !TryEndpoint(f[1], f[2], out var c) || !TryEndpoint(f[3], f[4], out var v) || !TryEndpoint(f[5], f[6], out var d))
            {
                malformed++;
                continue;
            }
            var expire = $"{expires / 60:00}:{expires % 60:00}";
            sb.Append(CultureInfo.InvariantCulture, $"{f[0],-3} {expire,-6} {f[7],-11} {c,-18} {v,-18} {d}\n");
        }
        return sb.ToString();
    }

    private static bool TryEndpoint(string address, string portHex, out string endpoint)
    {
        endpoint = "";
        if (!ushort.TryParse(portHex, NumberStyles.HexNumber, CultureInfo.InvariantCulture, out var port)) return false;
        if (address.Contains(':'))
        {
            if (!IPAddress.TryParse(address, out var v6) || v6.AddressFamily != AddressFamily.InterNetworkV6) return false;
            endpoint = IpvsFormat.Endpoint(v6, port);
            return true;
        }
        if (!uint.TryParse(address, NumberStyles.HexNumber, CultureInfo.InvariantCulture, out var v4)) return false;
        Span<byte> b = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(b, v4);
        endpoint = IpvsFormat.Endpoint(new IPAddress(b), port);
        return true;
    }
}
