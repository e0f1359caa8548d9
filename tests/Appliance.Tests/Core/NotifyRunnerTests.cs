using System.Diagnostics;
using Appliance.Core;
using Appliance.Logging;
using Xunit;

namespace Appliance.Tests.Core;

/// <summary>The one hook runner of VRRP notify_* and health notify_up/down, quorum_up/down: real child processes.</summary>
[Trait("Category", "Host")]
public sealed class NotifyRunnerTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("notify-runner-").FullName;
    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private sealed class ListLog : ILog
    {
        private readonly List<string> _lines = [];
        public string[] Lines { get { lock (_lines) return [.. _lines]; } }
        public bool IsEnabled(LogLevel level) => true;
        public void Write(LogLevel level, string component, string message) { lock (_lines) _lines.Add($"{level} {component} {message}"); }
    }

    private static void WaitUntil(Func<bool> condition, TimeSpan within, string what)
    {
        var sw = Stopwatch.StartNew();
        while (!condition())
        {
            Assert.True(sw.Elapsed < within, $"timed out after {within.TotalSeconds} s waiting for {what}");
            Thread.Sleep(10);
        }
    }

    /// <summary>Awaits the hook's task, failing with <paramref name="what"/> after 10 s.</summary>
    private static async Task Within(Task hook, string what)
    {
        var first = await Task.WhenAny(hook, Task.Delay(TimeSpan.FromSeconds(10)));
        Assert.True(first == hook, $"timed out after 10 s waiting for {what}");
        await hook;
    }

    private string Script(string body)
    {
        var path = Path.Combine(_dir, $"hook-{Guid.NewGuid():N}");
        File.WriteAllText(path, "#!/bin/sh\n" + body);
        if (OperatingSystem.IsLinux()) File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserExecute);
        return path;
    }

    [Fact]
    public async Task Run_ReturnsAtOnce_LogsOutput_AndReaps()
    {
        var log = new ListLog();
        var runner = new NotifyRunner(log, "vrrp", TimeSpan.FromSeconds(10));
        var sw = Stopwatch.StartNew();
        var done = runner.Run("VI_1: notify", ["/bin/sh", "-c", "sleep 0.3; echo entered $0", "MASTER"]);
        // The caller is an event loop: it must not wait for the hook (0.3 s).
        Assert.True(sw.ElapsedMilliseconds < 250, $"Run blocked for {sw.ElapsedMilliseconds} ms");
        await Within(done, "the hook to finish");
        Assert.Equal(0, runner.Running);
        Assert.Contains(log.Lines, l => l == "Info vrrp VI_1: notify: /bin/sh -c sleep 0.3; echo entered $0 MASTER exited 0: entered MASTER");
    }

    [Fact]
    public async Task Run_KillsAHangingHookAndItsChildrenAfterTheTimeout()
    {
        var log = new ListLog();
        var runner = new NotifyRunner(log, "health", TimeSpan.FromMilliseconds(300));
        var pidFile = Path.Combine(_dir, "child.pid");
        var hook = Script($"sleep 60 &\necho $! > {pidFile}\nwait\n");
        var done = runner.Run("notify hook", hook);
        Assert.Equal(1, runner.Running);
        await Within(done, "the hanging hook to be killed");
        Assert.Equal(0, runner.Running);
        Assert.Contains(log.Lines, l => l.StartsWith("Warning health notify hook: ") && l.Contains("killed after 0.3 s"));
        var child = int.Parse(File.ReadAllText(pidFile).Trim());
        WaitUntil(() => !Directory.Exists($"/proc/{child}") || File.ReadAllText($"/proc/{child}/stat").Split(' ')[2] == "Z",
            TimeSpan.FromSeconds(5), $"the hook's child {child} to be killed with it");
    }

    [Fact]
    public async Task Run_PassesArgumentsVerbatim_WithoutAShell()
    {
        var log = new ListLog();
        var output = Path.Combine(_dir, "args");
        var hook = Script($"for a in \"$@\"; do printf '<%s>' \"$a\"; done > {output}\nexit 3\n");
        var runner = new NotifyRunner(log, "health", NotifyRunner.DefaultTimeout);
        // Shell syntax in an argument stays text: no command substitution, no variables, no globs, no ';'.
        await Within(runner.Run("notify hook", $"{hook} \"web down\" '$(touch {_dir}/pwned)' $HOME * a;b"), "the hook");
        Assert.Equal($"<web down><$(touch {_dir}/pwned)><$HOME><*><a;b>", File.ReadAllText(output));
        Assert.False(File.Exists(Path.Combine(_dir, "pwned")));
        Assert.Contains(log.Lines, l => l.StartsWith("Warning health notify hook: ") && l.EndsWith("exited 3"));
    }

    [Fact]
    public async Task Run_ClosesStdin_SoAHookReadingItDoesNotHang()
    {
        var log = new ListLog();
        var runner = new NotifyRunner(log, "health", TimeSpan.FromSeconds(20));
        await Within(runner.Run("notify hook", ["/bin/sh", "-c", "cat; echo read-eof"]), "the hook reading stdin to end");
        Assert.Contains(log.Lines, l => l.EndsWith("exited 0: read-eof"));
    }

    [Fact]
    public async Task Run_KeepsOnlyTheStartOfALongOutput()
    {
        var log = new ListLog();
        var runner = new NotifyRunner(log, "vrrp", TimeSpan.FromSeconds(20));
        await Within(runner.Run("VI_1: notify", ["/bin/sh", "-c", "head -c 1000000 /dev/zero | tr '\\0' x"]), "the chatty hook");
        var line = Assert.Single(log.Lines, l => l.Contains("exited 0"));
        Assert.True(line.Length < NotifyRunner.OutputLimit + 200, $"logged {line.Length} characters");
        Assert.EndsWith("x ...", line);
    }

    [Fact]
    public async Task Run_DoesNotWaitForABackgroundChildHoldingTheOutput()
    {
        var log = new ListLog();
        var runner = new NotifyRunner(log, "vrrp", TimeSpan.FromSeconds(30));
        var pidFile = Path.Combine(_dir, "daemon.pid");
        var hook = Script($"sleep 30 &\necho $! > {pidFile}\necho started\n");
        try
        {
            await Within(runner.Run("VI_1: notify", hook), "the hook whose background child holds its output");
            Assert.Equal(0, runner.Running);
            Assert.Contains(log.Lines, l => l.Contains("exited 0: (output not read to its end"));
        }
        finally
        {
            if (File.Exists(pidFile)) Process.GetProcessById(int.Parse(File.ReadAllText(pidFile).Trim())).Kill();
        }
    }

    [Fact]
    public void Run_MissingProgramOrBadLine_IsLoggedNotThrown()
    {
        var log = new ListLog();
        var runner = new NotifyRunner(log, "vrrp", TimeSpan.FromSeconds(1));
        Assert.True(runner.Run("VI_1: notify", ["/nonexistent/notify"]).IsCompleted);
        Assert.True(runner.Run("VI_1: notify", "/bin/echo 'unclosed").IsCompleted);
        Assert.Equal(0, runner.Running);
        Assert.Contains(log.Lines, l => l.StartsWith("Error vrrp VI_1: notify: starting /nonexistent/notify failed"));
        Assert.Contains(log.Lines, l => l == "Error vrrp VI_1: notify: running '/bin/echo 'unclosed' failed: missing terminating '");
    }
}
