using System.ComponentModel;
using System.Diagnostics;
using Appliance.Logging;

namespace Appliance.Health;

/// <summary>
/// Runs notify hooks (notify_up/notify_down, quorum_up/quorum_down): the command line split into
/// an absolute program and its arguments (no shell), started without waiting; it is reaped
/// asynchronously and killed with its children if it outlives <see cref="Timeout"/>, so a stuck
/// hook never piles up processes.
/// </summary>
public sealed class NotifyRunner(ILog log)
{
    public TimeSpan Timeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Starts the hook; returns the task that completes when it has exited (tests await it, the daemon does not).</summary>
    public Task Start(string command) => RunAsync(command);

    private async Task RunAsync(string command)
    {
        Process? process = null;
        try
        {
            var words = HealthConfigMapping.SplitCommand(command);
            var info = new ProcessStartInfo(words[0]) { UseShellExecute = false, RedirectStandardInput = true };
            foreach (var w in words.Skip(1)) info.ArgumentList.Add(w);
            process = Process.Start(info) ?? throw new InvalidOperationException("no process was started");
            process.StandardInput.Close();
            using var deadline = new CancellationTokenSource(Timeout);
            try
            {
                await process.WaitForExitAsync(deadline.Token).ConfigureAwait(false);
                if (process.ExitCode != 0) log.Warning("health", $"notify hook '{command}' exited {process.ExitCode}");
            }
            catch (OperationCanceledException)
            {
                process.Kill(entireProcessTree: true);
                log.Warning("health", $"notify hook '{command}' killed after {Timeout.TotalSeconds:0} s");
            }
        }
        catch (Exception e) when (e is Win32Exception or InvalidOperationException or ArgumentException or IOException)
        {
            log.Error("health", $"running notify hook '{command}' failed: {e.Message}");
        }
        finally
        {
            process?.Dispose();
        }
    }
}
