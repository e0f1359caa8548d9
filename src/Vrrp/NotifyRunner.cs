using System.Diagnostics;
using Appliance.Logging;

namespace Appliance.Vrrp;

/// <summary>
/// Runs keepalived-style notify commands as child processes without blocking the event loop: started,
/// then watched by a task that logs their output, kills them after a timeout and reaps them.
/// Command lines are split on blanks with double/single quotes (keepalived execs them without a shell).
/// </summary>
public sealed class NotifyRunner
{
    private readonly ILog _log;
    private readonly TimeSpan _timeout;
    private int _running;

    public NotifyRunner(ILog log, TimeSpan timeout)
    {
        _log = log;
        _timeout = timeout;
    }

    public int Running => Volatile.Read(ref _running);

    /// <summary>keepalived's state words for notify scripts.</summary>
    public static string StateWord(VrrpState state, bool stopped) => stopped ? "STOP" : state switch
    {
        VrrpState.Master => "MASTER",
        VrrpState.Backup => "BACKUP",
        VrrpState.Fault => "FAULT",
        _ => "STOP",
    };

    /// <summary>The commands (with arguments) keepalived would run for this instance entering this state.</summary>
    public static IReadOnlyList<string[]> CommandsFor(VrrpInstanceConfig config, VrrpState state, bool stopped, byte priority)
    {
        var word = StateWord(state, stopped);
        var result = new List<string[]>();
        string? specific = word switch { "MASTER" => config.NotifyMaster, "BACKUP" => config.NotifyBackup, "FAULT" => config.NotifyFault, _ => config.NotifyStop };
        if (!string.IsNullOrWhiteSpace(specific)) result.Add(Split(specific));
        // keepalived's generic notify: script "INSTANCE" NAME STATE PRIORITY.
        if (!string.IsNullOrWhiteSpace(config.Notify))
            result.Add([.. Split(config.Notify), "INSTANCE", config.Name, word, priority.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
        return result;
    }

    public static string[] Split(string commandLine)
    {
        var args = new List<string>();
        var current = new System.Text.StringBuilder();
        char quote = '\0';
        bool any = false;
        foreach (var c in commandLine)
        {
            if (quote != '\0') { if (c == quote) quote = '\0'; else current.Append(c); }
            else if (c is '"' or '\'') { quote = c; any = true; }
            else if (char.IsWhiteSpace(c)) { if (any || current.Length > 0) args.Add(current.ToString()); current.Clear(); any = false; }
            else current.Append(c);
        }
        if (any || current.Length > 0) args.Add(current.ToString());
        return [.. args];
    }

    public void Run(string instance, string[] command)
    {
        if (command.Length == 0) return;
        var psi = new ProcessStartInfo(command[0]) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in command.Skip(1)) psi.ArgumentList.Add(a);
        Process process;
        try { process = Process.Start(psi) ?? throw new InvalidOperationException("no process"); }
        catch (Exception e) when (e is System.ComponentModel.Win32Exception or InvalidOperationException)
        {
            _log.Error("vrrp", $"{instance}: starting notify command {command[0]}: {e.Message}");
            return;
        }
        Interlocked.Increment(ref _running);
        _ = Task.Run(async () =>
        {
            try
            {
                var stdout = process.StandardOutput.ReadToEndAsync();
                var stderr = process.StandardError.ReadToEndAsync();
                using var cts = new CancellationTokenSource(_timeout);
                try { await process.WaitForExitAsync(cts.Token).ConfigureAwait(false); }
                catch (OperationCanceledException)
                {
                    process.Kill(entireProcessTree: true);
                    await process.WaitForExitAsync().ConfigureAwait(false);
                    _log.Warning("vrrp", $"{instance}: notify command {command[0]} killed after {_timeout.TotalSeconds:0.#} s");
                }
                var output = (await stdout.ConfigureAwait(false) + await stderr.ConfigureAwait(false)).Trim();
                _log.Info("vrrp", $"{instance}: notify {string.Join(' ', command)} exited {process.ExitCode}" + (output.Length > 0 ? $": {output}" : ""));
            }
            finally
            {
                process.Dispose();
                Interlocked.Decrement(ref _running);
            }
        });
    }
}
