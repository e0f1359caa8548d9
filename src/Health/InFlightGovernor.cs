namespace Appliance.Health;

/// <summary>
/// How many checks may be in flight at once: an additive-increase, multiplicative-decrease limit
/// (TCP's congestion window, applied to probes). When the director or the real-server side
/// cannot keep up, starting every due check anyway turns overload into timeouts and timeouts into
/// wrongly removed servers; holding checks back instead turns it into lateness, which the
/// lateness statistics show and which removes nothing.
/// </summary>
/// <remarks>
/// Signals of overload (each shrinks the limit to 70 %, at most once per <see cref="Calm"/>):
/// a successful check that took more than a quarter of its connect_timeout, or more than
/// <see cref="Inflation"/> times the usual answer time of that server plus
/// <see cref="InflationFloor"/> (healthy servers answering slowly: somebody is saturated, and
/// more checks in flight would only queue — TCP Vegas's reading of a growing round trip), and
/// the health loop waking more than <see cref="LagBound"/> after it meant to (the director's own
/// CPU is saturated). Failed checks
/// are no signal: a dead server times out whatever the load, and an outage must not throttle the
/// checks of the living. The limit grows by one for each success under a tenth of its
/// connect_timeout while the limit is what holds checks back. Pure: the caller passes the time.
/// </remarks>
public sealed class InFlightGovernor
{
    /// <summary>Shortest time between two decreases, so that one overload is answered once.</summary>
    public static readonly TimeSpan Calm = TimeSpan.FromMilliseconds(500);
    /// <summary>An answer this many times slower than the server's usual one signals queueing.</summary>
    public const int Inflation = 4;
    /// <summary>Plus this much, so that a server usually answering in 1 ms is not "slow" at 5 ms.</summary>
    public static readonly TimeSpan InflationFloor = TimeSpan.FromMilliseconds(20);

    /// <summary>Loop wake-up lateness that counts as the director being saturated.</summary>
    public static readonly TimeSpan LagBound = TimeSpan.FromMilliseconds(250);

    private readonly int _floor;
    private readonly int _ceiling;
    private TimeSpan? _lastDecrease;

    /// <param name="floor">The limit never goes below this (nor above <paramref name="ceiling"/>).</param>
    /// <param name="ceiling">The configured bound on probes in flight (descriptors).</param>
    public InFlightGovernor(int floor, int ceiling)
    {
        if (ceiling < 1) throw new ArgumentOutOfRangeException(nameof(ceiling), ceiling, "creating the in-flight governor: the bound must be at least 1");
        _ceiling = ceiling;
        _floor = Math.Clamp(floor, 1, ceiling);
        Limit = _floor;
    }

    /// <summary>Checks that may be in flight now.</summary>
    public int Limit { get; private set; }
    public long Decreases { get; private set; }

    /// <summary>
    /// A check finished. <paramref name="bound"/>: whether checks are waiting for the limit;
    /// <paramref name="usual"/>: the server's usual answer time before this one (null: not known yet).
    /// </summary>
    public void OnCompleted(CheckResult result, TimeSpan connectTimeout, bool bound, TimeSpan? usual, TimeSpan now)
    {
        if (!result.Succeeded) return;
        var inflated = usual is { } u && result.Duration > u * Inflation + InflationFloor;
        if (inflated || result.Duration > connectTimeout / 4) Decrease(now);
        else if (bound && result.Duration < connectTimeout / 10 && Limit < _ceiling) Limit++;
    }

    /// <summary>The server's usual answer time after one more success: a moving average that forgets in about 8 checks.</summary>
    public static TimeSpan Usual(TimeSpan? usual, TimeSpan duration) =>
        usual is { } u ? u + (duration - u) / 8 : duration;

    /// <summary>The health loop woke <paramref name="lag"/> after it meant to.</summary>
    public void OnLoopLag(TimeSpan lag, TimeSpan now)
    {
        if (lag > LagBound) Decrease(now);
    }

    private void Decrease(TimeSpan now)
    {
        if (_lastDecrease is { } last && now - last < Calm) return;
        _lastDecrease = now;
        var next = Math.Max(_floor, Limit * 7 / 10);
        if (next == Limit) return;
        Limit = next;
        Decreases++;
    }
}
