using System.Text;

namespace Appliance.Health;

/// <summary>
/// The operator's table of real servers (for <c>appliance health</c>, the console and the
/// daemon's status query): one line per real server, grouped by virtual service.
/// </summary>
public static class HealthReportFormatter
{
    public static string Format(HealthReport report)
    {
        var rows = new List<string[]> { new[] { "VIRTUAL SERVER", "REAL SERVER", "STATE", "FOR", "IN TABLE", "OK", "FAILED", "LAST RESULT" } };
        VirtualServerKey? previous = null;
        foreach (var s in report.Servers)
        {
            var service = s.Key.Service.Equals(previous) ? "" : s.Key.Service.ToString();
            previous = s.Key.Service;
            var state = (s.Up, s.Checked) switch
            {
                (true, true) => "UP",
                (true, false) => "UP (unchecked)",
                (false, true) => "DOWN",
                (false, false) => "DOWN (unchecked)",
            };
            if (s.Up && s.ConsecutiveFailures > 0) state = $"UP ({s.ConsecutiveFailures} failed, retrying)";
            if (!s.Up && s.ConsecutiveSuccesses > 0) state = $"DOWN ({s.ConsecutiveSuccesses} ok, rising)";
            var inTable = s.InTable ? $"weight {s.EffectiveWeight}" + (s.Up ? "" : " (inhibited)") : "no";
            if (s.InTable && !s.Up) inTable = "weight 0 (inhibited)";
            rows.Add([service, s.Key.Address.ToString(), state, Age(report.Now - s.Since), inTable,
                s.Successes.ToString(), s.Failures.ToString(), s.Last?.Reason ?? (s.Checked ? "" : "not checked yet")]);
        }
        foreach (var vs in report.Table.Services)
            foreach (var d in vs.Destinations.Where(d => d.IsSorryServer))
                rows.Add([vs.Key.ToString(), d.Address.ToString(), "SORRY", "", d.Present ? $"weight {d.Weight}" : "no", "", "", d.Why]);

        var widths = new int[rows[0].Length];
        foreach (var row in rows)
            for (var i = 0; i < row.Length - 1; i++) widths[i] = Math.Max(widths[i], row[i].Length);
        var sb = new StringBuilder();
        foreach (var row in rows)
        {
            for (var i = 0; i < row.Length - 1; i++) sb.Append(row[i].PadRight(widths[i] + 2));
            sb.Append(row[^1]).Append('\n');
        }
        var up = report.Servers.Count(s => s.Up);
        sb.Append($"{report.Servers.Count} real servers: {up} up, {report.Servers.Count - up} down");
        var lost = new List<string>();
        foreach (var s in report.Table.Services) if (!s.QuorumUp) lost.Add(s.Key.ToString());
        if (lost.Count > 0) sb.Append($"; quorum lost: {string.Join(", ", lost)}");
        sb.Append('\n');
        return sb.ToString();
    }

    public static string Age(TimeSpan t) => t.TotalSeconds switch
    {
        < 0 => "0s",
        < 60 => $"{t.TotalSeconds:0.0}s",
        < 3600 => $"{(int)t.TotalMinutes}m{t.Seconds:00}s",
        < 86400 => $"{(int)t.TotalHours}h{t.Minutes:00}m",
        _ => $"{(int)t.TotalDays}d{t.Hours:00}h",
    };
}
