using System.Text;
using System.Text.Unicode;

namespace Appliance.Config.Ini;

/// <summary>
/// The appliance's INI dialect (docs/configuration.md, "Grammar"). The file lives on a FAT boot
/// partition edited on any PC, so the reader tolerates what editors produce (a UTF-8 byte-order
/// mark, CRLF or CR line ends, tabs) and refuses what would be guessed at (other encodings,
/// repeated keys or sections, text after a closing quote). It never stops at the first problem:
/// every error is collected with its line and parsing resumes on the next line.
/// </summary>
public static class IniParser
{
    /// <summary>Largest file accepted; a real configuration is a few kilobytes.</summary>
    public const int MaxFileBytes = 1 << 20;

    /// <summary>Longest section name (<c>[virtual_server NAME]</c>); longer names are refused, never cut.</summary>
    public const int MaxSectionNameLength = 64;

    /// <summary>Parses raw file bytes: checks the encoding, strips a UTF-8 byte-order mark, then parses.</summary>
    public static IniDocument Parse(ReadOnlySpan<byte> bytes, string file)
    {
        if (bytes.Length > MaxFileBytes)
            return new IniDocument(file, [], [new ConfigError(file, 1, $"file is {bytes.Length} bytes; a configuration larger than {MaxFileBytes} bytes is refused")]);
        if (bytes.StartsWith((ReadOnlySpan<byte>)[0xFF, 0xFE]) || bytes.StartsWith((ReadOnlySpan<byte>)[0xFE, 0xFF]))
            return new IniDocument(file, [], [new ConfigError(file, 1, "file is UTF-16 encoded; save it as UTF-8 (\"UTF-8\" or \"UTF-8 with BOM\" in the editor's encoding menu)")]);

        var errors = new List<ConfigError>();
        if (!Utf8.IsValid(bytes))
        {
            // Name each bad line rather than the whole file: a Latin-1 'é' in one comment is one fix.
            int line = 1, start = 0;
            for (var i = 0; i <= bytes.Length; i++)
            {
                if (i < bytes.Length && bytes[i] != (byte)'\n') continue;
                if (!Utf8.IsValid(bytes[start..i]))
                    errors.Add(new ConfigError(file, line, "line is not valid UTF-8; save the file as UTF-8"));
                line++;
                start = i + 1;
            }
        }
        // Invalid sequences become U+FFFD; the lines holding them are already reported above.
        var text = Encoding.UTF8.GetString(bytes);
        return Parse(text, file, errors);
    }

    /// <summary>Parses text already decoded (tests, or a caller that read the file itself).</summary>
    public static IniDocument Parse(string text, string file) => Parse(text, file, []);

