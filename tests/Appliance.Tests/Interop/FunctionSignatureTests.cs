using System.Diagnostics;
using System.Reflection;
using System.Runtime.InteropServices;
using System.Text;
using Appliance.Interop;
using Xunit;

namespace Appliance.Tests.Interop;

/// <summary>
/// A function's ABI shape: the return and each parameter as kind and size ("s4" = signed 4-byte
/// integer, "u8" unsigned 8-byte, "p8" pointer, "v0" void). On x86_64 that decides which register
/// carries what, so it is what a LibraryImport declaration must get right.
/// </summary>
public sealed record FunctionShape(string Name, string Return, IReadOnlyList<string> Parameters, bool Variadic = false)
{
    public override string ToString() =>
        $"{Return} {Name}({string.Join(", ", Parameters)}{(Variadic ? ", ..." : "")})";
}

/// <summary>
/// Compares every LibraryImport declaration of <see cref="Libc"/> with the prototype in the C
/// headers. C cannot name a function's parameter types, C++ templates can: a generated C++
/// program deduces them from <c>&amp;socket</c> and prints their kind and size.
/// </summary>
public class FunctionSignatureTests
{
    private static readonly string[] Headers =
    [
        "sys/socket.h", "unistd.h", "fcntl.h", "termios.h", "sys/ioctl.h", "poll.h", "net/if.h", "signal.h", "sys/epoll.h", "sys/eventfd.h",
    ];

    /// <summary>The C# side, by reflection over the declarations.</summary>
    internal static IReadOnlyList<FunctionShape> Declared() =>
        typeof(Libc).GetMethods(BindingFlags.Public | BindingFlags.Static)
            .Select(m => (Method: m, Import: m.GetCustomAttribute<LibraryImportAttribute>()))
            .Where(x => x.Import is not null)
            .Select(x => new FunctionShape(x.Import!.EntryPoint ?? x.Method.Name, Shape(x.Method.ReturnType),
                x.Method.GetParameters().Select(p => Shape(p.ParameterType)).ToList()))
            .ToList();

    private static string Shape(Type t)
    {
        if (t == typeof(void)) return "v0";
        if (t.IsPointer || t.IsByRef || t == typeof(string)) return "p8";
        return Type.GetTypeCode(t) switch
        {
            TypeCode.SByte => "s1", TypeCode.Byte => "u1",
            TypeCode.Int16 => "s2", TypeCode.UInt16 => "u2",
            TypeCode.Int32 => "s4", TypeCode.UInt32 => "u4",
            TypeCode.Int64 => "s8", TypeCode.UInt64 => "u8",
            _ when t == typeof(nint) => "s8",
            _ when t == typeof(nuint) => "u8",
            _ => $"?{t.Name}",
        };
    }

