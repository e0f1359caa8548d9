using System.Diagnostics;

namespace Appliance.Core;

/// <summary>
/// The one monotonic clock. Pure cores never read it: they take <c>now</c> as an argument.
/// Shells read it and pass it in; tests use a fake.
/// </summary>
public interface IClock
{
    /// <summary>Monotonic time since an arbitrary origin (never goes back, unaffected by wall-clock changes).</summary>
    TimeSpan Now { get; }
}

/// <summary>The system's monotonic clock (CLOCK_MONOTONIC through Stopwatch).</summary>
public sealed class MonotonicClock : IClock
{
    public TimeSpan Now => TimeSpan.FromTicks(Stopwatch.GetTimestamp() * TimeSpan.TicksPerSecond / Stopwatch.Frequency);
}
