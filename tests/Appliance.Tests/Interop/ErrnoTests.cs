using System.Reflection;
using Appliance.Interop;
using Xunit;

namespace Appliance.Tests.Interop;

public class ErrnoTests
{
    [Fact]
    public void Describe_gives_the_macro_name_and_the_C_library_text()
    {
        Assert.Equal("ENOENT (No such file or directory)", Errno.Describe(Libc.ENOENT));
        Assert.Equal("EPERM (Operation not permitted)", Errno.Describe(Libc.EPERM));
        Assert.Equal("ENOBUFS (No buffer space available)", Errno.Describe(Libc.ENOBUFS));
    }

    [Fact]
    public void Describe_of_an_unnamed_value_keeps_the_number()
    {
        Assert.StartsWith("errno 4000 (", Errno.Describe(4000));
    }

    [Fact]
    public void Every_declared_errno_has_its_name()
    {
        var errnos = typeof(Libc).GetFields(BindingFlags.Public | BindingFlags.Static)
            .Where(f => f.IsLiteral && f.Name.StartsWith('E') && f.FieldType == typeof(int) && f.Name.All(c => char.IsUpper(c)))
            .ToList();
        Assert.NotEmpty(errnos);
        foreach (var f in errnos)
        {
            var value = (int)f.GetRawConstantValue()!;
            var name = Errno.Name(value);
            // EWOULDBLOCK is EAGAIN's alias: the number has one name.
            Assert.True(name == f.Name || (f.Name == "EWOULDBLOCK" && name == "EAGAIN"), $"{f.Name} = {value} is named {name ?? "null"}");
        }
    }

    [Fact]
    public void ErrnoException_says_what_was_done_and_why()
    {
        var e = new ErrnoException("opening /dev/watchdog", Libc.EBUSY);
        Assert.Equal("opening /dev/watchdog: EBUSY (Device or resource busy)", e.Message);
        Assert.Equal(Libc.EBUSY, e.Errno);
    }
}
