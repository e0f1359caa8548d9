using System.Globalization;

namespace Appliance.Sync;

/// <summary>Counts of one reading of /proc/net/ip_vs_conn_sync.</summary>
public sealed record ConnSyncCounts(long Total, long Synced, long Local, long Malformed, IReadOnlyDictionary<string, long> ByState)
{
    public static ConnSyncCounts Empty { get; } = new(0, 0, 0, 0, new Dictionary<string, long>());
}

/// <summary>
/// Parses /proc/net/ip_vs_conn_sync (ip_vs_conn_sync_seq_show, net/netfilter/ipvs/ip_vs_conn.c):
/// a header line, then per entry "Pro FromIP FPrt ToIP TPrt DestIP DPrt State Origin Expires",
/// IPv4 addresses as 8 hex digits, IPv6 as %pI6, ports as 4 hex digits, Origin SYNC (created by
/// the backup daemon, IP_VS_CONN_F_SYNC) or LOCAL. Lines that do not have that shape are
/// counted as malformed, never thrown: a future kernel adding a column must not stop the gate.
/// </summary>
public sealed class ConnSyncTableParser
{
    private long _total, _synced, _local, _malformed;
    private readonly Dictionary<string, long> _byState = new(StringComparer.Ordinal);

    public void AcceptLine(ReadOnlySpan<char> line)
    {
        line = line.TrimEnd();
        if (line.IsEmpty) return;
        if (line.StartsWith("Pro ", StringComparison.Ordinal)) return; // the header

        Span<Range> fields = stackalloc Range[11];
        var n = line.Split(fields, ' ', StringSplitOptions.RemoveEmptyEntries);
        if (n != 10 || !IsEntry(line, fields))
        {
            _malformed++;
            return;
        }
        var origin = line[fields[8]];
        var state = line[fields[7]].ToString();
        _total++;
        if (origin.SequenceEqual("SYNC")) _synced++; else _local++;
        _byState[state] = _byState.GetValueOrDefault(state) + 1;
    }

    public ConnSyncCounts Result() => new(_total, _synced, _local, _malformed, new Dictionary<string, long>(_byState, StringComparer.Ordinal));

    public static ConnSyncCounts Parse(TextReader reader)
    {
        var parser = new ConnSyncTableParser();
        while (reader.ReadLine() is { } line) parser.AcceptLine(line);
        return parser.Result();
    }

    public static ConnSyncCounts Parse(string text) => Parse(new StringReader(text));

    private static bool IsEntry(ReadOnlySpan<char> line, ReadOnlySpan<Range> f)
    {
        var proto = line[f[0]];
        if (proto.Length is 0 or > 8) return false;
        foreach (var c in proto) if (!char.IsAsciiLetterOrDigit(c)) return false;
        if (!IsAddress(line[f[1]]) || !IsPort(line[f[2]]) || !IsAddress(line[f[3]]) || !IsPort(line[f[4]])
            || !IsAddress(line[f[5]]) || !IsPort(line[f[6]])) return false;
        // Printed with %-11s: longer names (SCTP's SHUTDOWN_ACK_SENT) are printed whole.
        var state = line[f[7]];
        if (state.Length is 0 or > 24) return false;
        foreach (var c in state) if (!(char.IsAsciiLetterUpper(c) || char.IsAsciiDigit(c) || c == '_')) return false;
        var origin = line[f[8]];
        if (!origin.SequenceEqual("SYNC") && !origin.SequenceEqual("LOCAL")) return false;
        return uint.TryParse(line[f[9]], NumberStyles.None, CultureInfo.InvariantCulture, out _);
    }

    private static bool IsPort(ReadOnlySpan<char> s) => s.Length == 4 && ushort.TryParse(s, NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out _);

    private static bool IsAddress(ReadOnlySpan<char> s)
    {
        if (s.Length == 8) return uint.TryParse(s, NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out _);
        // %pI6: eight groups of four hex digits.
        if (s.Length != 39) return false;
        for (var i = 0; i < 39; i++)
        {
            var c = s[i];
            if (i % 5 == 4) { if (c != ':') return false; }
            else if (!char.IsAsciiHexDigit(c)) return false;
        }
        return true;
    }
}