    /// <summary>The C side: compiles and runs the C++ probe for these functions.</summary>
    internal static IReadOnlyDictionary<string, FunctionShape> Probe(IEnumerable<string> functions)
    {
        var cpp = new StringBuilder();
        foreach (var h in Headers) cpp.AppendLine($"#include <{h}>");
        cpp.AppendLine("""
            #include <cstdio>
            #include <type_traits>
            template<class T> struct K {
                static char kind() { return std::is_pointer<T>::value ? 'p' : std::is_integral<T>::value ? (std::is_signed<T>::value ? 's' : 'u') : '?'; }
                static unsigned size() { return sizeof(T); }
            };
            template<> struct K<void> { static char kind() { return 'v'; } static unsigned size() { return 0; } };
            template<class T> void param(const char* f, const char* slot) { std::printf("%s\t%s\t%c%u\n", f, slot, K<T>::kind(), K<T>::size()); }
            template<class R, class... A> void sig(const char* f, R (*)(A...)) {
                param<R>(f, "return"); (param<A>(f, "param"), ...); std::printf("%s\tvariadic\t0\n", f);
            }
            template<class R, class... A> void sig(const char* f, R (*)(A..., ...)) {
                param<R>(f, "return"); (param<A>(f, "param"), ...); std::printf("%s\tvariadic\t1\n", f);
            }
            int main() {
            """);
        foreach (var f in functions.Distinct()) cpp.AppendLine($"    sig(\"{f}\", &{f});");
        cpp.AppendLine("    return 0;\n}");

        var dir = Directory.CreateTempSubdirectory("appliance-sigprobe-");
        var src = Path.Combine(dir.FullName, "probe.cpp");
        var exe = Path.Combine(dir.FullName, "probe");
        File.WriteAllText(src, cpp.ToString());
        var cxx = File.Exists("/usr/bin/g++") ? "g++" : "clang++";
        var (code, _, err) = Exec(cxx, ["-std=c++17", "-Wall", "-Werror", "-o", exe, src]);
        if (code != 0) throw new InvalidOperationException($"compiling the signature probe with {cxx} failed:\n{err}\nsource kept in {src}");
        var (run, output, runErr) = Exec(exe, []);
        if (run != 0) throw new InvalidOperationException($"the signature probe failed: {runErr}");
        dir.Delete(recursive: true);

        var shapes = new Dictionary<string, FunctionShape>();
        foreach (var group in output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.Split('\t')).GroupBy(p => p[0]))
        {
            var rows = group.ToList();
            shapes[group.Key] = new FunctionShape(group.Key, rows.Single(r => r[1] == "return")[2],
                rows.Where(r => r[1] == "param").Select(r => r[2]).ToList(), rows.Single(r => r[1] == "variadic")[2] == "1");
        }
        return shapes;
    }

    /// <summary>
    /// Differences, one sentence each. A variadic C function (open, ioctl) may be declared with
    /// one extra integer or pointer argument: that is how the x86_64 ABI passes it.
    /// </summary>
    internal static IReadOnlyList<string> Compare(IEnumerable<FunctionShape> declared, IReadOnlyDictionary<string, FunctionShape> c)
    {
        var problems = new List<string>();
        foreach (var d in declared)
        {
            if (!c.TryGetValue(d.Name, out var h)) { problems.Add($"{d.Name}: not probed"); continue; }
            var fixedMatch = d.Parameters.Count == h.Parameters.Count
                || (h.Variadic && d.Parameters.Count == h.Parameters.Count + 1 && d.Parameters[^1] is "s4" or "u4" or "s8" or "u8" or "p8");
            if (d.Return != h.Return || !fixedMatch || !d.Parameters.Take(h.Parameters.Count).SequenceEqual(h.Parameters))
                problems.Add($"{d.Name}: C# declares {d}, the C header says {h}");
        }
        return problems;
    }

    [Fact]
    public void Every_LibraryImport_matches_its_C_prototype()
    {
        var declared = Declared();
        Assert.True(declared.Count >= 23, $"only {declared.Count} LibraryImport declarations found");
        var c = Probe(declared.Select(d => d.Name));

        var problems = Compare(declared, c);

        Assert.True(problems.Count == 0, string.Join('\n', problems));
        Assert.True(c["open"].Variadic && c["ioctl"].Variadic && !c["socket"].Variadic);
    }

    [Fact]
    public void A_wrong_signature_is_reported_by_name()
    {
        var c = Probe(["recvfrom", "tcsetattr", "open"]);
        FunctionShape[] wrong =
        [
            new("recvfrom", "s4", ["s4", "p8", "u8", "s4", "p8", "p8"]), // returns ssize_t, not int
            new("tcsetattr", "s4", ["s4", "p8"]),                        // a parameter missing
            new("open", "s4", ["p8", "s4", "u4"]),                       // right: mode through the variadic slot
        ];

        var problems = Compare(wrong, c);

        Assert.Equal(2, problems.Count);
        Assert.StartsWith("recvfrom: C# declares s4 recvfrom(", problems[0]);
        Assert.Contains("the C header says s8 recvfrom(s4, p8, u8, s4, p8, p8)", problems[0]);
        Assert.StartsWith("tcsetattr: ", problems[1]);
    }

    private static (int Code, string Out, string Err) Exec(string file, IEnumerable<string> args)
    {
        var psi = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi) ?? throw new InvalidOperationException($"could not start {file}");
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(TimeSpan.FromSeconds(120)))
        {
            p.Kill(entireProcessTree: true);
            throw new TimeoutException($"{file} did not finish within 120 s");
        }
        p.WaitForExit();
        return (p.ExitCode, stdout.Result, stderr.Result);
    }
}
