using System.Collections.Concurrent;
using System.Net.Sockets;
using System.Text;
using Appliance.Logging;
using Xunit;

namespace Appliance.Tests.Logging;

/// <summary>A sink that remembers what it got and can be made to hang or throw.</summary>
internal sealed class RecordingSink : ILogSink
{
    public ConcurrentQueue<LogRecord> Records { get; } = new();
    public ManualResetEventSlim Entered { get; } = new();
    public ManualResetEventSlim Release { get; } = new(initialState: true);
    public Func<LogRecord, bool> Throws { get; set; } = _ => false;
    public string Name => "recording";

    public void Write(in LogRecord record)
    {
        Entered.Set();
        if (!Release.Wait(TimeSpan.FromSeconds(30))) throw new TimeoutException("test never released the sink");
        if (Throws(record)) throw new IOException("disk on fire");
        Records.Enqueue(record);
    }

    public void Dispose() { }
}

public class LoggerTests : IDisposable
{
    private static readonly DateTimeOffset T = new(2026, 11, 22, 4, 0, 0, TimeSpan.Zero);
    private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("appliance-logger-");

    public void Dispose() => _dir.Delete(recursive: true);

    [Fact]
    public void Lines_below_the_minimum_level_are_not_written()
    {
        var sink = new RecordingSink();
        var log = new Logger(sink, LogLevel.Notice, new FixedTime(T));
        log.Info("daemon", "chatter");
        log.Debug("daemon", "more chatter");
        log.Warning("vrrp", "advert late");
        log.Notice("vrrp", "state change");

        Assert.Equal(["advert late", "state change"], sink.Records.Select(r => r.Message));
        Assert.False(log.IsEnabled(LogLevel.Info));
        log.Minimum = LogLevel.Debug;
        Assert.True(log.IsEnabled(LogLevel.Debug));
    }

    [Fact]
    public void A_registered_secret_is_scrubbed_from_every_line()
    {
        var sink = new RecordingSink();
        var log = new Logger(sink, LogLevel.Debug, new FixedTime(T));
        log.AddRedaction("s3cr3t-heartbeat-key");
        log.AddRedaction("ab"); // too short to scrub without garbling lines

        log.Error("config", "/boot/appliance.ini:12: unknown key 'notify' = 's3cr3t-heartbeat-key'");
        log.Info("peerlink", "a b ab");

        var lines = sink.Records.Select(r => r.Message).ToList();
        Assert.Equal("/boot/appliance.ini:12: unknown key 'notify' = '(secret)'", lines[0]);
        Assert.Equal("a b ab", lines[1]);
    }

    [Fact]
    public void A_secret_value_prints_as_secret_in_interpolation()
    {
        var key = new Appliance.Config.Secret("s3cr3t-heartbeat-key");
        var sink = new RecordingSink();
        var log = new Logger(sink, LogLevel.Debug, new FixedTime(T));

        log.Info("peerlink", $"using key {key} on /dev/ttyS1");

        Assert.Equal("using key (secret) on /dev/ttyS1", Assert.Single(sink.Records).Message);
        Assert.Equal(Logger.Redacted, key.ToString());
    }

    [Fact]
    public void Control_characters_cannot_forge_a_second_line()
    {
        var sink = new RecordingSink();
        var log = new Logger(sink, LogLevel.Debug, new FixedTime(T));
        log.Warning("vrrp", "peer name 'evil\n2026-11-22T04:00:00.000Z error   vrrp: fake'\x1b[31m");
        Assert.Equal("peer name 'evil\\n2026-11-22T04:00:00.000Z error   vrrp: fake'\\x1b[31m", Assert.Single(sink.Records).Message);
    }

