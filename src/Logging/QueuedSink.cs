using System.Threading.Channels;

namespace Appliance.Logging;

/// <summary>
/// Puts a bounded queue and a writer thread in front of a sink, so a slow or stuck sink (a
/// full stderr pipe, a syslogd that stopped reading) costs the event loop one queue insert.
/// When the queue is full the line is dropped and counted; once the sink catches up it says
/// how many it lost. A sink that throws is counted too and never takes the daemon down.
/// </summary>
public sealed class QueuedSink : ILogSink
{
    private readonly ILogSink _inner;
    private readonly TimeProvider _time;
    private readonly Channel<LogRecord> _queue;
    private readonly Thread _writer;
    private readonly object _progress = new();
    private long _accepted, _written, _dropped, _reportedDropped, _failures;
    private string? _lastFailure;

    public QueuedSink(ILogSink inner, TimeProvider time, int capacity = 1024)
    {
        _inner = inner;
        _time = time;
        _queue = Channel.CreateBounded<LogRecord>(new BoundedChannelOptions(capacity)
        {
            FullMode = BoundedChannelFullMode.Wait, // with TryWrite: false when full, i.e. drop here and count
            SingleReader = true,
        });
        _writer = new Thread(Drain) { IsBackground = true, Name = $"log-{inner.Name}" };
        _writer.Start();
    }

    public string Name => _inner.Name;

    /// <summary>Lines lost because the queue was full.</summary>
    public long Dropped => Interlocked.Read(ref _dropped);

    /// <summary>Lines the sink threw on (the line is lost; the reason is in <see cref="LastFailure"/>).</summary>
    public long Failures => Interlocked.Read(ref _failures);

    public string? LastFailure => Volatile.Read(ref _lastFailure);

    public void Write(in LogRecord record)
    {
        if (_queue.Writer.TryWrite(record)) Interlocked.Increment(ref _accepted);
        else Interlocked.Increment(ref _dropped);
    }

    public bool Flush(TimeSpan timeout)
    {
        var target = Interlocked.Read(ref _accepted);
        var deadline = _time.GetTimestamp() + (long)(timeout.TotalSeconds * _time.TimestampFrequency);
        lock (_progress)
        {
            while (Interlocked.Read(ref _written) < target)
            {
                var left = _time.GetElapsedTime(_time.GetTimestamp(), deadline);
                if (left <= TimeSpan.Zero || !_writer.IsAlive) return false;
                Monitor.Wait(_progress, left);
            }
        }
        return _inner.Flush(timeout);
    }

    private void Drain()
    {
        var reader = _queue.Reader;
        while (reader.WaitToReadAsync().AsTask().GetAwaiter().GetResult())
        {
            while (reader.TryRead(out var record))
            {
                var dropped = Interlocked.Read(ref _dropped);
                if (dropped > _reportedDropped)
                {
                    WriteInner(new LogRecord(_time.GetUtcNow(), LogLevel.Warning, "log",
                        $"{dropped - _reportedDropped} lines dropped: the {_inner.Name} log could not keep up"));
                    _reportedDropped = dropped;
                }
                WriteInner(record);
                lock (_progress)
                {
                    Interlocked.Increment(ref _written);
                    Monitor.PulseAll(_progress);
                }
            }
        }
    }

    private void WriteInner(in LogRecord record)
    {
        try
        {
            _inner.Write(record);
        }
        catch (Exception e)
        {
            Interlocked.Increment(ref _failures);
            Volatile.Write(ref _lastFailure, $"{_inner.Name}: {e.Message}");
        }
    }

    public void Dispose()
    {
        _queue.Writer.TryComplete();
        _writer.Join(TimeSpan.FromSeconds(2));
        _inner.Dispose();
    }
}
