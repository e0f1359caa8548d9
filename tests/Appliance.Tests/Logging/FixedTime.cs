namespace Appliance.Tests.Logging;

/// <summary>A wall clock that says what the test wants, in UTC.</summary>
internal sealed class FixedTime(DateTimeOffset now) : TimeProvider
{
    public DateTimeOffset Now { get; set; } = now;
    public override DateTimeOffset GetUtcNow() => Now;
    public override TimeZoneInfo LocalTimeZone => TimeZoneInfo.Utc;
}

/// <summary>Waits for a condition with a bound; fails with a message saying what never happened.</summary>
internal static class Eventually
{
    public static void True(Func<bool> condition, string what, TimeSpan? bound = null)
    {
        var deadline = DateTime.UtcNow + (bound ?? TimeSpan.FromSeconds(10));
        using var tick = new ManualResetEventSlim();
        while (!condition())
        {
            if (DateTime.UtcNow > deadline) throw new Xunit.Sdk.XunitException($"timed out after {(bound ?? TimeSpan.FromSeconds(10)).TotalSeconds} s waiting for: {what}");
            tick.Wait(10); // polling interval, not a sleep the result depends on
        }
    }
}