    private static IniDocument Parse(string text, string file, List<ConfigError> errors)
    {
        var span = text.AsSpan();
        if (span.Length > 0 && span[0] == '\uFEFF') span = span[1..];

        var sections = new List<IniSection>();
        var firstSeen = new Dictionary<string, int>(StringComparer.OrdinalIgnoreCase);
        string? type = null, name = null;
        var sectionLine = 0;
        var duplicate = false;
        List<IniEntry>? entries = null;
        Dictionary<string, int>? keyLines = null;
        var orphanReported = false;

        void Flush()
        {
            if (type is not null && !duplicate) sections.Add(new IniSection(type, name, sectionLine, entries!));
        }

        var lineNumber = 0;
        while (true)
        {
            if (span.IsEmpty && lineNumber > 0) break;
            lineNumber++;
            // CRLF (Windows), LF and lone CR (old editors) all end a line.
            var end = span.IndexOfAny('\r', '\n');
            ReadOnlySpan<char> line;
            if (end < 0) { line = span; span = default; }
            else
            {
                line = span[..end];
                var skip = span[end] == '\r' && end + 1 < span.Length && span[end + 1] == '\n' ? 2 : 1;
                span = span[(end + skip)..];
                if (span.IsEmpty) { /* text ended with a newline: no further line */ }
            }

            var content = line.Trim(" \t");
            if (content.IsEmpty || content[0] is ';' or '#')
            {
                if (span.IsEmpty) break;
                continue;
            }

            if (content[0] == '[')
            {
                Flush();
                type = null; entries = null; keyLines = null; duplicate = false;
                if (TryParseHeader(content, out var t, out var n, out var problem))
                {
                    var id = n is null ? t : $"{t} {n}";
                    if (firstSeen.TryGetValue(id, out var first))
                    {
                        errors.Add(new ConfigError(file, lineNumber, $"duplicate section {Header(t, n)}; it is already defined at {file}:{first}"));
                        duplicate = true;
                    }
                    else firstSeen[id] = lineNumber;
                    type = t; name = n; sectionLine = lineNumber;
                    entries = [];
                    keyLines = new Dictionary<string, int>(StringComparer.Ordinal);
                }
                else
                {
                    errors.Add(new ConfigError(file, lineNumber, problem));
                    // Keys below a broken header would each raise "outside any section": one error is enough.
                    type = null; duplicate = true; orphanReported = true;
                }
                if (span.IsEmpty) break;
                continue;
            }

            if (!TryParseEntry(content, out var key, out var value, out var quoted, out var entryProblem))
            {
                errors.Add(new ConfigError(file, lineNumber, entryProblem));
            }
            else if (type is null)
            {
                if (!orphanReported)
                    errors.Add(new ConfigError(file, lineNumber, $"'{key}' is outside any section; settings go below a header such as [global]"));
                orphanReported = true;
            }
            else if (keyLines!.TryGetValue(key, out var firstLine))
            {
                errors.Add(new ConfigError(file, lineNumber, $"duplicate key '{key}' in {Header(type, name)}; it is already set at {file}:{firstLine}"));
            }
            else
            {
                keyLines[key] = lineNumber;
                entries!.Add(new IniEntry(key, value, lineNumber, quoted));
            }
            if (span.IsEmpty) break;
        }
        Flush();
        errors.Sort((a, b) => a.Line.CompareTo(b.Line));
        return new IniDocument(file, sections, errors);
    }

    private static string Header(string type, string? name) => name is null ? $"[{type}]" : $"[{type} {name}]";

    private static bool TryParseHeader(ReadOnlySpan<char> content, out string type, out string? name, out string problem)
    {
        type = ""; name = null; problem = "";
        var close = content.IndexOf(']');
        if (close < 0) { problem = "section header has no closing ']'"; return false; }
        var rest = content[(close + 1)..].TrimStart(" \t");
        if (!rest.IsEmpty && rest[0] is not (';' or '#'))
        {
            problem = $"unexpected text '{rest}' after the section header";
            return false;
        }
        var inner = content[1..close].Trim(" \t");
        if (inner.IsEmpty) { problem = "empty section header '[]'"; return false; }

        var space = inner.IndexOfAny(' ', '\t');
        var typePart = space < 0 ? inner : inner[..space];
        var namePart = space < 0 ? default : inner[space..].Trim(" \t");
        if (!IsWord(typePart, allowDigitFirst: false, extra: ""))
        {
            problem = $"section type '{typePart}' must be letters, digits and '_' (for example [global] or [vrrp_instance VI_1])";
            return false;
        }
        type = typePart.ToString().ToLowerInvariant();
        if (namePart.IsEmpty) return true;
        if (namePart.IndexOfAny(' ', '\t') >= 0)
        {
            problem = $"section name '{namePart}' contains a space; use letters, digits, '_', '-' or '.'";
            return false;
        }
        if (!IsWord(namePart, allowDigitFirst: true, extra: "-."))
        {
            problem = $"section name '{namePart}' may contain only letters, digits, '_', '-' and '.'";
            return false;
        }
        if (namePart.Length > MaxSectionNameLength)
        {
            problem = $"section name '{namePart}' is {namePart.Length} characters; at most {MaxSectionNameLength} are allowed";
            return false;
        }
        name = namePart.ToString();
        return true;
    }

