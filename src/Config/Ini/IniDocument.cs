namespace Appliance.Config.Ini;

/// <summary>
/// One <c>key = value</c> line. <see cref="Key"/> is lower-case (keys are case-insensitive);
/// <see cref="Quoted"/> says the value was written in double quotes (its escapes are already decoded).
/// </summary>
public sealed record IniEntry(string Key, string Value, int Line, bool Quoted);

/// <summary>
/// One <c>[type name]</c> section. <see cref="Type"/> is lower-case; <see cref="Name"/> keeps the case
/// the user wrote but two sections whose names differ only in case are duplicates.
/// </summary>
public sealed class IniSection(string type, string? name, int line, IReadOnlyList<IniEntry> entries)
{
    public string Type { get; } = type;
    public string? Name { get; } = name;
    public int Line { get; } = line;
    public IReadOnlyList<IniEntry> Entries { get; } = entries;

    /// <summary>The header as the user would write it, for messages: <c>[vrrp_instance VI_1]</c>.</summary>
    public string Header => Name is null ? $"[{Type}]" : $"[{Type} {Name}]";

    public override string ToString() => Header;
}

/// <summary>
/// A parsed INI file: its sections in file order and every syntax error found. A section that
/// duplicates an earlier one is reported in <see cref="Errors"/> and left out of
/// <see cref="Sections"/>, so later stages never see two definitions of one thing.
/// </summary>
public sealed class IniDocument(string file, IReadOnlyList<IniSection> sections, IReadOnlyList<ConfigError> errors)
{
    public string File { get; } = file;
    public IReadOnlyList<IniSection> Sections { get; } = sections;
    public IReadOnlyList<ConfigError> Errors { get; } = errors;
}
