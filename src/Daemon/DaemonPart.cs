using Appliance.Config;

namespace Appliance.Daemon;

/// <summary>
/// A subsystem the composition root plugs into <see cref="ApplianceDaemon"/>. Every method runs
/// on the daemon's loop thread, so a part's state needs no lock; I/O threads reach it only by
/// posting a <see cref="LoopEvent"/>.
/// </summary>
public interface IDaemonPart
{
    /// <summary>A configuration became current: at start-up and after every accepted reload (a rejected one never gets here).</summary>
    void OnConfiguration(ApplianceConfig config, TimeSpan now);

    /// <summary>Any event the daemon itself does not handle; parts ignore what is not theirs.</summary>
    void Handle(LoopEvent e, TimeSpan now);

    /// <summary>The loop is stopping (SIGTERM): last orderly actions, still on the loop thread.</summary>
    void OnStop();
}
