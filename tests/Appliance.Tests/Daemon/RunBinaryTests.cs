using System.Diagnostics;
using Appliance.Interop;
using Xunit;

namespace Appliance.Tests.Daemon;

/// <summary>
/// <c>appliance run</c> as the published NativeAOT binary: the boot line, SIGHUP with a bad and a
/// good file, SIGTERM/SIGINT and the exit codes. Waits on log lines with bounds, never on sleeps.
/// </summary>
[Trait("Category", "Host")]
public sealed class RunBinaryTests : IDisposable
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(20);
    private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("appliance-run-");
    private readonly string _path;

    public RunBinaryTests()
    {
        _path = Path.Combine(_dir.FullName, "appliance.ini");
        File.Copy(Repo.FactoryIni, _path);
    }

    public void Dispose() => _dir.Delete(recursive: true);

    private static string Factory => File.ReadAllText(Repo.FactoryIni);

    /// <summary>A running daemon and the lines it wrote to stderr so far.</summary>
    private sealed class Daemon : IDisposable
    {
        private readonly List<string> _lines = [];
        public Process Process { get; }

        public Daemon(params string[] args)
        {
            var psi = new ProcessStartInfo(Repo.Binary) { RedirectStandardError = true, RedirectStandardOutput = true };
            foreach (var a in args) psi.ArgumentList.Add(a);
            Process = Process.Start(psi)!;
            Process.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (_lines) { _lines.Add(e.Data); Monitor.PulseAll(_lines); } };
            Process.BeginErrorReadLine();
            Process.OutputDataReceived += (_, _) => { };
            Process.BeginOutputReadLine();
        }

        public string[] Lines { get { lock (_lines) return [.. _lines]; } }

        /// <summary>Waits until a line matching <paramref name="match"/> appears after <paramref name="from"/>; returns its index.</summary>
        public int WaitFor(Func<string, bool> match, string what, int from = 0)
        {
            var deadline = DateTime.UtcNow + Bound;
            lock (_lines)
            {
                while (true)
                {
                    for (var i = from; i < _lines.Count; i++)
                        if (match(_lines[i])) return i;
                    var left = deadline - DateTime.UtcNow;
                    if (left <= TimeSpan.Zero || Process.HasExited && !Monitor.Wait(_lines, 100))
                        throw new Xunit.Sdk.XunitException($"no line {what} within {Bound.TotalSeconds} s (exited: {Process.HasExited}); stderr:\n{string.Join('\n', _lines)}");
                    Monitor.Wait(_lines, left);
                }
            }
        }

        public void Signal(int sig) => Assert.Equal(0, Libc.kill(Process.Id, sig));

        public int WaitForExit()
        {
            if (!Process.WaitForExit(Bound))
                throw new Xunit.Sdk.XunitException($"the daemon did not exit within {Bound.TotalSeconds} s; stderr:\n{string.Join('\n', Lines)}");
            Process.WaitForExit(); // drains the redirected streams
            return Process.ExitCode;
        }

        public void Dispose()
        {
            if (!Process.HasExited) Process.Kill();
            Process.Dispose();
        }
    }

    private static bool Says(string line, string level, string message) =>
        line.Length > 25 && line[25..].StartsWith($"{level,-7} daemon: {message}", StringComparison.Ordinal);

    [Fact]
    public void Boots_survives_a_bad_reload_applies_a_good_one_and_stops_on_SIGTERM()
    {
        using var d = new Daemon("run", "--config", _path, "--log-target", "stderr");
        var loaded = d.WaitFor(l => Says(l, "info", $"loaded configuration from {_path}"), "'loaded configuration from PATH'");

        File.WriteAllText(_path, Factory.Replace("priority = 150", "priority = 0"));
        d.Signal(Libc.SIGHUP);
        var rejected = d.WaitFor(l => Says(l, "error", $"reload rejected: 1 error in {_path}; keeping the previous configuration"), "rejecting the bad reload", loaded);
        Assert.Contains(d.Lines[loaded..rejected], l => Says(l, "error", $"{_path}:") && l.Contains("priority"));
        Assert.False(d.Process.HasExited, "a bad reload stopped the daemon");

        File.WriteAllText(_path, Factory.Replace("priority = 150", "priority = 120"));
        d.Signal(Libc.SIGHUP);
        var reloaded = d.WaitFor(l => Says(l, "info", $"reloaded configuration from {_path}"), "applying the good reload", rejected);
        d.WaitFor(l => l.Contains("vrid 51 on eth1, priority 120"), "the new summary", reloaded);

        d.Signal(Libc.SIGTERM);
        Assert.Equal(0, d.WaitForExit());
        var lines = d.Lines;
        Assert.Contains(lines, l => Says(l, "notice", "SIGTERM: stopping"));
        Assert.True(Says(lines[^1], "info", "stopped"), $"last line: {lines[^1]}");
        Assert.DoesNotContain(lines, l => l.Contains("factory-key-change-me", StringComparison.Ordinal));
    }

    [Fact]
    public void SIGINT_stops_cleanly_too()
    {
        using var d = new Daemon("run", $"--config={_path}", "--log-target=stderr", "--log-level=debug");
        d.WaitFor(l => Says(l, "info", $"loaded configuration from {_path}"), "'loaded configuration from PATH'");
        d.Signal(Libc.SIGINT);
        Assert.Equal(0, d.WaitForExit());
        Assert.Contains(d.Lines, l => Says(l, "notice", "SIGINT: stopping"));
    }

    [Fact]
    public void An_invalid_configuration_is_refused_with_every_error_and_exit_1()
    {
        File.WriteAllText(_path, Factory.Replace("priority = 150", "priority = 300").Replace("baud = 115200\ninterval", "baud = 12345\ninterval"));
        using var d = new Daemon("run", "--config", _path, "--log-target", "stderr");
        Assert.Equal(1, d.WaitForExit());
        var errors = d.Lines.Where(l => Says(l, "error", $"{_path}:")).ToList();
        Assert.Equal(2, errors.Count);
        Assert.True(Says(d.Lines[^1], "error", $"refusing to start: 2 errors in {_path}"), d.Lines[^1]);
    }

    [Fact]
    public void A_missing_file_exits_2_and_bad_options_64()
    {
        using (var d = new Daemon("run", "--config", Path.Combine(_dir.FullName, "absent.ini"), "--log-target", "stderr"))
            Assert.Equal(2, d.WaitForExit());
        using (var d = new Daemon("run", "--log-level", "chatty"))
        {
            Assert.Equal(64, d.WaitForExit());
            Assert.Contains(d.Lines, l => l.Contains("--log-level 'chatty': expected one of error, warning, notice, info, debug"));
        }
    }
}
