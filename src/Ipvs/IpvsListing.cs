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
        var w = new Utf8Lines();
        Render(w, info, table, format);
        return Encoding.UTF8.GetString(w.Written);
    }

    /// <summary>
    /// Writes the listing to <paramref name="output"/> as UTF-8 bytes: formatted straight into one
    /// byte buffer (no string per field or line) and written in one go. 11,000 lines are ~0.7 MB.
    /// </summary>
    public static void Write(Stream output, IpvsInfo info, KernelTable table, IpvsListFormat format)
    {
        var w = new Utf8Lines();
        Render(w, info, table, format);
        output.Write(w.Written);
        output.Flush();
    }

    private static void Render(Utf8Lines w, IpvsInfo info, KernelTable table, IpvsListFormat format)
    {
        w.Ascii("IP Virtual Server version ").Ascii(info.VersionString).Ascii(" (size=").Number(info.ConnectionTableSize).Ascii(")\n");
        switch (format)
        {
            case IpvsListFormat.Stats:
                w.Ascii($"{"Prot LocalAddress:Port",-33} {"Conns",8} {"InPkts",8} {"OutPkts",8} {"InBytes",8} {"OutBytes",8}\n  -> RemoteAddress:Port\n");
                break;
            case IpvsListFormat.Rate:
                w.Ascii($"{"Prot LocalAddress:Port",-33} {"CPS",8} {"InPPS",8} {"OutPPS",8} {"InBPS",8} {"OutBPS",8}\n  -> RemoteAddress:Port\n");
                break;
            default:
                w.Ascii("Prot LocalAddress:Port Scheduler Flags\n  -> RemoteAddress:Port           Forward Weight ActiveConn InActConn\n");
                break;
        }
        // Sort keys computed once per entry: the comparisons then touch no IPAddress.
        var services = new Sorted<(ServiceEntry Service, IReadOnlyList<DestinationEntry> Destinations)>[table.Services.Count];
        for (var i = 0; i < services.Length; i++)
        {
            var key = table.Services[i].Service.Service.Key;
            services[i] = new(AddressWords.Of(key.Address), table.Services[i]);
        }
        GlibcMergeSort(services, services.Length, CompareServiceEntries);
        var dests = Array.Empty<Sorted<DestinationEntry>>();
        foreach (var s in services)
        {
            var (service, destinations) = s.Item;
            AppendService(w, service, format);
            if (dests.Length < destinations.Count) dests = new Sorted<DestinationEntry>[Math.Max(destinations.Count, 16)];
            var n = destinations.Count;
            for (var i = 0; i < n; i++) dests[i] = new(AddressWords.Of(destinations[i].Destination.Address), destinations[i]);
            var words = service.Service.Key.Family == IpvsFamily.Inet6 ? 4 : 1;
            GlibcMergeSort(dests, n, words == 1 ? CompareDestinationsV4 : CompareDestinationsV6);
            for (var i = 0; i < n; i++) AppendDestination(w, service.Service.Key, dests[i].Item, format);
        }
    }

    private static void AppendService(Utf8Lines w, ServiceEntry entry, IpvsListFormat format)
    {
        var s = entry.Service;
        var key = s.Key;
        var start = w.Length;
        if (key.IsFirewallMark)
        {
            w.Ascii("FWM  ").Number(key.FirewallMark);
            if (key.Family == IpvsFamily.Inet6) w.Ascii(" IPv6");
        }
        else
        {
            w.Ascii(ProtocolName(key.Protocol)).Pad(start + 4).Ascii(" ").Endpoint(key.Address, key.Port);
            if (key.Family != IpvsFamily.Inet6) w.Truncate(start + 33); // svc_name[33] = '\0'
        }
        var st = entry.Stats;
        switch (format)
        {
            case IpvsListFormat.Stats:
                w.Pad(start + 33).LargeNum(st.Conns).LargeNum(st.InPackets).LargeNum(st.OutPackets).LargeNum(st.InBytes).LargeNum(st.OutBytes);
                break;
            case IpvsListFormat.Rate:
                w.Pad(start + 33).LargeNum(st.Cps).LargeNum(st.InPps).LargeNum(st.OutPps).LargeNum(st.InBps).LargeNum(st.OutBps);
                break;
            default:
                w.Ascii(" ").Ascii(s.Scheduler);
                var schedFlags = s.Flags & (ServiceFlags.Sched1 | ServiceFlags.Sched2 | ServiceFlags.Sched3);
                if (schedFlags != 0) w.Ascii(" (").Ascii(SchedulerFlagNames(s.Scheduler, schedFlags)).Ascii(")");
                if ((s.Flags & ServiceFlags.Persistent) != 0)
                {
                    w.Ascii(" persistent ").Number(s.Timeout);
                    if (key.Family == IpvsFamily.Inet && s.Netmask != 0xffffffff)
                    {
                        Span<byte> b = stackalloc byte[4];
                        BinaryPrimitives.WriteUInt32LittleEndian(b, s.Netmask);
                        w.Ascii(" mask ").Address(new IPAddress(b));
                    }
                    if (key.Family == IpvsFamily.Inet6 && s.Netmask != 128) w.Ascii(" mask ").Number(s.Netmask);
                }
                if (!string.IsNullOrEmpty(s.PeName)) w.Ascii(" pe ").Ascii(s.PeName);
                if ((s.Flags & ServiceFlags.OnePacket) != 0) w.Ascii(" ops");
                break;
        }
        w.Ascii("\n");
    }

    private static void AppendDestination(Utf8Lines w, ServiceKey service, DestinationEntry e, IpvsListFormat format)
    {
        var d = e.Destination;
        w.Ascii("  -> ");
        var start = w.Length;
        w.Endpoint(d.Address, d.Port);
        if (service.Family != IpvsFamily.Inet6) w.Truncate(start + 28); // dname[28] = '\0'
        w.Pad(start + 28);
        var st = e.Stats;
        switch (format)
        {
            case IpvsListFormat.Stats:
                w.LargeNum(st.Conns).LargeNum(st.InPackets).LargeNum(st.OutPackets).LargeNum(st.InBytes).LargeNum(st.OutBytes);
                break;
            case IpvsListFormat.Rate:
                // cps/pps are printed as %8u of a 32-bit value by ipvsadm.
                w.Ascii(" ").NumberRight((uint)st.Cps, 8).Ascii(" ").NumberRight((uint)st.InPps, 8).Ascii(" ").NumberRight((uint)st.OutPps, 8)
                 .LargeNum(st.InBps).LargeNum(st.OutBps);
                break;
            default:
                w.Ascii(" ");
                var at = w.Length;
                w.Ascii(ForwardName(d.Forward)).Pad(at + 7).Ascii(" ");
                at = w.Length;
                w.Number(d.Weight).Pad(at + 6).Ascii(" ");
                at = w.Length;
                w.Number(e.ActiveConns).Pad(at + 10).Ascii(" ");
                at = w.Length;
                w.Number(e.InactiveConns).Pad(at + 10);
                break;
        }
        w.Ascii("\n");
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
    public static string LargeNum(ulong i) => Encoding.ASCII.GetString(new Utf8Lines(16).LargeNum(i).Written);

    /// <summary>
    /// libipvs's comparison, including its C arithmetic: differences of unsigned 32-bit values
    /// converted to int, so 10.x sorts after 192.x (0x0a.. - 0xc0.. wraps positive).
    /// </summary>
    public static int CompareServices(ServiceKey a, ServiceKey b) =>
        CompareServices(a, AddressWords.Of(a.Address), b, AddressWords.Of(b.Address));

    public static int CompareDestinations(ushort family, IpvsDestination a, IpvsDestination b)
    {
        var r = CompareAddresses(family == IpvsFamily.Inet6 ? 4 : 1, AddressWords.Of(a.Address), AddressWords.Of(b.Address));
        return r != 0 ? r : a.Port - b.Port;
    }

    private static int CompareServices(ServiceKey a, in AddressWords aw, ServiceKey b, in AddressWords bw)
    {
        var r = unchecked((int)(a.FirewallMark - b.FirewallMark));
        if (r != 0) return r;
        r = a.Family - b.Family;
        if (r != 0) return r;
        r = (ushort)a.Protocol - (ushort)b.Protocol;
        if (r != 0) return r;
        r = CompareAddresses(a.Family == IpvsFamily.Inet6 ? 4 : 1, aw, bw);
        return r != 0 ? r : a.Port - b.Port;
    }

    private static int CompareServiceEntries(in Sorted<(ServiceEntry Service, IReadOnlyList<DestinationEntry> Destinations)> a,
        in Sorted<(ServiceEntry Service, IReadOnlyList<DestinationEntry> Destinations)> b) =>
        CompareServices(a.Item.Service.Service.Key, a.Words, b.Item.Service.Service.Key, b.Words);

    private static int CompareDestinationsV4(in Sorted<DestinationEntry> a, in Sorted<DestinationEntry> b) => CompareDestinations(1, a, b);
    private static int CompareDestinationsV6(in Sorted<DestinationEntry> a, in Sorted<DestinationEntry> b) => CompareDestinations(4, a, b);

    private static int CompareDestinations(int words, in Sorted<DestinationEntry> a, in Sorted<DestinationEntry> b)
    {
        var r = CompareAddresses(words, a.Words, b.Words);
        return r != 0 ? r : a.Item.Destination.Port - b.Item.Destination.Port;
    }

    private static int CompareAddresses(int words, in AddressWords x, in AddressWords y)
    {
        var r = unchecked((int)(x.W0 - y.W0));
        if (r != 0 || words == 1) return r;
        r = unchecked((int)(x.W1 - y.W1));
        if (r != 0) return r;
        r = unchecked((int)(x.W2 - y.W2));
        return r != 0 ? r : unchecked((int)(x.W3 - y.W3));
    }

    /// <summary>An address as libipvs compares it: 32-bit words in host order (ntohl), v4 in W0.</summary>
    private readonly record struct AddressWords(uint W0, uint W1, uint W2, uint W3)
    {
        public static AddressWords Of(IPAddress address)
        {
            Span<byte> b = stackalloc byte[16];
            b.Clear();
            address.TryWriteBytes(b, out _);
            return new(BinaryPrimitives.ReadUInt32BigEndian(b), BinaryPrimitives.ReadUInt32BigEndian(b[4..]),
                BinaryPrimitives.ReadUInt32BigEndian(b[8..]), BinaryPrimitives.ReadUInt32BigEndian(b[12..]));
        }
    }

    private readonly record struct Sorted<T>(AddressWords Words, T Item);

    private delegate int RefComparison<T>(in T a, in T b);

    /// <summary>
    /// glibc's qsort is a top-down merge sort (msort) when memory allows; with libipvs's
    /// non-transitive comparator only the same algorithm gives the same order.
    /// </summary>
    public static void GlibcMergeSort<T>(T[] items, Comparison<T> compare) => GlibcMergeSort(items, items.Length, (in T a, in T b) => compare(a, b));

    private static void GlibcMergeSort<T>(T[] items, int count, RefComparison<T> compare)
    {
        if (count < 2) return;
        var tmp = new T[count];
        Sort(items, tmp, 0, count, compare);
    }

    private static void Sort<T>(T[] b, T[] tmp, int start, int n, RefComparison<T> compare)
    {
        if (n <= 1) return;
        var n1 = n / 2;
        var n2 = n - n1;
        Sort(b, tmp, start, n1, compare);
        Sort(b, tmp, start + n1, n2, compare);
        int i = start, j = start + n1, k = 0, end1 = start + n1, end2 = start + n;
        while (i < end1 && j < end2) tmp[k++] = compare(in b[i], in b[j]) <= 0 ? b[i++] : b[j++];
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

/// <summary>
/// A growable UTF-8 byte buffer with the few formatting steps the listings need (printf's %s,
/// %-Ns, %Nu and ipvsadm's print_largenum), so a 11,000-line table costs no string per field.
/// </summary>
internal sealed class Utf8Lines
{
    private byte[] _buffer;

    public Utf8Lines(int capacity = 64 * 1024) => _buffer = new byte[capacity];

    public int Length { get; private set; }
    public ReadOnlySpan<byte> Written => _buffer.AsSpan(0, Length);

    private Span<byte> Free(int atLeast)
    {
        if (_buffer.Length - Length < atLeast) Array.Resize(ref _buffer, Math.Max(_buffer.Length * 2, Length + atLeast));
        return _buffer.AsSpan(Length);
    }

    /// <summary>Appends text (ASCII in practice: names, numbers, addresses); anything else is UTF-8 encoded.</summary>
    public Utf8Lines Ascii(string text)
    {
        var span = Free(Encoding.UTF8.GetMaxByteCount(text.Length));
        Length += Encoding.UTF8.GetBytes(text, span);
        return this;
    }

    public Utf8Lines Number(ulong value)
    {
        value.TryFormat(Free(20), out var n, default, CultureInfo.InvariantCulture);
        Length += n;
        return this;
    }

    public Utf8Lines Number(int value)
    {
        value.TryFormat(Free(11), out var n, default, CultureInfo.InvariantCulture);
        Length += n;
        return this;
    }

    /// <summary>printf's %<paramref name="width"/>u.</summary>
    public Utf8Lines NumberRight(ulong value, int width)
    {
        var start = Length;
        Number(value);
        var digits = Length - start;
        if (digits >= width) return this;
        var span = Free(width - digits);
        _buffer.AsSpan(start, digits).CopyTo(_buffer.AsSpan(start + width - digits));
        _buffer.AsSpan(start, width - digits).Fill((byte)' ');
        Length = start + width;
        return this;
    }

    /// <summary>Spaces up to absolute position <paramref name="column"/> (printf's %-Ns after the fact).</summary>
    public Utf8Lines Pad(int column)
    {
        if (Length >= column) return this;
        Free(column - Length).Slice(0, column - Length).Fill((byte)' ');
        Length = column;
        return this;
    }

    /// <summary>Cuts back to <paramref name="column"/> (a C buffer of that size; the text is ASCII).</summary>
    public void Truncate(int column)
    {
        if (Length > column) Length = column;
    }

    public Utf8Lines Address(IPAddress address)
    {
        address.TryFormat(Free(64), out var n);
        Length += n;
        return this;
    }

    /// <summary>Address:port as ipvsadm prints it ([v6]:port).</summary>
    public Utf8Lines Endpoint(IPAddress address, ushort port)
    {
        var v6 = address.AddressFamily == AddressFamily.InterNetworkV6;
        if (v6) Ascii("[");
        Address(address);
        if (v6) Ascii("]");
        Ascii(":");
        return Number(port);
    }

    /// <summary>print_largenum without --exact: 9 columns, K/M/G/T above 10^8.</summary>
    public Utf8Lines LargeNum(ulong i)
    {
        (ulong value, string? unit) = i switch
        {
            < 100_000_000UL => (i, null),
            < 1_000_000_000UL => (i / 1000, "K"),
            < 100_000_000_000UL => (i / 1_000_000, "M"),
            < 100_000_000_000_000UL => (i / 1_000_000_000, "G"),
            _ => (i / 1_000_000_000_000, "T"),
        };
        if (unit is null) return NumberRight(value, 9);
        return NumberRight(value, 8).Ascii(unit);
    }
}
