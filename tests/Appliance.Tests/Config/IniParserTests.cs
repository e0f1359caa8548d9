using System.Text;
using Appliance.Config;
using Appliance.Config.Ini;
using Xunit;

namespace Appliance.Tests.Config;

public class IniParserTests
{
    private static IniDocument Parse(string text) => IniParser.Parse(text, "t.ini");

    private static IniEntry Entry(IniDocument d, string type, string key) =>
        d.Sections.Single(s => s.Type == type).Entries.Single(e => e.Key == key);

    [Fact]
    public void Sections_keys_and_lines_are_recorded()
    {
        var d = Parse("; comment\n[global]\nnode_name = a\n\n[vrrp_instance VI_1]\npriority = 100\n");
        Assert.Empty(d.Errors);
        Assert.Equal(2, d.Sections.Count);
        Assert.Equal(("global", (string?)null, 2), (d.Sections[0].Type, d.Sections[0].Name, d.Sections[0].Line));
        Assert.Equal(("vrrp_instance", "VI_1", 5), (d.Sections[1].Type, d.Sections[1].Name, d.Sections[1].Line));
        Assert.Equal(new IniEntry("node_name", "a", 3, false), Entry(d, "global", "node_name"));
        Assert.Equal(6, Entry(d, "vrrp_instance", "priority").Line);
    }

    [Fact]
    public void Crlf_lone_cr_and_bom_are_tolerated_and_lines_still_count()
    {
        var d = Parse("\uFEFF[global]\r\nnode_name = a\r\n\r\nnode_id = 1\rpublic_interface = eth0\r\n");
        Assert.Empty(d.Errors);
        var e = d.Sections[0].Entries;
        Assert.Equal(["a", "1", "eth0"], e.Select(x => x.Value));
        Assert.Equal([2, 4, 5], e.Select(x => x.Line));
    }

    [Fact]
    public void Utf8_bom_in_bytes_is_stripped()
    {
        var bytes = Encoding.UTF8.GetPreamble().Concat(Encoding.UTF8.GetBytes("[global]\nnode_name = a\n")).ToArray();
        var d = IniParser.Parse(bytes, "t.ini");
        Assert.Empty(d.Errors);
        Assert.Equal("global", d.Sections[0].Type);
    }

    [Fact]
    public void Utf16_file_is_refused_with_advice()
    {
        var bytes = Encoding.Unicode.GetPreamble().Concat(Encoding.Unicode.GetBytes("[global]\n")).ToArray();
        var e = Assert.Single(IniParser.Parse(bytes, "t.ini").Errors);
        Assert.Equal("t.ini:1: file is UTF-16 encoded; save it as UTF-8 (\"UTF-8\" or \"UTF-8 with BOM\" in the editor's encoding menu)", e.ToString());
    }

    [Fact]
    public void Invalid_utf8_is_reported_on_its_own_line()
    {
        var bytes = Encoding.UTF8.GetBytes("[global]\n; caf").Concat(new byte[] { 0xE9 }).Concat(Encoding.UTF8.GetBytes("\nnode_name = a\n")).ToArray();
        var d = IniParser.Parse(bytes, "t.ini");
        var e = Assert.Single(d.Errors);
        Assert.Equal(2, e.Line);
        Assert.Contains("not valid UTF-8", e.Message);
        Assert.Equal("a", Entry(d, "global", "node_name").Value);
    }

    [Theory]
    [InlineData("# hash comment")]
    [InlineData("; semicolon comment")]
    [InlineData("   ; indented comment")]
    [InlineData("\t# tab-indented comment")]
    [InlineData("")]
    [InlineData("   ")]
    public void Full_line_comments_and_blank_lines_are_ignored(string line)
    {
        var d = Parse($"[global]\n{line}\nnode_name = a\n");
        Assert.Empty(d.Errors);
        Assert.Single(d.Sections[0].Entries);
    }

