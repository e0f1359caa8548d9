using Xunit;
namespace Appliance.Tests;
public class SmokeTests
{
    [Fact]
    public void Runs() => Assert.Equal(0, Appliance.Cli.CommandLine.Run([]));
}
