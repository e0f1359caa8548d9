using Appliance.Config;
using Xunit;

namespace Appliance.Tests.Config;

/// <summary>A small valid configuration that tests bend one line at a time.</summary>
internal static class ConfigText
{
    public const string Valid = """
        [global]
        node_name = director-a
        node_id = 1
        public_interface = eth0
        heartbeat_interface = eth1

        [vrrp_instance VI_1]
        virtual_router_id = 51
        priority = 150
        advert_int = 1
        virtual_ipaddress = 192.0.2.10/24, 198.51.100.1/24 dev eth0

        [virtual_server web]
        address = 192.0.2.10
        port = 80
        check = HTTP_GET
        url_path = /healthz

        [real_server web1]
        virtual_server = web
        address = 198.51.100.11

        [real_server web2]
        virtual_server = web
        address = 198.51.100.12
        port = 80

        [serial_heartbeat]
        key = 0123456789abcdef0123

        """;

    /// <summary>The 1-based number of the first line starting with <paramref name="fragment"/>.</summary>
    public static int LineOf(string text, string fragment)
    {
        var lines = text.Split('\n');
        for (var i = 0; i < lines.Length; i++)
            if (lines[i].StartsWith(fragment, StringComparison.Ordinal)) return i + 1;
        throw new ArgumentException($"'{fragment}' not in the text");
    }

    /// <summary>The 1-based number of the last line starting with <paramref name="fragment"/>.</summary>
    public static int LastLineOf(string text, string fragment)
    {
        var lines = text.Split('\n');
        for (var i = lines.Length - 1; i >= 0; i--)
            if (lines[i].StartsWith(fragment, StringComparison.Ordinal)) return i + 1;
        throw new ArgumentException($"'{fragment}' not in the text");
    }

    public static ConfigLoadResult Load(string text) => ConfigLoader.Parse(text, "t.ini");

    public static ApplianceConfig Valid_(string text)
    {
        var r = Load(text);
        Assert.True(r.Errors.Count == 0, "expected no errors, got:\n" + string.Join("\n", r.Errors));
        return r.Config!;
    }

    /// <summary>Asserts exactly one error, at the line holding <paramref name="at"/>, containing <paramref name="message"/>.</summary>
    public static ConfigError OneError(string text, string at, string message)
    {
        var r = Load(text);
        Assert.Null(r.Config);
        Assert.False(r.Unreadable);
        Assert.True(r.Errors.Count == 1, $"expected one error containing '{message}', got:\n" + string.Join("\n", r.Errors));
        var e = r.Errors[0];
        Assert.Equal("t.ini", e.File);
        Assert.Equal(LineOf(text, at), e.Line);
        Assert.Contains(message, e.Message);
        return e;
    }

    /// <summary>Adds lines right after a section's header.</summary>
    public static string With(string header, params string[] lines) =>
        Valid.Replace(header + "\n", header + "\n" + string.Join("\n", lines) + "\n");

    public static string Swap(string line, string replacement)
    {
        Assert.Contains(line, Valid);
        return Valid.Replace(line, replacement);
    }
}
