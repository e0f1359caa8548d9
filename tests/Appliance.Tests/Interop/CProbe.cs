using System.Diagnostics;
using System.Globalization;
using System.Text;

namespace Appliance.Tests.Interop;

/// <summary>
/// Compiles the checks of a <see cref="CLayoutTable"/> into a C program (one translation unit per
/// header group), runs it and compares what C prints with what C# declares — the way Tmds.LibC
/// verifies its bindings. Any test folder can use it for its own native declarations.
/// </summary>
public static class CProbe
{
    /// <summary>The C compiler: $CC, else gcc, else clang.</summary>
    public static string Compiler =>
        Environment.GetEnvironmentVariable("CC") is { Length: > 0 } cc ? cc
        : File.Exists("/usr/bin/gcc") ? "gcc" : "clang";

    /// <summary>Generates the translation unit of one group: one printf per check, "name\tvalue".</summary>
    public static string Source(CGroup group, IEnumerable<CCheck> checks, int unit)
    {
        var c = new StringBuilder();
        c.AppendLine("#define _GNU_SOURCE");
        c.AppendLine("#include <stdio.h>");
        c.AppendLine("#include <stddef.h>");
        foreach (var h in group.Headers) c.AppendLine($"#include <{h}>");
        c.AppendLine($"void probe_{unit}(void)\n{{");
        foreach (var check in checks.Where(x => x.Group == group.Name))
            c.AppendLine($"    printf(\"%s\\t%lld\\n\", \"{check.Name.Replace("\\", "\\\\").Replace("\"", "\\\"")}\", (long long)({check.CExpression}));");
        c.AppendLine("}");
        return c.ToString();
    }

    /// <summary>Compiles and runs the probe; returns the value C gives for each check's name.</summary>
    public static IReadOnlyDictionary<string, long> Run(IReadOnlyList<CGroup> groups, IReadOnlyList<CCheck> checks)
    {
        // The directory is kept when compiling fails, so the generated C can be read.
        var dir = Directory.CreateTempSubdirectory("appliance-cprobe-");
        var sources = new List<string>();
        var main = new StringBuilder();
        for (int i = 0; i < groups.Count; i++)
        {
            var path = Path.Combine(dir.FullName, $"unit{i}.c");
            File.WriteAllText(path, Source(groups[i], checks, i));
            sources.Add(path);
            main.AppendLine($"void probe_{i}(void);");
        }
        main.AppendLine("int main(void)\n{");
        for (int i = 0; i < groups.Count; i++) main.AppendLine($"    probe_{i}();");
        main.AppendLine("    return 0;\n}");
        var mainPath = Path.Combine(dir.FullName, "main.c");
        File.WriteAllText(mainPath, main.ToString());
        sources.Add(mainPath);

        var exe = Path.Combine(dir.FullName, "probe");
        var (code, _, err) = Exec(Compiler, ["-std=gnu11", "-Wall", "-Werror", "-o", exe, .. sources]);
        if (code != 0)
            throw new InvalidOperationException(
                $"compiling the layout probe with {Compiler} failed (a C name in the table does not exist in the headers?):\n{err}\nsources kept in {dir.FullName}");

        var (runCode, output, runErr) = Exec(exe, []);
        if (runCode != 0) throw new InvalidOperationException($"running the layout probe failed with exit {runCode}: {runErr}");

        var values = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (var line in output.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            var tab = line.LastIndexOf('\t');
            values[line[..tab]] = long.Parse(line[(tab + 1)..], CultureInfo.InvariantCulture);
        }
        dir.Delete(recursive: true);
        return values;
    }

    /// <summary>Every check whose C value differs from the C# one, as a sentence naming it; empty when all agree.</summary>
    public static IReadOnlyList<string> Compare(IEnumerable<CCheck> checks, IReadOnlyDictionary<string, long> cValues)
    {
        var mismatches = new List<string>();
        foreach (var check in checks)
        {
            if (!cValues.TryGetValue(check.Name, out var c))
                mismatches.Add($"{check.Name}: the probe printed no value for `{check.CExpression}`");
            else if (c != check.CSharpValue)
                mismatches.Add($"{check.Name}: C# declares {check.CSharpValue} (0x{check.CSharpValue:X}), the C headers say {c} (0x{c:X}) for `{check.CExpression}` [{check.Group}]");
        }
        return mismatches;
    }

    /// <summary>Runs a process to completion within a bound; returns exit code, stdout, stderr.</summary>
    private static (int Code, string Out, string Err) Exec(string file, IEnumerable<string> args)
    {
        var psi = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi) ?? throw new InvalidOperationException($"could not start {file}");
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(TimeSpan.FromSeconds(60)))
        {
            p.Kill(entireProcessTree: true);
            throw new TimeoutException($"{file} did not finish within 60 s");
        }
        return (p.ExitCode, stdout.Result, stderr.Result);
    }
}
