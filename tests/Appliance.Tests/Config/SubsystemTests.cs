using System.Net;
using Appliance.Config;
using Xunit;
using static Appliance.Tests.Config.ConfigText;

namespace Appliance.Tests.Config;

public class SubsystemTests
{
    private const string Key = "0123456789abcdef0123";

    [Fact]
    public void Ipvs_timeouts()
    {
        var t = Valid_(Valid + "[ipvs]\ntimeout_tcp = 30\ntimeout_tcpfin = 10\ntimeout_udp = 30\n").IpvsTimeouts;
        Assert.Equal(new IpvsTimeouts(TimeSpan.FromSeconds(30), TimeSpan.FromSeconds(10), TimeSpan.FromSeconds(30)), t);
        OneError(Valid + "[ipvs]\ntimeout_tcp = 0\n", "timeout_tcp", "timeout_tcp: 0 is out of range 1s-");
        OneError(Valid + "[ipvs]\ntimeout_udp = 1.5\n", "timeout_udp", "finer than this setting's resolution of 1s");
    }

    [Fact]
    public void Connection_sync()
    {
        var s = Valid_(Valid + "[sync]\ninterface = eth2\nsyncid = 7\nsync_maxlen = 1400\nmcast_group = 224.0.0.81\nmcast_port = 8848\nmcast_ttl = 1\n" +
            "sync_threshold = 3\nsync_period = 0\nsync_refresh_period = 10\nsync_retries = 2\npreempt_wait_max = 30\n").Sync;
        Assert.Equal(new ConnectionSync(true, "eth2", 7, 1400, IPAddress.Parse("224.0.0.81"), 8848, 1, 3, 0, TimeSpan.FromSeconds(10), 2, TimeSpan.FromSeconds(30)), s);
        Assert.False(Valid_(Valid + "[sync]\nenabled = no\n").Sync.Enabled);
        OneError(Valid + "[sync]\nsyncid = 256\n", "syncid", "syncid: 256 is out of range 0-255");
        OneError(Valid + "[sync]\nsync_retries = 4\n", "sync_retries", "sync_retries: 4 is out of range 0-3");
        OneError(Valid + "[sync]\nmcast_group = 192.0.2.200\n", "mcast_group", "mcast_group: 192.0.2.200 is not a multicast address");
        OneError(Valid + "[sync]\nsync_threshold = 50\nsync_period = 50\n", "sync_threshold", "sync_threshold 50 must be smaller than sync_period 50");
        OneError(Valid + "[sync]\ninterface = 0123456789abcdef\n", "interface", "Linux allows at most 15");
    }

    [Fact]
    public void Serial_heartbeat()
    {
        var h = Valid_(Valid.Replace($"key = {Key}", $"key = {Key}\ndevice = /dev/ttyUSB0\nbaud = 9600\ninterval = 200ms\ndead_time = 2s")).SerialHeartbeat;
        Assert.Equal(("/dev/ttyUSB0", 9600, TimeSpan.FromMilliseconds(200), TimeSpan.FromSeconds(2)), (h.Device, h.Baud, h.Interval, h.DeadTime));
        OneError(With("[serial_heartbeat]", "baud = 14400"), "baud", "baud: '14400' is not a serial speed; use one of 1200, 2400");
        OneError(With("[serial_heartbeat]", "device = ttyS1"), "device", "device: 'ttyS1' is not a device path under /dev/");
        OneError(With("[serial_heartbeat]", "dead_time = 250"), "dead_time", "dead_time 250ms is less than 3 intervals of 100ms");
        OneError(With("[serial_heartbeat]", "interval = 5"), "interval", "interval: 5 is out of range 10ms-10s");
    }

    [Fact]
    public void Console_device_cannot_be_the_heartbeat_device()
    {
        var text = Valid + "[console]\ndevice = /dev/ttyS1\n";
        OneError(text, "device = /dev/ttyS1", "console device /dev/ttyS1 is also the serial heartbeat's device");
    }

