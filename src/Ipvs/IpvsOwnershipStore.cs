using System.Globalization;
using System.Net;

namespace Appliance.Ipvs;

/// <summary>
/// Remembers which services the appliance owns, in a small text file under /run (one key per
/// line, as "TCP 192.0.2.100:80", "UDP [2001:db8::1]:53", "FWM 7", "FWM 7 IPv6"). /run is a tmpfs:
/// after a reboot the table is empty anyway; after a daemon restart the file tells the new process
/// which services the old one created, so one dropped from the configuration meanwhile is still removed.
/// Written atomically (temp file + rename). A missing or unreadable file means "owns nothing".
/// </summary>
public sealed class IpvsOwnershipStore
{
    public const string DefaultPath = "/run/appliance/ipvs-owned";

    public IpvsOwnershipStore(string path = DefaultPath) => Path = path;

    public string Path { get; }

    public IReadOnlySet<ServiceKey> Load(ICollection<string>? problems = null)
    {
        var keys = new HashSet<ServiceKey>();
        string[] lines;
        try
        {
            lines = File.ReadAllLines(Path);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            return keys;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            problems?.Add($"reading the IPVS ownership file {Path}: {e.Message}; assuming the appliance owns no service yet");
            return keys;
        }
        foreach (var line in lines)
        {
            if (line.Length == 0 || line.StartsWith('#')) continue;
            if (TryParseKey(line, out var key)) keys.Add(key);
            else problems?.Add($"{Path}: ignoring unreadable line \"{line}\"");
        }
        return keys;
    }

    public void Save(IEnumerable<ServiceKey> keys)
    {
        var dir = System.IO.Path.GetDirectoryName(Path);
        if (!string.IsNullOrEmpty(dir)) Directory.CreateDirectory(dir);
        var temp = Path + ".tmp";
        var lines = new List<string>();
        foreach (var k in keys) lines.Add(k.ToString());
        lines.Sort(StringComparer.Ordinal);
        File.WriteAllLines(temp, ["# services the appliance programmed (IPVS reconciler ownership); do not edit", .. lines]);
        File.Move(temp, Path, overwrite: true);
    }

    /// <summary>Parses <see cref="ServiceKey.ToString"/>.</summary>
    public static bool TryParseKey(string text, out ServiceKey key)
    {
        key = default;
        var parts = text.Trim().Split(' ', StringSplitOptions.RemoveEmptyEntries);
        if (parts.Length is < 2 or > 3) return false;
        if (parts[0] == "FWM")
        {
            if (!uint.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var mark) || mark == 0) return false;
            if (parts.Length == 3 && parts[2] != "IPv6") return false;
            key = ServiceKey.ForFirewallMark(mark, parts.Length == 3 ? IpvsFamily.Inet6 : IpvsFamily.Inet);
            return true;
        }
        if (parts.Length != 2) return false;
        IpvsProtocol protocol = parts[0] switch { "TCP" => IpvsProtocol.Tcp, "UDP" => IpvsProtocol.Udp, "SCTP" => IpvsProtocol.Sctp, _ => IpvsProtocol.None };
        if (protocol == IpvsProtocol.None || !IPEndPoint.TryParse(parts[1], out var ep) || ep.Port > ushort.MaxValue) return false;
        key = ServiceKey.For(protocol, ep.Address, (ushort)ep.Port);
        return true;
    }
}
