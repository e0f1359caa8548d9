using Appliance.Core;
using Xunit;

namespace Appliance.Tests.Core;

public class OsThreadNameTests
{
    [Fact]
    public void The_kernel_sees_the_managed_name_cut_to_15_bytes()
    {
        string? seen = null, seenLong = null;
        var t = new Thread(() =>
        {
            OsThreadName.FromManaged();
            seen = File.ReadAllText("/proc/thread-self/comm").TrimEnd('\n');
        }) { Name = "health" };
        t.Start();
        t.Join();
        var l = new Thread(() =>
        {
            OsThreadName.FromManaged();
            seenLong = File.ReadAllText("/proc/thread-self/comm").TrimEnd('\n');
        }) { Name = "a-name-longer-than-fifteen" };
        l.Start();
        l.Join();
        Assert.Equal("health", seen);
        Assert.Equal("a-name-longer-t", seenLong);
    }
}
