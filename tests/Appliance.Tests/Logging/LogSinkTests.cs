using System.Net.Sockets;
using System.Text;
using Appliance.Logging;
using Xunit;

namespace Appliance.Tests.Logging;

public class LogSinkTests : IDisposable
{
    private static readonly DateTimeOffset T = new(2026, 11, 2, 3, 58, 59, 123, TimeSpan.Zero);
    private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("appliance-log-");

    public void Dispose() => _dir.Delete(recursive: true);

    [Fact]
    public void Stderr_lines_have_utc_time_level_and_component()
    {
        var w = new StringWriter();
        new StderrSink(w).Write(new LogRecord(T, LogLevel.Warning, "vrrp", "VI_1: advert from 10.0.0.2 has a bad TTL"));
        Assert.Equal("2026-11-02T03:58:59.123Z warning vrrp: VI_1: advert from 10.0.0.2 has a bad TTL" + Environment.NewLine, w.ToString());
    }

    [Fact]
    public void Kmsg_records_carry_the_level_prefix_one_write_each()
    {
        var path = Path.Combine(_dir.FullName, "kmsg");
        File.WriteAllBytes(path, []);
        using (var sink = KmsgSink.Open(path))
        {
            sink.Write(new LogRecord(T, LogLevel.Info, "daemon", "loaded configuration from /boot/appliance.ini"));
            sink.Write(new LogRecord(T, LogLevel.Error, "ipvs", "adding service: EEXIST"));
        }
        Assert.Equal("<6>appliance: daemon: loaded configuration from /boot/appliance.ini\n<3>appliance: ipvs: adding service: EEXIST\n", File.ReadAllText(path));
    }

    [Fact]
    public void A_long_kmsg_record_is_cut_visibly_on_a_utf8_boundary()
    {
        var bytes = KmsgSink.Format(new LogRecord(T, LogLevel.Info, "x", new string('é', 2000)));
        Assert.True(bytes.Length <= KmsgSink.MaxRecordBytes);
        var text = Encoding.UTF8.GetString(bytes);
        Assert.EndsWith(" [truncated]\n", text);
        Assert.DoesNotContain('\uFFFD', text);
    }

    [Fact]
    public void Kmsg_sink_on_a_missing_device_says_which_and_why()
    {
        var e = Assert.Throws<Appliance.Interop.ErrnoException>(() => KmsgSink.Open("/nonexistent/kmsg"));
        Assert.Equal("opening /nonexistent/kmsg for the kernel log: ENOENT (No such file or directory)", e.Message);
    }

    [Fact]
    [Trait("Category", "Host")] // writes one line to the host's kernel log
    public void The_real_kernel_log_receives_the_record()
    {
        var token = Guid.NewGuid().ToString("N");
        using (var sink = KmsgSink.Open())
            sink.Write(new LogRecord(T, LogLevel.Notice, "test", token));

        // Reading /dev/kmsg returns one record per read: "PRI,SEQ,USEC,FLAGS;TEXT".
        var fd = Appliance.Interop.Libc.open("/dev/kmsg", Appliance.Interop.Libc.O_RDONLY | Appliance.Interop.Libc.O_NONBLOCK);
        Assert.True(fd >= 0, Appliance.Interop.Errno.Describe(Appliance.Interop.Errno.Last));
        try
        {
            var buf = new byte[8192];
            string? found = null;
            while (found is null)
            {
                var n = Appliance.Interop.Libc.read(fd, buf);
                if (n < 0 && Appliance.Interop.Errno.Last == Appliance.Interop.Libc.EPIPE) continue; // overwritten records: keep reading
                if (n <= 0) break;
                var record = Encoding.UTF8.GetString(buf, 0, (int)n);
                if (record.Contains(token)) found = record;
            }
            Assert.NotNull(found);
            // Facility user (1) * 8 + notice (5); the text as the sink wrote it.
            Assert.StartsWith("13,", found);
            Assert.Contains($";appliance: test: {token}", found);
        }
        finally
        {
            Appliance.Interop.Libc.close(fd);
        }
    }

    private Socket BindSyslog(string path)
    {
        var s = new Socket(AddressFamily.Unix, SocketType.Dgram, ProtocolType.Unspecified);
        s.Bind(new UnixDomainSocketEndPoint(path));
        return s;
    }

    private static string Receive(Socket s)
    {
        var buf = new byte[4096];
        s.ReceiveTimeout = 10_000;
        return Encoding.UTF8.GetString(buf, 0, s.Receive(buf));
    }

    [Fact]
    public void Syslog_datagrams_follow_rfc3164_with_facility_daemon()
    {
        var path = Path.Combine(_dir.FullName, "log");
        using var syslogd = BindSyslog(path);
        using var sink = new SyslogSink(path, new FixedTime(T), pid: 4242);

        sink.Write(new LogRecord(T, LogLevel.Info, "daemon", "loaded configuration from /boot/appliance.ini"));
        sink.Write(new LogRecord(T.AddDays(10), LogLevel.Error, "vrrp", "bind failed"));

        Assert.Equal("<30>Nov  2 03:58:59 appliance[4242]: daemon: loaded configuration from /boot/appliance.ini", Receive(syslogd));
        Assert.Equal("<27>Nov 12 03:58:59 appliance[4242]: vrrp: bind failed", Receive(syslogd));
        Assert.Equal(0, sink.Dropped);
    }

    [Fact]
    public async Task A_syslogd_that_stops_reading_costs_dropped_lines_not_a_blocked_writer()
    {
        var path = Path.Combine(_dir.FullName, "log");
        using var syslogd = BindSyslog(path);
        using var sink = new SyslogSink(path, new FixedTime(T), pid: 1);
        const int sent = 5000;

        var writer = Task.Run(() =>
        {
            for (var i = 0; i < sent; i++) sink.Write(new LogRecord(T, LogLevel.Info, "t", $"line {i}"));
        });
        Assert.True(await Task.WhenAny(writer, Task.Delay(TimeSpan.FromSeconds(20))) == writer, "the syslog sink blocked on a full socket");
        Assert.True(sink.Dropped > 0, "the receive queue never filled: the test proves nothing");

        var received = 0;
        syslogd.Blocking = false;
        var buf = new byte[512];
        while (true)
        {
            try { syslogd.Receive(buf); received++; }
            catch (SocketException e) when (e.SocketErrorCode == SocketError.WouldBlock) { break; }
        }
        Assert.Equal(sent, received + sink.Dropped);
    }

    [Fact]
    public void A_restarted_syslogd_is_reconnected()
    {
        var path = Path.Combine(_dir.FullName, "log");
        var first = BindSyslog(path);
        using var sink = new SyslogSink(path, new FixedTime(T), pid: 1);
        sink.Write(new LogRecord(T, LogLevel.Info, "t", "before"));
        Assert.EndsWith("before", Receive(first));

        first.Dispose();
        File.Delete(path);
        using var second = BindSyslog(path);
        sink.Write(new LogRecord(T, LogLevel.Info, "t", "after"));

        Assert.EndsWith("after", Receive(second));
        Assert.Equal(0, sink.Dropped);
    }
}