    [Fact]
    public void Watchdog_and_leds()
    {
        var c = Valid_(Valid + "[watchdog]\nenabled = no\ndevice = /dev/watchdog1\ntimeout = 10\n[leds]\nmaster = director:green:master\nfault = input0::capslock\n");
        Assert.Equal(new WatchdogSettings(false, "/dev/watchdog1", TimeSpan.FromSeconds(10)), c.Watchdog);
        Assert.Equal(new FrontPanelLeds("director:green:master", null, "input0::capslock"), c.Leds);
        OneError(Valid + "[watchdog]\ntimeout = 61\n", "timeout", "timeout: 61 is out of range 1s-60s");
        OneError(Valid + "[watchdog]\ntimeout = 1.5\n", "timeout", "resolution of 1s");
        OneError(Valid + "[leds]\nmaster = ../../etc/passwd\n", "master", "master: '../../etc/passwd' is not an LED class device name");
    }

    [Fact]
    public void Secrets_are_never_shown()
    {
        const string hash = "$6$saltsalt$0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";
        var text = Valid + $"[console]\npassword_hash = {hash}\n";
        text = text.Replace("[vrrp_instance VI_1]\n", "[vrrp_instance VI_1]\nversion = 2\nauth_type = PASS\nauth_pass = vrrpPw1\n");
        var c = Valid_(text);
        Assert.Equal(hash, System.Text.Encoding.UTF8.GetString(c.Console.PasswordHash!.Reveal()));
        Assert.Equal(Key, System.Text.Encoding.UTF8.GetString(c.SerialHeartbeat.Key!.Reveal()));

        // Neither the summary nor the records' generated ToString may reveal a secret.
        foreach (var shown in new[] { c.Describe(), c.ToString(), c.SerialHeartbeat.ToString(), c.Console.ToString(), c.VrrpInstances[0].ToString() })
        {
            Assert.DoesNotContain(Key, shown);
            Assert.DoesNotContain("saltsalt", shown);
            Assert.DoesNotContain("vrrpPw1", shown);
        }
        Assert.Equal("(secret)", c.SerialHeartbeat.Key!.ToString());
    }

    [Fact]
    public void Bad_secrets_are_reported_without_their_value()
    {
        var e = OneError(Valid.Replace($"key = {Key}", "key = tooShortKey"), "key =", "key: the shared key is 11 bytes; use at least 16");
        Assert.DoesNotContain("tooShortKey", e.ToString());
        e = OneError(Valid + "[console]\npassword_hash = hunter2hunter2\n", "password_hash", "password_hash: not a crypt(3) hash");
        Assert.DoesNotContain("hunter2", e.ToString());
        OneError(Valid.Replace($"key = {Key}\n", "device = /dev/ttyS1\n"), "[serial_heartbeat]", "[serial_heartbeat]: missing required key 'key'");
    }

    [Fact]
    public void Secret_equality_compares_content()
    {
        Assert.Equal(new Secret("abc"), new Secret("abc"));
        Assert.NotEqual(new Secret("abc"), new Secret("abd"));
    }

    [Fact]
    public void Summary_names_every_part()
    {
        var d = Valid_(Valid).Describe();
        foreach (var part in new[] { "node director-a (id 1)", "vrrp_instance VI_1: VRRPv3 IPv4, vrid 51 on eth1, priority 150", "192.0.2.10/24 dev eth0",
                     "virtual_server web: TCP 192.0.2.10:80, wlc, NAT", "real_server web1: 198.51.100.11:80 weight 1, HTTP_GET /healthz expecting 200-299",
                     "ipvs timeouts: tcp 900s, tcpfin 120s, udp 300s", "connection sync: on eth1", "serial heartbeat: /dev/ttyS1 115200 baud, interval 100ms, dead time 1s, key set",
                     "watchdog: /dev/watchdog, timeout 2s", "console: /dev/ttyS0" })
            Assert.Contains(part, d);
    }
}
