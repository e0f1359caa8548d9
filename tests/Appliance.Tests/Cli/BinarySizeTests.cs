using Appliance.Tests.Config;
using Xunit;

namespace Appliance.Tests.Cli;

/// <summary>
/// The product binary must stay under 10 MB (issue 2's acceptance). LINQ over value types once
/// took it to 16 MB through generic-virtual instantiations (docs/benchmarks.md, "Binary size"):
/// this catches such a regression on every `make test`.
/// </summary>
public class BinarySizeTests
{
    private const long Limit = 10L * 1024 * 1024;

    [PublishedBinaryFact]
    public void Published_binary_is_under_10_MB()
    {
        var bin = Environment.GetEnvironmentVariable("APPLIANCE_BIN")!;
        var size = new FileInfo(bin).Length;
        Assert.True(size < Limit, $"{bin} is {size:N0} bytes, over the {Limit:N0}-byte limit: look for LINQ over value types (docs/benchmarks.md, Binary size)");
    }
}
