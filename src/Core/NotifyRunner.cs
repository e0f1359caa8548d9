using System.ComponentModel;
using System.Diagnostics;
using System.Globalization;
using System.Text;
using Appliance.Logging;

namespace Appliance.Core;

/// <summary>
/// Runs the configuration's hooks (VRRP notify_*, health notify_up/down and quorum_up/down) as child
/// processes: exec'd directly from their words (<see cref="CommandWords"/>; no shell, so a VIP or
/// server name in an argument is never interpreted), stdin closed, started without blocking the
/// caller's loop. A task per hook waits for it, logs its exit status and the start of its output,
/// kills it with its children when it outlives the timeout, and reaps it, so a stuck hook never
/// piles up processes. The hook inherits the daemon's environment.
/// </summary>
public sealed class NotifyRunner(ILog log, string component, TimeSpan timeout)
{
    /// <summary>keepalived's limit for notify scripts is the same order; a hook is never meant to run long.</summary>
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(30);

    /// <summary>Output kept for the log per hook (stdout and stderr each); the rest is read and dropped.</summary>
    public const int OutputLimit = 2048;

    /// <summary>How long the output may stay open after the hook exited.</summary>
    private static readonly TimeSpan OutputGrace = TimeSpan.FromSeconds(1);

    private int _running;

    /// <summary>Hooks started and not yet reaped.</summary>
    public int Running => Volatile.Read(ref _running);

    /// <summary>Splits <paramref name="commandLine"/> and starts it; see <see cref="Run(string, IReadOnlyList{string})"/>.</summary>
    public Task Run(string what, string commandLine)
    {
        if (!CommandWords.TrySplit(commandLine, out var words, out var problem))
        {
            log.Error(component, $"{what}: running '{commandLine}' failed: {problem}");
            return Task.CompletedTask;
        }
        return Run(what, words);
    }

    /// <summary>
    /// Starts the program <paramref name="command"/>[0] with the other words as its arguments and
    /// returns at once; the task completes when it has exited and been logged (tests await it,
    /// the daemon does not). <paramref name="what"/> names the hook in the log ("VI_1: notify").
    /// </summary>
    public Task Run(string what, IReadOnlyList<string> command)
    {
        if (command.Count == 0) return Task.CompletedTask;
        var info = new ProcessStartInfo(command[0])
        {
            UseShellExecute = false,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        for (var i = 1; i < command.Count; i++) info.ArgumentList.Add(command[i]);
        Process process;
        try
        {
            process = Process.Start(info) ?? throw new InvalidOperationException("no process was started");
        }
        catch (Exception e) when (e is Win32Exception or InvalidOperationException or IOException)
        {
            log.Error(component, $"{what}: starting {command[0]} failed: {e.Message}");
            return Task.CompletedTask;
        }
        Interlocked.Increment(ref _running);
        return Task.Run(() => WatchAsync(what, command, process));
    }

    private async Task WatchAsync(string what, IReadOnlyList<string> command, Process process)
    {
        try
        {
            // A hook that reads stdin sees end of file instead of waiting on the daemon's console.
            try { process.StandardInput.Close(); } catch (IOException) { }
            var stdout = ReadCappedAsync(process.StandardOutput);
            var stderr = ReadCappedAsync(process.StandardError);
            var killed = false;
            using (var deadline = new CancellationTokenSource(timeout))
            {
                try { await process.WaitForExitAsync(deadline.Token).ConfigureAwait(false); }
                catch (OperationCanceledException)
                {
                    killed = true;
                    try { process.Kill(entireProcessTree: true); }
                    catch (InvalidOperationException) { } // it exited between the timeout and the kill
                    await process.WaitForExitAsync().ConfigureAwait(false);
                }
            }
            // A hook that left a background child holding its output open must not keep this task
            // (and the Running count) forever: the output is logged as far as it came.
            var both = Task.WhenAll(stdout, stderr);
            await Task.WhenAny(both, Task.Delay(OutputGrace)).ConfigureAwait(false);
            var output = both.IsCompletedSuccessfully
                ? (stdout.Result + " " + stderr.Result).Trim()
                : "(output not read to its end: a child of the hook may hold it open)";
            var line = string.Join(' ', command);
            var tail = output.Length > 0 ? $": {output}" : "";
            if (killed)
                log.Warning(component, $"{what}: {line} killed after {timeout.TotalSeconds.ToString("0.###", CultureInfo.InvariantCulture)} s{tail}");
            else if (process.ExitCode != 0)
                log.Warning(component, $"{what}: {line} exited {process.ExitCode}{tail}");
            else
                log.Info(component, $"{what}: {line} exited 0{tail}");
        }
        catch (Exception e) when (e is InvalidOperationException or IOException or Win32Exception)
        {
            log.Error(component, $"{what}: watching {command[0]} failed: {e.Message}");
        }
        finally
        {
            process.Dispose();
            Interlocked.Decrement(ref _running);
        }
    }

    /// <summary>Reads a stream to its end (so the child never blocks on a full pipe), keeping the first <see cref="OutputLimit"/> characters.</summary>
    private static async Task<string> ReadCappedAsync(StreamReader reader)
    {
        var kept = new StringBuilder();
        var buffer = new char[1024];
        int n;
        while ((n = await reader.ReadAsync(buffer).ConfigureAwait(false)) > 0)
        {
            var room = OutputLimit - kept.Length;
            if (room > 0) kept.Append(buffer, 0, Math.Min(room, n));
        }
        return kept.Length == OutputLimit ? kept.Append(" ...").ToString().Trim() : kept.ToString().Trim();
    }
}
