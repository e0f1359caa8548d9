using System.Net;

namespace Appliance.Vrrp;

/// <summary>RFC 5798 §6.4 states plus keepalived's FAULT (a tracked public interface is down).</summary>
public enum VrrpState
{
    Initialize,
    Backup,
    Master,
    Fault,
}

/// <summary>An instance changed state (what <see cref="VrrpService.StateChanged"/> reports).</summary>
public sealed record VrrpStateChange(string Instance, VrrpState From, VrrpState To, string Reason);

/// <summary>The timers of RFC 5798 §6.2.</summary>
public enum VrrpTimer
{
    /// <summary>Adver_Timer: a MASTER sends its next advert.</summary>
    Advertisement,
    /// <summary>Master_Down_Timer: a BACKUP decides the MASTER is gone.</summary>
    MasterDown,
}

/// <summary>What happens to an instance. The event loop posts these with the time.</summary>
public abstract record VrrpEvent
{
    /// <summary>RFC 5798 §6.4.1 Startup.</summary>
    public sealed record Startup : VrrpEvent;

    /// <summary>RFC 5798 Shutdown: graceful stop of the daemon.</summary>
    public sealed record Shutdown : VrrpEvent;

    /// <summary>An advert that passed the codec and <see cref="VrrpAdvertCheck"/>.</summary>
    public sealed record AdvertReceived(IPAddress Source, VrrpAdvert Advert) : VrrpEvent;

    public sealed record TimerFired(VrrpTimer Timer) : VrrpEvent;

    /// <summary>
    /// Carrier of the heartbeat NIC (a direct cable). Down means "the peer may be dead", never "I am faulty":
    /// it never leads to FAULT; the Master_Down_Timer (adverts stopped) decides, gated by the arbiter.
    /// </summary>
    public sealed record HeartbeatCarrierChanged(bool Up) : VrrpEvent;

    /// <summary>All tracked public interfaces up (true) or at least one down (false): FAULT when false.</summary>
    public sealed record PublicLinkChanged(bool Up) : VrrpEvent;

    /// <summary>
    /// The split-brain arbiter's verdict (issue 6): may this node take the VIPs when its Master_Down_Timer fires?
    /// Until an arbiter exists the shell never sends false, so takeover is permitted.
    /// </summary>
    public sealed record TakeoverPermissionChanged(bool Permitted) : VrrpEvent;

    /// <summary>Operator <c>failover</c>: a MASTER hands over now (priority 0) and stays BACKUP.</summary>
    public sealed record OperatorFailover : VrrpEvent;

    /// <summary>
    /// The sync catch-up gate's verdict (issue 8, docs/sync.md "Failback"): may this node PREEMPT a live
    /// lower-priority master, or must it wait until its kernel connection table has caught up? The first
    /// one switches the gate on for good: from then on every entry into BACKUP closes it again until an
    /// open verdict arrives whose wait began at or after that entry (<paramref name="WaitingSince"/>), so a
    /// verdict meant for an earlier BACKUP period never opens it. Only preemption waits: a takeover because
    /// the master is gone (Master_Down_Timer with no advert, priority 0) happens at once as always.
    /// </summary>
    public sealed record PreemptionGateChanged(bool Open, TimeSpan WaitingSince, string Reason) : VrrpEvent;

    /// <summary>A sync-group peer instance changed state; this one follows (keepalived vrrp_sync_group).</summary>
    public sealed record GroupTransition(VrrpState Target, string Reason) : VrrpEvent;
}

/// <summary>What the machine asks its shells to do, in order.</summary>
public abstract record VrrpAction
{
    /// <summary>Send one advert with this priority (0 = "I am stopping", RFC 5798 §6.4.3).</summary>
    public sealed record SendAdvert(byte Priority) : VrrpAction;

    public sealed record AddVips : VrrpAction;

    public sealed record RemoveVips : VrrpAction;

    /// <summary>Gratuitous ARP / unsolicited neighbour advertisements for the VIPs (RFC 5798 §6.4.2 bullet 3).</summary>
    public sealed record AnnounceVips : VrrpAction;

    /// <summary>
    /// Announce the VIPs again while staying MASTER: another router advertised as master (a healed
    /// split brain, a false Master_Down on a starved peer) and may have pointed the hosts' ARP and
    /// neighbour caches at its MAC (keepalived's garp_lower_prio_repeat, on by default here).
    /// </summary>
    public sealed record ReannounceVips(string Reason) : VrrpAction;

    public sealed record SetTimer(VrrpTimer Timer, TimeSpan At) : VrrpAction;

    public sealed record CancelTimer(VrrpTimer Timer) : VrrpAction;

    /// <summary>Run the notify scripts for entering this state (STOP when <paramref name="Stopped"/>).</summary>
    public sealed record Notify(VrrpState State, bool Stopped, byte Priority) : VrrpAction;

    public sealed record StateChanged(VrrpState From, VrrpState To, string Reason) : VrrpAction;

    /// <summary>Master_Down_Timer fired but the arbiter said no: stays BACKUP (logged, shown to the operator).</summary>
    public sealed record TakeoverWithheld(string Reason) : VrrpAction;

    /// <summary>A live lower-priority master would have been preempted, but the catch-up gate is closed: once per BACKUP period.</summary>
    public sealed record PreemptionHeld(string Reason) : VrrpAction;

    /// <summary>The catch-up gate opened while BACKUP; <paramref name="WasHolding"/>: a preemption was being held and now proceeds.</summary>
    public sealed record PreemptionReleased(string Reason, bool WasHolding) : VrrpAction;
}
