using System.Diagnostics;
using Appliance.Logging;
using Appliance.Vrrp;
using Xunit;

namespace Appliance.Tests.Vrrp;

public class NotifyRunnerTests
{
    private sealed class ListLog : ILog
    {
        public List<string> Lines { get; } = [];
        public bool IsEnabled(LogLevel level) => true;
        public void Write(LogLevel level, string component, string message) { lock (Lines) Lines.Add($"{level} {message}"); }
    }

    private static VrrpInstanceConfig Config(string? notify = null, string? master = null) => new()
    {
        Name = "VI_1", VirtualRouterId = 51, Priority = 150, VirtualAddresses = [VirtualAddress.Parse("192.0.2.1/24")],
        Notify = notify, NotifyMaster = master,
    };

    [Fact]
    public void Commands_FollowKeepalived_SpecificThenGenericWithInstanceNameStatePriority()
    {
        var cmds = NotifyRunner.CommandsFor(Config("/usr/bin/n 'a b'", "/usr/bin/m --up"), VrrpState.Master, false, 150);
        Assert.Equal(["/usr/bin/m", "--up"], cmds[0]);
        Assert.Equal(["/usr/bin/n", "a b", "INSTANCE", "VI_1", "MASTER", "150"], cmds[1]);
        Assert.Equal("STOP", NotifyRunner.CommandsFor(Config("/n"), VrrpState.Initialize, true, 0)[0][3]);
        Assert.Equal("FAULT", NotifyRunner.CommandsFor(Config("/n"), VrrpState.Fault, false, 0)[0][3]);
        Assert.Empty(NotifyRunner.CommandsFor(Config(), VrrpState.Backup, false, 150));
    }

    [Fact]
    public void Split_HandlesQuotesAndEmptyArguments() =>
        Assert.Equal(["/bin/x", "", "two words", "it's"], NotifyRunner.Split("/bin/x '' \"two words\" \"it's\""));

    private static void WaitUntil(Func<bool> condition, TimeSpan within, string what)
    {
        var sw = Stopwatch.StartNew();
        while (!condition())
        {
            Assert.True(sw.Elapsed < within, $"timed out after {within.TotalSeconds} s waiting for {what}");
            Thread.Sleep(10);
        }
    }

    [Fact]
    public void Run_DoesNotBlock_LogsOutput_AndReaps()
    {
        var log = new ListLog();
        var runner = new NotifyRunner(log, TimeSpan.FromSeconds(10));
        var sw = Stopwatch.StartNew();
        runner.Run("VI_1", ["/bin/sh", "-c", "sleep 0.3; echo entered $0", "MASTER"]);
        Assert.True(sw.ElapsedMilliseconds < 250, $"Run blocked for {sw.ElapsedMilliseconds} ms");
        WaitUntil(() => runner.Running == 0 && log.Lines.Count > 0, TimeSpan.FromSeconds(10), "the notify command to finish");
        Assert.Contains(log.Lines, l => l.Contains("exited 0") && l.Contains("entered MASTER"));
    }

    [Fact]
    public void Run_KillsAHangingCommandAfterTheTimeout()
    {
        var log = new ListLog();
        var runner = new NotifyRunner(log, TimeSpan.FromMilliseconds(200));
        runner.Run("VI_1", ["/bin/sleep", "30"]);
        WaitUntil(() => runner.Running == 0, TimeSpan.FromSeconds(10), "the hanging command to be killed");
        Assert.Contains(log.Lines, l => l.Contains("killed after"));
    }

    [Fact]
    public void Run_MissingProgram_IsLoggedNotThrown()
    {
        var log = new ListLog();
        new NotifyRunner(log, TimeSpan.FromSeconds(1)).Run("VI_1", ["/nonexistent/notify"]);
        Assert.Contains(log.Lines, l => l.Contains("starting notify command /nonexistent/notify"));
    }
}
