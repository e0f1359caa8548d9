using System.Diagnostics;

namespace Appliance.Tests.Netlink;

/// <summary>
/// Compiles a small C program against the system's kernel headers and returns what it prints
/// ("NAME VALUE" per line): the ground truth the C# constants are compared with.
/// </summary>
internal static class CHeaderCheck
{
    public static Dictionary<string, long> Evaluate(string includes, IEnumerable<string> expressions)
    {
        var dir = Directory.CreateTempSubdirectory("appliance-hcheck-");
        try
        {
            var body = string.Join("\n", expressions.Select(e => $"  printf(\"%s %lld\\n\", \"{e.Replace("\"", "\\\"")}\", (long long)({e}));"));
            var source = Path.Combine(dir.FullName, "check.c");
            File.WriteAllText(source, $"#include <stdio.h>\n#include <stddef.h>\n{includes}\nint main(void) {{\n{body}\n  return 0;\n}}\n");
            var exe = Path.Combine(dir.FullName, "check");
            Run("gcc", $"-Wall -Werror -o {exe} {source}");
            var output = Run(exe, "");
            return output.Split('\n', StringSplitOptions.RemoveEmptyEntries)
                .Select(l => new[] { l[..l.LastIndexOf(' ')], l[(l.LastIndexOf(' ') + 1)..] })
                .ToDictionary(p => p[0], p => long.Parse(p[1]));
        }
        finally
        {
            dir.Delete(true);
        }
    }

    private static string Run(string file, string args)
    {
        var psi = new ProcessStartInfo(file, args) { RedirectStandardOutput = true, RedirectStandardError = true };
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEnd();
        var stderr = p.StandardError.ReadToEnd();
        if (!p.WaitForExit(60_000)) throw new TimeoutException($"{file} did not finish in 60 s");
        if (p.ExitCode != 0) throw new InvalidOperationException($"{file} {args} failed ({p.ExitCode}): {stderr}");
        return stdout;
    }
}
