using Appliance.Core;
using Xunit;

namespace Appliance.Tests.Core;

public class CommandWordsTests
{
    [Theory]
    [InlineData("/bin/x", new[] { "/bin/x" })]
    [InlineData("  /bin/x \t a  b ", new[] { "/bin/x", "a", "b" })]
    [InlineData("/bin/x '' \"two words\" \"it's\"", new[] { "/bin/x", "", "two words", "it's" })]
    [InlineData("/bin/x 'say \"hi\"'", new[] { "/bin/x", "say \"hi\"" })]
    [InlineData("/bin/x a\\ b \\\"q \"in\\\"side\"", new[] { "/bin/x", "a b", "\"q", "in\"side" })]
    [InlineData("/bin/x pre\"fix suf\"fix", new[] { "/bin/x", "prefix suffix" })]
    [InlineData("\"/opt/my hooks/up\" $VIP `id`", new[] { "/opt/my hooks/up", "$VIP", "`id`" })]
    public void Split_FollowsKeepalivedsQuotingAndEscaping(string line, string[] expected) =>
        Assert.Equal(expected, CommandWords.Split(line));

    [Theory]
    [InlineData("", "it is empty")]
    [InlineData("   ", "it is empty")]
    [InlineData("/bin/x 'open", "missing terminating '")]
    [InlineData("/bin/x \"open", "missing terminating \"")]
    public void Split_RefusesEmptyLinesAndUnclosedQuotes(string line, string problem)
    {
        Assert.False(CommandWords.TrySplit(line, out _, out var why));
        Assert.Equal(problem, why);
        Assert.Throws<ArgumentException>(() => CommandWords.Split(line));
    }
}
