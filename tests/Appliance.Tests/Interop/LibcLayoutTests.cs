using System.Reflection;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Appliance.Interop;
using Xunit;

namespace Appliance.Tests.Interop;

public class LibcLayoutTests
{
    [Fact]
    public void Every_declaration_matches_the_C_headers()
    {
        var table = LibcLayout.Build();
        var c = CProbe.Run(table.Groups, table.Checks);

        var mismatches = CProbe.Compare(table.Checks, c);

        Assert.True(mismatches.Count == 0, $"{mismatches.Count} of {table.Checks.Count} checks differ from the C headers:\n" + string.Join('\n', mismatches));
        // The probe really printed one value per check (a silent empty run would pass Compare only if the table were empty).
        Assert.Equal(table.Checks.Count, c.Count);
        Assert.True(table.Checks.Count > 300, $"only {table.Checks.Count} checks: the table lost entries");
    }

    [Fact]
    public void Every_declaration_is_in_the_table()
    {
        var table = LibcLayout.Build();
        var names = table.Checks.Select(x => x.Name).ToHashSet(StringComparer.Ordinal);

        var constants = typeof(Libc).GetFields(BindingFlags.Public | BindingFlags.Static).Where(f => f.IsLiteral).ToList();
        var missingConstants = constants.Where(f => !names.Contains(f.Name)).Select(f => f.Name).ToList();
        Assert.True(missingConstants.Count == 0, "constants declared in Appliance.Interop.Libc with no C check: " + string.Join(", ", missingConstants));
        Assert.True(constants.Count > 200, $"reflection found only {constants.Count} constants");

        var structs = typeof(Libc).Assembly.GetTypes()
            .Where(t => t.Namespace == typeof(Libc).Namespace && t.IsValueType && !t.IsEnum && !t.IsByRefLike
                        && t.GetCustomAttribute<InlineArrayAttribute>() is null)
            .ToList();
        var problems = new List<string>();
        foreach (var type in structs)
        {
            if (!table.StructFields.TryGetValue(type, out var checkedFields))
            {
                problems.Add($"struct {type.Name} has no C check");
                continue;
            }
            foreach (var field in type.GetFields(BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic))
                if (!checkedFields.Contains(field.Name))
                    problems.Add($"field {type.Name}.{field.Name} has no C check");
        }
        Assert.True(problems.Count == 0, string.Join('\n', problems));
        Assert.Contains(typeof(termios), structs);
    }

    // A struct declared wrongly on purpose: events and revents are short in C.
    [StructLayout(LayoutKind.Sequential)]
    private struct WrongPollfd
    {
        public int fd;
        public int events;
        public short revents;
    }

    [Fact]
    public unsafe void A_wrong_constant_or_offset_is_reported_by_name()
    {
        const int AF_INET = 3; // the header says 2
        var table = new CLayoutTable().Group("wrong", "sys/socket.h", "poll.h")
            .Constant(AF_INET)
            .Constant(Libc.AF_INET6);
        table.Struct<WrongPollfd>("struct pollfd")
            .Field("fd", p => ref p->fd)
            .Field("events", p => ref p->events)
            .Field("revents", p => ref p->revents);

        var mismatches = CProbe.Compare(table.Checks, CProbe.Run(table.Groups, table.Checks));

        Assert.Contains(mismatches, m => m.StartsWith("AF_INET: C# declares 3", StringComparison.Ordinal) && m.Contains("say 2"));
        Assert.Contains(mismatches, m => m.StartsWith("offsetof(WrongPollfd.revents): C# declares 8", StringComparison.Ordinal) && m.Contains("say 6"));
        Assert.Contains(mismatches, m => m.StartsWith("sizeof(WrongPollfd.events): C# declares 4", StringComparison.Ordinal));
        Assert.Contains(mismatches, m => m.StartsWith("sizeof(struct pollfd): C# declares 12", StringComparison.Ordinal));
        Assert.DoesNotContain(mismatches, m => m.Contains("AF_INET6") || m.Contains(".fd)"));
        Assert.Equal(4, mismatches.Count);
    }

    [Fact]
    public void A_C_name_the_headers_lack_fails_the_probe_naming_it()
    {
        var table = new CLayoutTable().Group("unknown", "sys/socket.h").Value("AF_BOGUS", "AF_BOGUS", 42);

        var e = Assert.Throws<InvalidOperationException>(() => CProbe.Run(table.Groups, table.Checks));

        Assert.Contains("AF_BOGUS", e.Message);
    }

    [Fact]
    public void The_probe_source_prints_every_check_of_its_group()
    {
        var table = new CLayoutTable().Group("a", "poll.h").Constant(Libc.POLLIN).Group("b", "fcntl.h").Constant(Libc.O_RDWR);

        var a = CProbe.Source(table.Groups[0], table.Checks, 0);

        Assert.Contains("#include <poll.h>", a);
        Assert.Contains("(long long)(POLLIN)", a);
        Assert.DoesNotContain("O_RDWR", a);
    }
}
