using System.Diagnostics;
using System.Text.RegularExpressions;
using Appliance.Cli;
using Xunit;

namespace Appliance.Tests.Config;

public sealed class CheckConfigVerbTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("appliance-check-config-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    /// <summary>Five different mistakes (lines 5, 9, 10, 16, 19): an interface name too long for Linux, a misspelt key,
    /// a value finer than its resolution, an unknown scheduler, a reference to a virtual server that does not exist.</summary>
    internal static string FiveMistakes => File.ReadAllText(Path.Combine(DocsTests.RepoRoot, "tests", "Appliance.Tests", "Config", "examples", "five-mistakes.ini"));

    private static readonly Regex FileLine = new(@"^(?<file>.+\.ini):(?<line>\d+): (?<message>.+)$");

    private string Write(string name, string text)
    {
        var path = Path.Combine(_dir, name);
        File.WriteAllText(path, text);
        return path;
    }

    private static (int Code, string Out, string Err) Invoke(params string[] args)
    {
        var o = new StringWriter();
        var e = new StringWriter();
        var code = CommandLine.Run(args, new VerbContext(o, e));
        return (code, o.ToString(), e.ToString());
    }

    private static void AssertFiveErrors(string path, int code, string stdout, string stderr)
    {
        Assert.Equal(1, code);
        Assert.Equal("", stdout);
        var lines = stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        var errors = lines.Select(l => FileLine.Match(l)).Where(m => m.Success).ToList();
        Assert.True(errors.Count == 5, "expected five file:line errors, got:\n" + stderr);
        Assert.All(errors, m => Assert.Equal(path, m.Groups["file"].Value));
        Assert.Equal([5, 9, 10, 16, 19], errors.Select(m => int.Parse(m.Groups["line"].Value)));
        Assert.Contains("'eth1-heartbeat-link' is 19 characters; Linux allows at most 15", errors[0].Groups["message"].Value);
        Assert.Contains("did you mean 'priority'?", errors[1].Groups["message"].Value);
        Assert.Contains("advert_int: 0.015 is finer", errors[2].Groups["message"].Value);
        Assert.Contains("lb_algo: 'rrr' is not one of", errors[3].Groups["message"].Value);
        Assert.Contains("there is no [virtual_server webb]; did you mean 'web'?", errors[4].Groups["message"].Value);
        Assert.Contains($"{path}: 5 errors; configuration not valid", stderr);
    }

    [Fact]
    public void Five_mistakes_give_five_file_line_errors_and_exit_1()
    {
        var path = Write("bad.ini", FiveMistakes);
        var (code, o, e) = Invoke("check-config", path);
        AssertFiveErrors(path, code, o, e);
    }

    [Fact]
    public void Factory_default_is_valid_and_prints_the_summary()
    {
        var (code, o, e) = Invoke("check-config", DocsTests.FactoryPath);
        Assert.True(code == 0, e);
        Assert.Equal("", e);
        Assert.Contains("vrrp_instance VI_1", o);
        Assert.Contains("virtual_server web: TCP 192.0.2.10:80", o);
        Assert.EndsWith("configuration valid\n", o);
    }

    [Fact]
    public void Unreadable_file_exits_2_with_a_clear_message()
    {
        var missing = Path.Combine(_dir, "nope.ini");
        var (code, o, e) = Invoke("check-config", missing);
        Assert.Equal(2, code);
        Assert.Equal("", o);
        Assert.Equal($"{missing}: cannot read the configuration: no such file\n", e);

        (code, _, e) = Invoke("check-config", _dir);
        Assert.Equal(2, code);
        Assert.Equal($"{_dir}: cannot read the configuration: it is a directory\n", e);
    }

    [Fact]
    public void Bad_usage_is_a_usage_error()
    {
        Assert.Equal(CommandLine.UsageError, Invoke("check-config", "a.ini", "b.ini").Code);
        Assert.Equal(CommandLine.UsageError, Invoke("check-config", "--bogus").Code);
    }

    [Fact]
    public void Crlf_and_bom_file_from_a_windows_editor_is_valid()
    {
        var text = File.ReadAllText(DocsTests.FactoryPath).Replace("\n", "\r\n");
        var path = Path.Combine(_dir, "windows.ini");
        File.WriteAllText(path, text, new System.Text.UTF8Encoding(encoderShouldEmitUTF8Identifier: true));
        Assert.Equal(0, Invoke("check-config", path).Code);
    }

    /// <summary>The same acceptance check against the published NativeAOT binary (make; APPLIANCE_BIN=out/bin/appliance).</summary>
    [PublishedBinaryFact]
    [Trait("Category", "Host")]
    public void Published_binary_reports_five_errors_and_validates_the_factory_default()
    {
        var bin = Environment.GetEnvironmentVariable("APPLIANCE_BIN")!;
        Assert.True(File.Exists(bin), $"APPLIANCE_BIN={bin} does not exist");
        var path = Write("bad.ini", FiveMistakes);
        var (code, o, e) = Run(bin, "check-config", path);
        AssertFiveErrors(path, code, o, e);

        (code, o, e) = Run(bin, "check-config", DocsTests.FactoryPath);
        Assert.True(code == 0, e);
        Assert.Contains("configuration valid", o);

        (code, _, e) = Run(bin, "check-config", Path.Combine(_dir, "missing.ini"));
        Assert.Equal(2, code);
        Assert.Contains("cannot read the configuration: no such file", e);
    }

    private static (int Code, string Out, string Err) Run(string bin, params string[] args)
    {
        var psi = new ProcessStartInfo(bin) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        Assert.True(p.WaitForExit(TimeSpan.FromSeconds(30)), $"{bin} {string.Join(' ', args)} did not exit within 30 s");
        return (p.ExitCode, stdout.Result, stderr.Result);
    }
}

/// <summary>A fact that needs the published binary; reported as skipped (not passed) when APPLIANCE_BIN is unset.</summary>
public sealed class PublishedBinaryFactAttribute : FactAttribute
{
    public PublishedBinaryFactAttribute()
    {
        if (string.IsNullOrEmpty(Environment.GetEnvironmentVariable("APPLIANCE_BIN")))
            Skip = "APPLIANCE_BIN is not set: build with 'make' and run through 'make test'";
    }
}
