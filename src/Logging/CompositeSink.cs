namespace Appliance.Logging;

/// <summary>Writes each line to several sinks; one failing sink does not keep the line from the others.</summary>
public sealed class CompositeSink(IReadOnlyList<ILogSink> sinks) : ILogSink
{
    private long _failures;

    /// <summary>Writes a sink threw on (sinks built by <see cref="Logger.Create"/> are queued and never throw here).</summary>
    public long Failures => Interlocked.Read(ref _failures);

    public string Name => string.Join('+', sinks.Select(s => s.Name));

    public IReadOnlyList<ILogSink> Sinks => sinks;

    public void Write(in LogRecord record)
    {
        foreach (var sink in sinks)
        {
            try { sink.Write(record); }
            catch (Exception) { Interlocked.Increment(ref _failures); }
        }
    }

    public bool Flush(TimeSpan timeout)
    {
        var all = true;
        foreach (var sink in sinks) all &= sink.Flush(timeout);
        return all;
    }

    public void Dispose()
    {
        foreach (var sink in sinks) sink.Dispose();
    }
}