    [Fact]
    public void A_stuck_sink_never_blocks_the_writer_and_reports_what_it_dropped()
    {
        var inner = new RecordingSink();
        inner.Release.Reset();
        using var queued = new QueuedSink(inner, new FixedTime(T), capacity: 4);

        queued.Write(new LogRecord(T, LogLevel.Info, "t", "0"));
        Assert.True(inner.Entered.Wait(TimeSpan.FromSeconds(10)), "the writer thread never picked up the first line");
        for (var i = 1; i < 10; i++) queued.Write(new LogRecord(T, LogLevel.Info, "t", i.ToString(System.Globalization.CultureInfo.InvariantCulture)));

        Assert.Equal(5, queued.Dropped); // one in the stuck sink, four queued, five lost
        inner.Release.Set();
        Assert.True(queued.Flush(TimeSpan.FromSeconds(10)));
        Assert.Equal(["0", "5 lines dropped: the recording log could not keep up", "1", "2", "3", "4"], inner.Records.Select(r => r.Message));
    }

    [Fact]
    public void A_sink_that_throws_is_counted_and_later_lines_still_arrive()
    {
        var inner = new RecordingSink { Throws = r => r.Message == "bad" };
        using var queued = new QueuedSink(inner, new FixedTime(T));
        queued.Write(new LogRecord(T, LogLevel.Info, "t", "bad"));
        queued.Write(new LogRecord(T, LogLevel.Info, "t", "good"));

        Assert.True(queued.Flush(TimeSpan.FromSeconds(10)));
        Assert.Equal(1, queued.Failures);
        Assert.Equal("recording: disk on fire", queued.LastFailure);
        Assert.Equal("good", Assert.Single(inner.Records).Message);
    }

    [Fact]
    public void Auto_without_a_syslogd_chooses_the_kernel_log()
    {
        var kmsg = Path.Combine(_dir.FullName, "kmsg");
        File.WriteAllBytes(kmsg, []);
        var stderr = new StringWriter();
        var (log, description) = Logger.Create(LogTarget.Auto, LogLevel.Info, stderr, new FixedTime(T),
            kmsgPath: kmsg, syslogPath: Path.Combine(_dir.FullName, "no-log"));
        using (log)
        {
            log.Info("daemon", "hello");
            Assert.True(log.Flush(TimeSpan.FromSeconds(10)));
        }
        Assert.Equal($"logging at info to stderr, kernel log {kmsg}", description);
        Assert.Equal("<6>appliance: daemon: hello\n", File.ReadAllText(kmsg));
        Assert.Equal("2026-11-22T04:00:00.000Z info    daemon: hello" + Environment.NewLine, stderr.ToString());
    }

    [Fact]
    public void Auto_with_a_syslogd_sends_there_and_not_to_the_kernel_log()
    {
        var kmsg = Path.Combine(_dir.FullName, "kmsg");
        File.WriteAllBytes(kmsg, []);
        var socketPath = Path.Combine(_dir.FullName, "log");
        using var syslogd = new Socket(AddressFamily.Unix, SocketType.Dgram, ProtocolType.Unspecified);
        syslogd.Bind(new UnixDomainSocketEndPoint(socketPath));
        syslogd.ReceiveTimeout = 10_000;

        var (log, description) = Logger.Create(LogTarget.Auto, LogLevel.Info, new StringWriter(), new FixedTime(T), kmsg, socketPath);
        using (log)
        {
            log.AddRedaction("hunter2hunter2");
            log.Error("peerlink", "frame authenticated with hunter2hunter2 failed");
            Assert.True(log.Flush(TimeSpan.FromSeconds(10)));
        }
        var buf = new byte[1024];
        var datagram = Encoding.UTF8.GetString(buf, 0, syslogd.Receive(buf));
        Assert.Equal($"<27>Nov 22 04:00:00 appliance[{Environment.ProcessId}]: peerlink: frame authenticated with (secret) failed", datagram);
        Assert.Equal("", File.ReadAllText(kmsg));
        Assert.Contains("syslog socket", description);
    }

    [Fact]
    public void Level_names_parse_as_operators_write_them()
    {
        Assert.True(LogLevels.TryParse("WARN", out var w));
        Assert.Equal(LogLevel.Warning, w);
        Assert.True(LogLevels.TryParse("debug", out var d));
        Assert.Equal(LogLevel.Debug, d);
        Assert.False(LogLevels.TryParse("verbose", out _));
        Assert.Equal("notice", LogLevels.Name(LogLevel.Notice));
    }
}
