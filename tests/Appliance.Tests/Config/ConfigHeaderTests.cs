using System.Diagnostics;
using Appliance.Config;
using Xunit;

namespace Appliance.Tests.Config;

/// <summary>
/// The limits the configuration takes from C headers, checked against the headers by compiling a
/// small C program (as Tmds.LibC verifies itself): IFNAMSIZ for interface names, and the termios
/// speed constants behind the accepted baud rates.
/// </summary>
public sealed class ConfigHeaderTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("appliance-config-headers-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private Dictionary<string, long> CompileAndRun(string program)
    {
        var source = Path.Combine(_dir, "probe.c");
        var exe = Path.Combine(_dir, "probe");
        File.WriteAllText(source, program);
        Run("gcc", "-Wall", "-Werror", "-o", exe, source);
        return Run(exe).Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(l => l.Split(' '))
            .ToDictionary(p => p[0], p => long.Parse(p[1]));
    }

    private static string Run(string file, params string[] args)
    {
        var psi = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        var o = p.StandardOutput.ReadToEndAsync();
        var e = p.StandardError.ReadToEndAsync();
        Assert.True(p.WaitForExit(TimeSpan.FromSeconds(60)), $"{file} did not finish within 60 s");
        Assert.True(p.ExitCode == 0, $"{file} {string.Join(' ', args)} failed ({p.ExitCode}): {e.Result}");
        return o.Result;
    }

    [Fact]
    public void Interface_name_limit_is_ifnamsiz_minus_the_nul()
    {
        var values = CompileAndRun("""
            #include <stdio.h>
            #include <net/if.h>
            int main(void) { printf("IFNAMSIZ %d\n", IFNAMSIZ); return 0; }
            """);
        Assert.Equal(Values.MaxInterfaceName, values["IFNAMSIZ"] - 1);
    }

    [Fact]
    public void Every_accepted_baud_rate_is_a_termios_speed()
    {
        // Each B<rate> must exist; a rate the header lacks fails to compile, naming it.
        var lines = string.Join("\n", ConfigModelBuilder.BaudRates.Select(r => $"    printf(\"B{r} %lu\\n\", (unsigned long)B{r});"));
        var values = CompileAndRun($$"""
            #include <stdio.h>
            #include <termios.h>
            int main(void) {
            {{lines}}
                return 0;
            }
            """);
        Assert.Equal(ConfigModelBuilder.BaudRates.Length, values.Count);
        // The constants are distinct codes (not the rates themselves): the serial code maps rate -> B constant.
        Assert.Equal(values.Count, values.Values.Distinct().Count());
    }
}