    [Theory]
    [InlineData("k = value ; note", "value")]
    [InlineData("k = value # note", "value")]
    [InlineData("k = value\t# note", "value")]
    [InlineData("k = /a#b", "/a#b")]
    [InlineData("k = a;b", "a;b")]
    [InlineData("k = ; only a comment", "")]
    [InlineData("k =", "")]
    [InlineData("k=v", "v")]
    [InlineData("  k   =   spaced value  ", "spaced value")]
    [InlineData("k = a = b", "a = b")]
    public void Inline_comments_start_only_after_a_blank(string line, string expected)
    {
        var d = Parse($"[s]\n{line}\n");
        Assert.Empty(d.Errors);
        Assert.Equal(expected, Entry(d, "s", "k").Value);
    }

    [Theory]
    [InlineData("k = \"a ; b # c\"", "a ; b # c")]
    [InlineData("k = \"with \\\"quotes\\\"\"", "with \"quotes\"")]
    [InlineData("k = \"back\\\\slash\"", "back\\slash")]
    [InlineData("k = \"tab\\there\"", "tab\there")]
    [InlineData("k = \"line\\nbreak\"", "line\nbreak")]
    [InlineData("k = \"  kept spaces  \"", "  kept spaces  ")]
    [InlineData("k = \"x\" ; comment after quote", "x")]
    [InlineData("k = \"\"", "")]
    public void Quoted_values_decode_escapes(string line, string expected)
    {
        var d = Parse($"[s]\n{line}\n");
        Assert.Empty(d.Errors);
        var e = Entry(d, "s", "k");
        Assert.Equal(expected, e.Value);
        Assert.True(e.Quoted);
    }

    [Theory]
    [InlineData("k = \"open", "t.ini:2: value of 'k': quoted string has no closing '\"'")]
    [InlineData("k = \"a\" b", "t.ini:2: value of 'k': unexpected text 'b' after the closing quote")]
    [InlineData("k = \"bad \\q escape\"", "t.ini:2: value of 'k': unknown escape '\\q' in quoted string (known: \\\" \\\\ \\n \\t)")]
    [InlineData("nopreempt", "t.ini:2: 'nopreempt' has no value; every setting is written 'key = value' (keepalived's flag keywords become 'key = yes' or 'key = no')")]
    [InlineData("virtual_ipaddress {", "t.ini:2: expected 'key = value', a [section] header or a comment, found 'virtual_ipaddress {'")]
    [InlineData("= 5", "t.ini:2: missing key name before '='")]
    [InlineData("1key = 5", "t.ini:2: key '1key' must start with a letter and contain only letters, digits and '_'")]
    [InlineData("my-key = 5", "t.ini:2: key 'my-key' must start with a letter and contain only letters, digits and '_'")]
    [InlineData("k = a\u0001b", "t.ini:2: value of 'k' contains control character U+0001")]
    public void Malformed_entries_are_errors_with_file_and_line(string line, string expected)
    {
        var d = Parse($"[s]\n{line}\n");
        Assert.Equal(expected, Assert.Single(d.Errors).ToString());
    }

    [Theory]
    [InlineData("[global", "section header has no closing ']'")]
    [InlineData("[]", "empty section header '[]'")]
    [InlineData("[global] x", "unexpected text 'x' after the section header")]
    [InlineData("[vrrp_instance VI 1]", "section name 'VI 1' contains a space; use letters, digits, '_', '-' or '.'")]
    [InlineData("[vrrp_instance VI/1]", "section name 'VI/1' may contain only letters, digits, '_', '-' and '.'")]
    [InlineData("[vrrp-instance VI_1]", "section type 'vrrp-instance' must be letters, digits and '_' (for example [global] or [vrrp_instance VI_1])")]
    public void Malformed_headers_are_errors(string header, string message)
    {
        var d = Parse($"{header}\nk = v\n");
        var e = Assert.Single(d.Errors);
        Assert.Equal(1, e.Line);
        Assert.Equal(message, e.Message);
    }

    [Fact]
    public void Overlong_section_name_is_refused_not_cut()
    {
        var name = new string('n', IniParser.MaxSectionNameLength + 1);
        var e = Assert.Single(Parse($"[virtual_server {name}]\n").Errors);
        Assert.Contains($"is {name.Length} characters; at most {IniParser.MaxSectionNameLength}", e.Message);
    }

