using Appliance.Cli;
using Xunit;

namespace Appliance.Tests.Cli;

public class CommandLineTests
{
    private static (int Code, string Out, string Err) Invoke(params string[] args)
    {
        var o = new StringWriter();
        var e = new StringWriter();
        var code = CommandLine.Run(args, new VerbContext(o, e));
        return (code, o.ToString(), e.ToString());
    }

    [Fact]
    public void Help_lists_every_verb()
    {
        var (code, output, _) = Invoke("help");
        Assert.Equal(0, code);
        foreach (var verb in CommandLine.CreateVerbs())
            Assert.Contains(verb.Name, output);
    }

    [Fact]
    public void Unknown_verb_is_a_usage_error_naming_it()
    {
        var (code, _, err) = Invoke("frobnicate");
        Assert.Equal(CommandLine.UsageError, code);
        Assert.Contains("frobnicate", err);
    }

    [Fact]
    public void Version_prints_the_runtime()
    {
        var (code, output, _) = Invoke("version");
        Assert.Equal(0, code);
        Assert.StartsWith("appliance ", output);
    }
}
