using Microsoft.Extensions.Configuration;

namespace Appliance.Config.Ini;

/// <summary>
/// Exposes an <see cref="IniDocument"/> as Microsoft.Extensions.Configuration keys:
/// <c>[global] node_name = a</c> becomes <c>global:node_name</c>, <c>[vrrp_instance VI_1] priority = 100</c>
/// becomes <c>vrrp_instance:VI_1:priority</c>. Every section also gets a key of its own
/// (<c>vrrp_instance:VI_1</c>, value null) so an empty section still shows up as a child.
/// Values are the strings as written (lists are split by the model, not here).
/// Unlike the stock INI provider it remembers where each key came from (<see cref="TryGetLocation"/>),
/// and it answers <see cref="GetChildKeys"/> from an index: the base class scans every key for
/// each call, so walking 11,000 sections (each asked for its keys) cost 11,000 x 110,000 key
/// comparisons, seconds of CPU for a director with 1,000 services.
/// </summary>
public sealed class ApplianceIniConfigurationProvider : ConfigurationProvider
{
    private readonly Func<IniDocument> _read;
    private Dictionary<string, (string File, int Line)> _locations = new(StringComparer.OrdinalIgnoreCase);
    /// <summary>Parent path to the next segment of every key under it, and the first segment of every key; built on first use.</summary>
    private (Dictionary<string, List<string>> Below, List<string> Top)? _children;

    public ApplianceIniConfigurationProvider(Func<IniDocument> read) => _read = read;

    /// <summary>The document of the last <see cref="Load"/>, including its syntax errors.</summary>
    public IniDocument? Document { get; private set; }

    /// <summary>Throw <see cref="IniFormatException"/> from <see cref="Load"/> when the file has syntax errors.</summary>
    public bool ThrowOnErrors { get; init; } = true;

    public override void Load()
    {
        var document = _read();
        Document = document;
        if (ThrowOnErrors && document.Errors.Count > 0) throw new IniFormatException(document.Errors);

        var data = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase);
        var locations = new Dictionary<string, (string, int)>(StringComparer.OrdinalIgnoreCase);
        foreach (var section in document.Sections)
        {
            var prefix = KeyOf(section);
            data[prefix] = null;
            locations[prefix] = (document.File, section.Line);
            foreach (var entry in section.Entries)
            {
                var key = prefix + ConfigurationPath.KeyDelimiter + entry.Key;
                data[key] = entry.Value;
                locations[key] = (document.File, entry.Line);
            }
        }
        Data = data;
        _locations = locations;
        _children = null;
    }

    /// <summary>Keys handed out by <see cref="GetChildKeys"/> over this provider's life: the work of walking the tree, which tests bound.</summary>
    public long ChildKeysReturned { get; private set; }

    public override void Set(string key, string? value)
    {
        base.Set(key, value);
        _children = null;
    }

    /// <summary>
    /// What <see cref="ConfigurationProvider.GetChildKeys"/> returns (for each key under
    /// <paramref name="parentPath"/>, its next segment, duplicates included, plus
    /// <paramref name="earlierKeys"/>, sorted with <see cref="ConfigurationKeyComparer.Instance"/>), without scanning every key.
    /// </summary>
    public override IEnumerable<string> GetChildKeys(IEnumerable<string> earlierKeys, string? parentPath)
    {
        _children ??= IndexChildren(Data);
        var (below, top) = _children.Value;
        var own = parentPath is null ? top : below.GetValueOrDefault(parentPath) ?? [];
        var results = new List<string>(own);
        // The index lists are already sorted, in the order a sort of the keys in Data's order gives;
        // only keys of earlier providers need sorting in.
        if (earlierKeys.Any())
        {
            results.AddRange(earlierKeys);
            results.Sort(ConfigurationKeyComparer.Instance);
        }
        ChildKeysReturned += results.Count;
        return results;
    }

    private static (Dictionary<string, List<string>>, List<string>) IndexChildren(IDictionary<string, string?> data)
    {
        // Case-insensitive like the base class's StartsWith(parentPath, OrdinalIgnoreCase).
        var index = new Dictionary<string, List<string>>(StringComparer.OrdinalIgnoreCase);
        var parents = index.GetAlternateLookup<ReadOnlySpan<char>>();
        // One string per distinct segment ("real_server" heads 50,000 keys of a large file), and no
        // string per parent path looked up: allocation was most of the cost of a large file.
        var segments = new HashSet<string>(StringComparer.Ordinal);
        var pool = segments.GetAlternateLookup<ReadOnlySpan<char>>();
        var top = new List<string>(data.Count);
        string Segment(string key, int start)
        {
            var end = key.IndexOf(ConfigurationPath.KeyDelimiter, start, StringComparison.Ordinal);
            var span = end < 0 ? key.AsSpan(start) : key.AsSpan(start, end - start);
            if (pool.TryGetValue(span, out var known)) return known;
            var segment = span.ToString();
            segments.Add(segment);
            return segment;
        }
        foreach (var key in data.Keys)
        {
            top.Add(Segment(key, 0));
            for (var at = key.IndexOf(ConfigurationPath.KeyDelimiter, StringComparison.Ordinal); at >= 0;
                 at = key.IndexOf(ConfigurationPath.KeyDelimiter, at + 1, StringComparison.Ordinal))
            {
                if (!parents.TryGetValue(key.AsSpan(0, at), out var list)) index[key[..at]] = list = [];
                list.Add(Segment(key, at + 1));
            }
        }
        top.Sort(ConfigurationKeyComparer.Instance);
        foreach (var list in index.Values) list.Sort(ConfigurationKeyComparer.Instance);
        return (index, top);
    }

    /// <summary>The configuration key of a section: <c>global</c> or <c>vrrp_instance:VI_1</c>.</summary>
    public static string KeyOf(IniSection section) =>
        section.Name is null ? section.Type : section.Type + ConfigurationPath.KeyDelimiter + section.Name;

    /// <summary>Where a key (or a section key) was written.</summary>
    public bool TryGetLocation(string key, out string file, out int line)
    {
        if (_locations.TryGetValue(key, out var at)) { (file, line) = at; return true; }
        file = ""; line = 0;
        return false;
    }
}