    [Fact]
    public void Header_with_trailing_comment_and_inner_blanks_is_fine()
    {
        var d = Parse("[  vrrp_instance\tVI_1  ] ; the only one\n");
        Assert.Empty(d.Errors);
        Assert.Equal("VI_1", d.Sections[0].Name);
    }

    [Fact]
    public void Keys_and_section_types_are_case_insensitive_names_keep_case()
    {
        var d = Parse("[VRRP_Instance Vi_1]\nPRIORITY = 100\n");
        Assert.Empty(d.Errors);
        Assert.Equal("vrrp_instance", d.Sections[0].Type);
        Assert.Equal("Vi_1", d.Sections[0].Name);
        Assert.Equal("priority", d.Sections[0].Entries[0].Key);
    }

    [Fact]
    public void Values_keep_their_case()
    {
        Assert.Equal("HTTP_GET", Entry(Parse("[s]\ncheck = HTTP_GET\n"), "s", "check").Value);
    }

    [Fact]
    public void Duplicate_key_cites_both_lines()
    {
        var d = Parse("[vrrp_instance VI_1]\npriority = 100\n\npriority = 150\n");
        var e = Assert.Single(d.Errors);
        Assert.Equal("t.ini:4: duplicate key 'priority' in [vrrp_instance VI_1]; it is already set at t.ini:2", e.ToString());
        Assert.Equal("100", Entry(d, "vrrp_instance", "priority").Value);
    }

    [Fact]
    public void Duplicate_key_differing_only_in_case_is_a_duplicate()
    {
        var e = Assert.Single(Parse("[s]\nPriority = 1\npriority = 2\n").Errors);
        Assert.Equal(3, e.Line);
    }

    [Fact]
    public void Duplicate_section_cites_both_lines_and_is_left_out()
    {
        var d = Parse("[vrrp_instance VI_1]\npriority = 1\n[global]\n[vrrp_instance vi_1]\npriority = 2\n");
        var e = Assert.Single(d.Errors);
        Assert.Equal("t.ini:4: duplicate section [vrrp_instance vi_1]; it is already defined at t.ini:1", e.ToString());
        Assert.Equal(2, d.Sections.Count);
        Assert.Equal("1", Entry(d, "vrrp_instance", "priority").Value);
    }

    [Fact]
    public void Same_name_in_different_section_types_is_not_a_duplicate()
    {
        Assert.Empty(Parse("[virtual_server web]\n[real_server web]\n").Errors);
    }

    [Fact]
    public void Key_before_any_section_is_one_error()
    {
        var d = Parse("node_name = a\nnode_id = 1\n[global]\n");
        var e = Assert.Single(d.Errors);
        Assert.Equal("t.ini:1: 'node_name' is outside any section; settings go below a header such as [global]", e.ToString());
    }

    [Fact]
    public void Every_error_is_collected_not_only_the_first()
    {
        var d = Parse("[s]\nbad line\nk = \"open\n[broken\nk2 = 1\n[s]\n");
        Assert.Equal([2, 3, 4, 6], d.Errors.Select(e => e.Line));
    }

    [Fact]
    public void Long_values_are_kept_whole()
    {
        var value = new string('x', 10_000);
        Assert.Equal(value, Entry(Parse($"[s]\nk = {value}\n"), "s", "k").Value);
    }

    [Fact]
    public void File_larger_than_the_limit_is_refused()
    {
        var e = Assert.Single(IniParser.Parse(new byte[IniParser.MaxFileBytes + 1], "t.ini").Errors);
        Assert.Contains("refused", e.Message);
    }

    [Fact]
    public void Empty_file_parses_to_nothing()
    {
        var d = Parse("");
        Assert.Empty(d.Errors);
        Assert.Empty(d.Sections);
    }

    [Fact]
    public void Last_line_without_newline_is_read()
    {
        Assert.Equal("v", Entry(Parse("[s]\nk = v"), "s", "k").Value);
    }

    [Fact]
    public void Error_tostring_is_file_colon_line_colon_message()
    {
        Assert.Equal("/boot/appliance.ini:7: bad", new ConfigError("/boot/appliance.ini", 7, "bad").ToString());
        Assert.Equal("/boot/appliance.ini: cannot read", new ConfigError("/boot/appliance.ini", 0, "cannot read").ToString());
    }
}