    private static bool TryParseEntry(ReadOnlySpan<char> content, out string key, out string value, out bool quoted, out string problem)
    {
        key = ""; value = ""; quoted = false; problem = "";
        var eq = content.IndexOf('=');
        if (eq < 0)
        {
            var word = content.ToString();
            problem = IsWord(content, false, "")
                ? $"'{word}' has no value; every setting is written 'key = value' (keepalived's flag keywords become 'key = yes' or 'key = no')"
                : $"expected 'key = value', a [section] header or a comment, found '{word}'";
            return false;
        }
        var keyPart = content[..eq].TrimEnd(" \t");
        if (keyPart.IsEmpty) { problem = "missing key name before '='"; return false; }
        if (!IsWord(keyPart, false, ""))
        {
            problem = $"key '{keyPart}' must start with a letter and contain only letters, digits and '_'";
            return false;
        }
        key = keyPart.ToString().ToLowerInvariant();
        var rest = content[(eq + 1)..].TrimStart(" \t");
        if (!rest.IsEmpty && rest[0] == '"')
        {
            quoted = true;
            return TryParseQuoted(rest, key, out value, out problem);
        }
        // A ';' or '#' starts a comment only at the value's start or after a blank, so that
        // url_path = /a#b stays intact; quote a value to keep " ;" or " #" in it.
        var cut = rest.Length;
        for (var i = 0; i < rest.Length; i++)
        {
            if (rest[i] is ';' or '#' && (i == 0 || rest[i - 1] is ' ' or '\t')) { cut = i; break; }
        }
        var raw = rest[..cut].TrimEnd(" \t");
        foreach (var c in raw)
        {
            if (char.IsControl(c) && c != '\t')
            {
                problem = $"value of '{key}' contains control character U+{(int)c:X4}";
                return false;
            }
        }
        value = raw.ToString();
        return true;
    }

    private static bool TryParseQuoted(ReadOnlySpan<char> rest, string key, out string value, out string problem)
    {
        value = ""; problem = "";
        var sb = new StringBuilder(rest.Length);
        var i = 1;
        for (; i < rest.Length; i++)
        {
            var c = rest[i];
            if (c == '"') break;
            if (c == '\\')
            {
                if (i + 1 >= rest.Length) break;
                var e = rest[++i];
                switch (e)
                {
                    case '"': sb.Append('"'); break;
                    case '\\': sb.Append('\\'); break;
                    case 'n': sb.Append('\n'); break;
                    case 't': sb.Append('\t'); break;
                    default:
                        problem = $"value of '{key}': unknown escape '\\{e}' in quoted string (known: \\\" \\\\ \\n \\t)";
                        return false;
                }
                continue;
            }
            if (char.IsControl(c) && c != '\t')
            {
                problem = $"value of '{key}' contains control character U+{(int)c:X4}";
                return false;
            }
            sb.Append(c);
        }
        if (i >= rest.Length)
        {
            problem = $"value of '{key}': quoted string has no closing '\"'";
            return false;
        }
        var after = rest[(i + 1)..].TrimStart(" \t");
        if (!after.IsEmpty && after[0] is not (';' or '#'))
        {
            problem = $"value of '{key}': unexpected text '{after}' after the closing quote";
            return false;
        }
        value = sb.ToString();
        return true;
    }

    private static bool IsWord(ReadOnlySpan<char> s, bool allowDigitFirst, string extra)
    {
        if (s.IsEmpty) return false;
        if (!(char.IsAsciiLetter(s[0]) || s[0] == '_' || (allowDigitFirst && char.IsAsciiDigit(s[0])))) return false;
        foreach (var c in s)
            if (!(char.IsAsciiLetterOrDigit(c) || c == '_' || extra.Contains(c))) return false;
        return true;
    }
}