/// <summary>Reads an appliance INI file (or text, for tests) into configuration.</summary>
public sealed class ApplianceIniConfigurationSource : IConfigurationSource
{
    private readonly Func<IniDocument> _read;

    public ApplianceIniConfigurationSource(string path) => _read = () => IniParser.Parse(File.ReadAllBytes(path), path);

    public ApplianceIniConfigurationSource(IniDocument document) => _read = () => document;

    /// <summary>See <see cref="ApplianceIniConfigurationProvider.ThrowOnErrors"/>.</summary>
    public bool ThrowOnErrors { get; init; } = true;

    public IConfigurationProvider Build(IConfigurationBuilder builder) =>
        new ApplianceIniConfigurationProvider(_read) { ThrowOnErrors = ThrowOnErrors };
}

/// <summary>The syntax errors of an INI file, all of them, each as <c>file:line: message</c>.</summary>
public sealed class IniFormatException(IReadOnlyList<ConfigError> errors)
    : FormatException(string.Join('\n', errors))
{
    public IReadOnlyList<ConfigError> Errors { get; } = errors;
}

public static class ApplianceIniConfigurationExtensions
{
    /// <summary>Adds an appliance INI file. Syntax errors throw <see cref="IniFormatException"/> listing every one.</summary>
    public static IConfigurationBuilder AddApplianceIni(this IConfigurationBuilder builder, string path) =>
        builder.Add(new ApplianceIniConfigurationSource(path));

    /// <summary>Adds an already parsed document; its syntax errors are left to the caller (the loader reports them itself).</summary>
    public static IConfigurationBuilder AddApplianceIni(this IConfigurationBuilder builder, IniDocument document) =>
        builder.Add(new ApplianceIniConfigurationSource(document) { ThrowOnErrors = false });

    /// <summary>Where <paramref name="key"/> was written, asking the providers from last added (which wins) to first.</summary>
    public static bool TryGetIniLocation(this IConfigurationRoot root, string key, out string file, out int line)
    {
        foreach (var provider in root.Providers.Reverse())
            if (provider is ApplianceIniConfigurationProvider ini && ini.TryGetLocation(key, out file, out line))
                return true;
        file = ""; line = 0;
        return false;
    }
}
