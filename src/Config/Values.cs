using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace Appliance.Config;

/// <summary>
/// Strict parsers for INI values. Each returns false with a reason instead of guessing: no
/// clamping, no rounding, no truncation, no octal or shortened IPv4 forms.
/// </summary>
internal static class Values
{
    /// <summary>Linux IFNAMSIZ is 16 including the terminating NUL (include/uapi/linux/if.h).</summary>
    public const int MaxInterfaceName = 15;

    public static bool TryBool(string s, out bool value, out string problem)
    {
        problem = "";
        switch (s.ToLowerInvariant())
        {
            case "yes" or "true" or "on" or "1": value = true; return true;
            case "no" or "false" or "off" or "0": value = false; return true;
            default:
                value = false;
                problem = $"'{s}' is not yes or no (also accepted: true/false, on/off, 1/0)";
                return false;
        }
    }

    public static bool TryInt(string s, long min, long max, out long value, out string problem)
    {
        problem = "";
        if (s.Length == 0 || s.Length > 19 || !s.All(char.IsAsciiDigit) || !long.TryParse(s, NumberStyles.None, CultureInfo.InvariantCulture, out value))
        {
            value = 0;
            problem = s.StartsWith('-') && s.Length > 1 && s[1..].All(char.IsAsciiDigit)
                ? $"{s} is out of range {min}-{max}"
                : $"'{s}' is not a whole number";
            return false;
        }
        if (value < min || value > max)
        {
            problem = $"{s} is out of range {min}-{max}";
            return false;
        }
        return true;
    }

    /// <summary>
    /// A duration: a decimal number with an optional unit <c>ms</c> or <c>s</c>; without a unit the
    /// key's own unit applies. A value finer than <paramref name="resolution"/> is refused rather
    /// than rounded (advert_int 0.015 cannot be sent in centiseconds).
    /// </summary>
    public static bool TryDuration(string s, TimeSpan unit, TimeSpan resolution, TimeSpan min, TimeSpan max, out TimeSpan value, out string problem)
    {
        value = TimeSpan.Zero; problem = "";
        var text = s.Trim();
        var scale = unit;
        if (text.EndsWith("ms", StringComparison.OrdinalIgnoreCase)) { scale = TimeSpan.FromMilliseconds(1); text = text[..^2].TrimEnd(); }
        else if (text.EndsWith('s') || text.EndsWith('S')) { scale = TimeSpan.FromSeconds(1); text = text[..^1].TrimEnd(); }
        if (text.Length == 0 || text.Length > 18 || text[0] == '.' || text[^1] == '.' || text.Count(c => c == '.') > 1 || !text.All(c => char.IsAsciiDigit(c) || c == '.')
            || !decimal.TryParse(text, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var number))
        {
            problem = $"'{s}' is not a duration (a number, optionally followed by ms or s)";
            return false;
        }
        var ticks = number * scale.Ticks;
        if (ticks > TimeSpan.MaxValue.Ticks)
        {
            problem = $"{s} is out of range {Format(min)}-{Format(max)}";
            return false;
        }
        if (ticks % resolution.Ticks != 0)
        {
            problem = $"{s} is finer than this setting's resolution of {Format(resolution)}; it would be rounded";
            return false;
        }
        value = TimeSpan.FromTicks((long)ticks);
        if (value < min || value > max)
        {
            problem = $"{s} is out of range {Format(min)}-{Format(max)}";
            return false;
        }
        return true;
    }

    /// <summary>A duration as the documentation writes it: 100ms, 1s, 2.5s.</summary>
    public static string Format(TimeSpan t) =>
        t.Ticks % TimeSpan.TicksPerSecond == 0 ? $"{t.Ticks / TimeSpan.TicksPerSecond}s"
        : t.Ticks % TimeSpan.TicksPerMillisecond == 0 && t < TimeSpan.FromSeconds(1) ? $"{t.Ticks / TimeSpan.TicksPerMillisecond}ms"
        : $"{((decimal)t.Ticks / TimeSpan.TicksPerSecond).ToString(CultureInfo.InvariantCulture)}s";

    /// <summary>
    /// An IPv4 address in four-part dotted decimal (no "10.1", no octal "010.0.0.1" which inet_aton
    /// would read differently) or an IPv6 address without a zone index.
    /// </summary>
    public static bool TryAddress(string s, out IPAddress address, out string problem)
    {
        address = IPAddress.None; problem = "";
        if (s.Contains(':'))
        {
            if (s.Contains('%') || s.Contains('[') || !IPAddress.TryParse(s, out var v6) || v6.AddressFamily != AddressFamily.InterNetworkV6)
            {
                problem = $"'{s}' is not an IPv6 address (write it without brackets or %zone)";
                return false;
            }
            address = v6;
            return true;
        }
        var parts = s.Split('.');
        if (parts.Length != 4 || parts.Any(p => p.Length == 0 || p.Length > 3 || !p.All(char.IsAsciiDigit) || (p.Length > 1 && p[0] == '0') || int.Parse(p, CultureInfo.InvariantCulture) > 255))
        {
            problem = $"'{s}' is not an IPv4 address (four numbers 0-255 separated by dots, no leading zeros) or an IPv6 address";
            return false;
        }
        address = IPAddress.Parse(s);
        return true;
    }

    /// <summary>
    /// A network interface name as the kernel accepts it (dev_valid_name: at most 15 bytes, not "." or
    /// "..", no '/', ':' or blank), restricted further to letters, digits, '.', '_' and '-'.
    /// </summary>
    public static bool TryInterfaceName(string s, out string problem)
    {
        problem = "";
        if (s.Length == 0) { problem = "interface name is empty"; return false; }
        if (s.Length > MaxInterfaceName)
        {
            problem = $"interface name '{s}' is {s.Length} characters; Linux allows at most {MaxInterfaceName}";
            return false;
        }
        if (s is "." or ".." || !s.All(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or '-'))
        {
            problem = $"'{s}' is not a valid interface name (letters, digits, '.', '_' and '-')";
            return false;
        }
        return true;
    }

    /// <summary>Splits a list value at commas; blank items are refused (a stray comma is usually a mistake).</summary>
    public static bool TrySplitList(string s, out List<string> items, out string problem)
    {
        problem = "";
        items = s.Split(',').Select(i => i.Trim(' ', '\t')).ToList();
        if (items.Count == 1 && items[0].Length == 0) { items.Clear(); return true; }
        if (items.Any(i => i.Length == 0))
        {
            problem = "empty item in the list (two commas in a row, or a comma at the start or end)";
            return false;
        }
        return true;
    }

    public static int MaxPrefix(AddressFamily family) => family == AddressFamily.InterNetworkV6 ? 128 : 32;

    public static string FamilyName(AddressFamily family) => family == AddressFamily.InterNetworkV6 ? "IPv6" : "IPv4";

    /// <summary>Absolute path to a command: what notify_* and misc_path run (the first word of the line).</summary>
    public static bool TryCommand(string s, out string problem)
    {
        // Split exactly as the hook runner will (Core.CommandWords), so an unclosed quote is refused here, not at run time.
        if (!Core.CommandWords.TrySplit(s, out var words, out var split))
        {
            problem = $"command line '{s}': {split}";
            return false;
        }
        problem = "";
        var first = words[0];
        if (!first.StartsWith('/'))
        {
            problem = $"command '{first}' must be an absolute path (no shell search path is used)";
            return false;
        }
        return true;
    }
}
