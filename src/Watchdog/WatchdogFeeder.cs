using Appliance.Logging;

namespace Appliance.Watchdog;

/// <summary>Settings (INI section [watchdog]).</summary>
public sealed record WatchdogOptions
{
    /// <summary>Device path; empty disables the watchdog.</summary>
    public string Device { get; init; } = "/dev/watchdog";
    /// <summary>Seconds without a feed before the hardware resets the box (INI `timeout`, default 2).</summary>
    public int TimeoutSeconds { get; init; } = 2;
    /// <summary>When true the daemon never writes the magic 'V': even an orderly stop leaves the timer running.</summary>
    public bool NoWayOut { get; init; }

    /// <summary>How often the feeder runs: four chances per timeout, so one late tick does not reset the box.</summary>
    public TimeSpan FeedInterval => TimeSpan.FromSeconds(TimeoutSeconds) / 4;
}

/// <summary>
/// Feeds the device when the gate allows. Call <see cref="Tick"/> from a timer of the daemon's
/// main event loop — never from a thread of its own (see <see cref="WatchdogGate"/>).
/// </summary>
public sealed class WatchdogFeeder(WatchdogGate gate, Action keepalive, ILog log)
{
    private bool _withholding;

    public long Feeds { get; private set; }
    public long Withheld { get; private set; }

    /// <summary>Returns true when it fed the watchdog.</summary>
    public bool Tick(TimeSpan now)
    {
        var d = gate.Check(now);
        if (d.Feed)
        {
            keepalive();
            Feeds++;
            if (_withholding) log.Notice("watchdog", "all loops healthy again: feeding the watchdog");
            _withholding = false;
            return true;
        }
        Withheld++;
        if (!_withholding)
            log.Error("watchdog", $"not feeding the watchdog, the box will reset unless this recovers: {string.Join("; ", d.Stalled)}");
        _withholding = true;
        return false;
    }
}
