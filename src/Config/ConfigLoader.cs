using Appliance.Config.Ini;
using Microsoft.Extensions.Configuration;

namespace Appliance.Config;

/// <summary>
/// The outcome of loading a configuration: a model when the file is valid, otherwise every
/// problem found. <see cref="Unreadable"/> means the file could not be read at all (missing,
/// permission, I/O error); <see cref="Errors"/> then holds one error saying why.
/// </summary>
public sealed record ConfigLoadResult(ApplianceConfig? Config, IReadOnlyList<ConfigError> Errors, bool Unreadable)
{
    public bool IsValid => Config is not null;
}

/// <summary>
/// Reads, parses and validates the appliance's INI file. The path goes file → <see cref="IniParser"/>
/// → <see cref="ApplianceIniConfigurationProvider"/> (Microsoft.Extensions.Configuration) →
/// <see cref="ConfigModelBuilder"/>. Used by <c>appliance run</c>, <c>check-config</c> and reload.
/// </summary>
public static class ConfigLoader
{
    /// <summary>Where the daemon looks by default: the FAT boot partition a user edits on any PC.</summary>
    public const string DefaultPath = "/boot/appliance.ini";

    public static ConfigLoadResult Load(string path)
    {
        byte[] bytes;
        if (Directory.Exists(path))
            return new ConfigLoadResult(null, [new ConfigError(path, 0, "cannot read the configuration: it is a directory")], true);
        try
        {
            using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1, FileOptions.None);
            if (stream.Length > IniParser.MaxFileBytes)
                return new ConfigLoadResult(null, [new ConfigError(path, 1, $"file is {stream.Length} bytes; a configuration larger than {IniParser.MaxFileBytes} bytes is refused")], false);
            bytes = new byte[stream.Length];
            stream.ReadExactly(bytes);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or NotSupportedException or ArgumentException)
        {
            return new ConfigLoadResult(null, [new ConfigError(path, 0, $"cannot read the configuration: {Describe(e)}")], true);
        }
        return FromDocument(IniParser.Parse(bytes, path));
    }

    /// <summary>Parses and validates text (tests; a file already read).</summary>
    public static ConfigLoadResult Parse(string text, string fileName) => FromDocument(IniParser.Parse(text, fileName));

    private static ConfigLoadResult FromDocument(IniDocument document)
    {
        var root = new ConfigurationBuilder().AddApplianceIni(document).Build();
        var builder = new ConfigModelBuilder(root, document.File);
        var config = builder.Build();
        var errors = document.Errors.Concat(builder.Errors).OrderBy(e => e.Line).ToList();
        return new ConfigLoadResult(errors.Count == 0 ? config : null, errors, false);
    }

    private static string Describe(Exception e) => e switch
    {
        FileNotFoundException => "no such file",
        DirectoryNotFoundException => "no such directory",
        UnauthorizedAccessException => "permission denied",
        _ => e.Message,
    };
}
