namespace Appliance.Sync;

/// <summary>
/// Reads and writes /proc/sys/net/ipv4/vs/* of the calling process's network namespace (every
/// IPVS sysctl is per netns, struct netns_ipvs). The directory exists once ip_vs is loaded.
/// </summary>
public sealed class IpvsSysctls(string directory = IpvsSysctls.ProcDirectory)
{
    public const string ProcDirectory = "/proc/sys/net/ipv4/vs";

    public string Directory { get; } = directory;

    /// <summary>The current value with whitespace collapsed ("3\t0" reads as "3 0"), null when the file is absent.</summary>
    public string? Read(string name)
    {
        var path = Path.Combine(Directory, name);
        try { return Normalize(File.ReadAllText(path)); }
        catch (FileNotFoundException) { return null; }
        catch (DirectoryNotFoundException) { return null; }
    }

    /// <summary>
    /// Writes one value and reads it back: older kernels' proc_do_sync_threshold restores the old
    /// value silently on bad input, so only the read-back proves the write.
    /// </summary>
    /// <exception cref="IOException">With what was written to which file and why it failed.</exception>
    public void Write(string name, string value)
    {
        var path = Path.Combine(Directory, name);
        if (!System.IO.Directory.Exists(Directory))
            throw new IOException($"setting {name} = {value}: {Directory} does not exist (ip_vs not loaded in this network namespace?)");
        try { File.WriteAllText(path, value + "\n"); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new IOException($"setting {name} = {value} in {path}: the kernel refused ({e.Message})", e);
        }
        var back = Read(name);
        if (back != Normalize(value))
            throw new IOException($"setting {name} = {value} in {path}: the kernel kept '{back}'");
    }

    /// <summary>Writes every setting; returns one error line per setting that failed (the others are still applied).</summary>
    public IReadOnlyList<string> Apply(IEnumerable<SysctlSetting> settings)
    {
        var errors = new List<string>();
        foreach (var s in settings)
        {
            try { Write(s.Name, s.Value); }
            catch (IOException e) { errors.Add(e.Message); }
        }
        return errors;
    }

    public static string Normalize(string text) => string.Join(' ', text.Split((char[])[' ', '\t', '\n', '\r'], StringSplitOptions.RemoveEmptyEntries));
}

/// <summary>Reads /proc/net/ip_vs_conn_sync of the calling process's network namespace.</summary>
public sealed class ConnSyncReader(string path = ConnSyncReader.ProcPath)
{
    public const string ProcPath = "/proc/net/ip_vs_conn_sync";

    public string Path { get; } = path;

    /// <summary>False when this network namespace has no IPVS (the ip_vs module is not loaded): then there is no table at all.</summary>
    public bool Exists => File.Exists(Path);

    /// <exception cref="IOException">When the file cannot be read (ip_vs not loaded), naming the file.</exception>
    public ConnSyncCounts Read()
    {
        try
        {
            using var reader = new StreamReader(Path);
            return ConnSyncTableParser.Parse(reader);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new IOException($"reading the connection table {Path}: {e.Message}", e);
        }
    }
}
