using System.Globalization;
using Appliance.Core;

namespace Appliance.Vrrp;

/// <summary>
/// Which notify commands keepalived runs for an instance entering a state, with which arguments
/// (docs/vrrp.md, Notify). The commands are run by <see cref="NotifyRunner"/>.
/// </summary>
public static class VrrpNotifyCommands
{
    /// <summary>keepalived's state words for notify scripts.</summary>
    public static string StateWord(VrrpState state, bool stopped) => stopped ? "STOP" : state switch
    {
        VrrpState.Master => "MASTER",
        VrrpState.Backup => "BACKUP",
        VrrpState.Fault => "FAULT",
        _ => "STOP",
    };

    /// <summary>
    /// The state's own command (notify_master/backup/fault/stop, no arguments added), then the
    /// generic <c>notify</c> with keepalived's arguments <c>INSTANCE NAME STATE PRIORITY</c>.
    /// <see cref="ArgumentException"/> for a line that cannot be split (validation refuses those).
    /// </summary>
    public static IReadOnlyList<IReadOnlyList<string>> For(VrrpInstanceConfig config, VrrpState state, bool stopped, byte priority)
    {
        var word = StateWord(state, stopped);
        var result = new List<IReadOnlyList<string>>();
        string? specific = word switch { "MASTER" => config.NotifyMaster, "BACKUP" => config.NotifyBackup, "FAULT" => config.NotifyFault, _ => config.NotifyStop };
        if (!string.IsNullOrWhiteSpace(specific)) result.Add(CommandWords.Split(specific));
        if (!string.IsNullOrWhiteSpace(config.Notify))
            result.Add([.. CommandWords.Split(config.Notify), "INSTANCE", config.Name, word, priority.ToString(CultureInfo.InvariantCulture)]);
        return result;
    }
}
