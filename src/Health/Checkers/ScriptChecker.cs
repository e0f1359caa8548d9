using System.ComponentModel;
using System.Diagnostics;

namespace Appliance.Health.Checkers;

/// <summary>
/// MISC_CHECK: runs a program; exit 0 is healthy, 1 failed; with misc_dynamic, exit 2-255 is
/// healthy with weight exit - 2 (keepalived's convention). Any other exit, or no misc_dynamic,
/// is a failure. The run is bounded by <see cref="CheckSettings.ConnectTimeout"/> (keepalived's
/// misc_timeout).
///
/// On timeout the script and every process it started are killed with SIGKILL. keepalived
/// kills the script's process group; .NET's Process cannot make the child a group leader
/// without native fork/exec, so we kill the process tree instead (children found through
/// /proc), which also reaches descendants that left the group with setsid.
/// Waiting costs no thread per script: the runtime completes exits from its SIGCHLD handler.
/// </summary>
public sealed class ScriptChecker : IChecker
{
    private readonly CheckSettings _s;
    private readonly ScriptCheckSettings _script;

    public ScriptChecker(CheckSettings settings)
    {
        _s = settings;
        _script = settings.Script ?? throw new ArgumentException($"creating the script checker for {settings.Target}: no script settings");
    }

    public async Task<CheckResult> CheckAsync(CancellationToken stopping)
    {
        var start = Probe.Start();
        var info = new ProcessStartInfo(_script.Path)
        {
            UseShellExecute = false,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var a in _script.Arguments) info.ArgumentList.Add(a);
        Process process;
        try
        {
            process = Process.Start(info) ?? throw new InvalidOperationException("no process was started");
        }
        catch (Exception e) when (e is Win32Exception or InvalidOperationException or IOException)
        {
            return CheckResult.Failed($"starting script {_script.Path} for {_s.Target} failed: {e.Message}", Probe.Since(start));
        }
        using (process)
        {
            process.StandardInput.Close();
            // Drain the output so a chatty script never blocks on a full pipe.
            var drain = Task.WhenAll(
                process.StandardOutput.BaseStream.CopyToAsync(Stream.Null, CancellationToken.None),
                process.StandardError.BaseStream.CopyToAsync(Stream.Null, CancellationToken.None));
            using var deadline = Probe.Deadline(_s.ConnectTimeout, stopping);
            try
            {
                await process.WaitForExitAsync(deadline.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                try { process.Kill(entireProcessTree: true); }
                catch (InvalidOperationException) { /* exited meanwhile */ }
                await process.WaitForExitAsync(CancellationToken.None).ConfigureAwait(false);
                await DrainQuietly(drain).ConfigureAwait(false);
                return stopping.IsCancellationRequested
                    ? Probe.Stopped(Probe.Since(start))
                    : CheckResult.Failed($"script {_script.Path} for {_s.Target} killed after {Probe.Seconds(_s.ConnectTimeout)} (misc_timeout)", Probe.Since(start));
            }
            await DrainQuietly(drain).ConfigureAwait(false);
            var took = Probe.Since(start);
            var code = process.ExitCode;
            var said = $"script {_script.Path} for {_s.Target} exited {code} after {Probe.Ms(took)}";
            return code switch
            {
                0 => CheckResult.Ok(said, took),
                >= 2 and <= 255 when _script.Dynamic => CheckResult.Ok($"{said} (misc_dynamic weight {code - 2})", took, code - 2),
                _ => CheckResult.Failed(said, took),
            };
        }
    }

    /// <summary>
    /// Waits briefly for the output pipes to reach end of file. A script that left a daemon
    /// behind (reparented to init, so no tree kill reaches it) keeps the pipes open for as long
    /// as that daemon lives; the verdict must not wait for it, so after a short grace the drain is
    /// abandoned (it ends when the pipe is closed by the disposal of the process object).
    /// </summary>
    private static async Task DrainQuietly(Task drain)
    {
        _ = drain.ContinueWith(static t => _ = t.Exception, CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted, TaskScheduler.Default);
        await Task.WhenAny(drain, Task.Delay(DrainGrace)).ConfigureAwait(false);
    }

    private static readonly TimeSpan DrainGrace = TimeSpan.FromMilliseconds(100);
}
