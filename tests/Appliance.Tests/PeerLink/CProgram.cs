using System.Diagnostics;

namespace Appliance.Tests.PeerLink;

/// <summary>
/// Compiles and runs a small C program that prints "name value" lines (sizeof, offsetof,
/// constants from the real headers) so the C# declarations can be compared with them.
/// TO MOVE: the interop branch builds the shared harness; this copy serves the peerlink,
/// arbiter and watchdog declarations until it lands.
/// </summary>
internal static class CProgram
{
    public static Dictionary<string, long> Run(string includes, IEnumerable<(string Name, string Expression)> values)
    {
        var dir = Directory.CreateTempSubdirectory("appliance-cprog-");
        try
        {
            var src = Path.Combine(dir.FullName, "check.c");
            var body = string.Join("\n", values.Select(v => $"    printf(\"%s %lld\\n\", \"{v.Name}\", (long long)({v.Expression}));"));
            File.WriteAllText(src, $"#include <stdio.h>\n#include <stddef.h>\n{includes}\nint main(void) {{\n{body}\n    return 0;\n}}\n");
            var exe = Path.Combine(dir.FullName, "check");
            Exec("gcc", $"-Wall -Werror -o {exe} {src}");
            return Exec(exe, "").Split('\n', StringSplitOptions.RemoveEmptyEntries)
                .Select(l => l.Split(' ')).ToDictionary(p => p[0], p => long.Parse(p[1]));
        }
        finally { dir.Delete(true); }
    }

    private static string Exec(string file, string args)
    {
        var p = Process.Start(new ProcessStartInfo(file, args) { RedirectStandardOutput = true, RedirectStandardError = true })!;
        var o = p.StandardOutput.ReadToEndAsync();
        var e = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(60_000)) { p.Kill(); throw new TimeoutException($"{file} did not finish in 60 s"); }
        if (p.ExitCode != 0) throw new InvalidOperationException($"{file} {args} failed ({p.ExitCode}): {e.Result}");
        return o.Result;
    }
}
