using System.Net;
using Appliance.Cli;
using Appliance.Config;
using Appliance.Health;
using Xunit;

namespace Appliance.Tests.Health;

public class HealthConfigMappingTests
{
    internal static string Ini(string servers) => $$"""
        [global]
        node_name = director-a
        node_id = 1
        public_interface = eth0
        heartbeat_interface = eth1

        [vrrp_instance VI_1]
        virtual_router_id = 51
        priority = 150
        advert_int = 1
        virtual_ipaddress = 192.0.2.10/24

        [serial_heartbeat]
        key = 0123456789abcdef0123

        {{servers}}
        """;

    [Fact]
    public void Keepalived_check_keys_map_to_runtime_settings()
    {
        var r = ConfigLoader.Parse(Ini("""
            [virtual_server web]
            address = 192.0.2.10
            port = 443
            check = SSL_GET
            url_path = /healthz
            status_code = 200, 300-302
            virtualhost = www.example.test
            body_contains = ready
            delay_loop = 2
            connect_timeout = 0.5
            nb_get_retry = 3
            delay_before_retry = 0.25
            warmup = 0
            rise = 2
            quorum = 2
            hysteresis = 1
            alpha = yes
            sorry_server = 10.9.9.9 80

            [real_server a]
            virtual_server = web
            address = 10.0.0.12
            port = 443
            weight = 7
            inhibit_on_failure = yes
            connect_port = 8443

            [virtual_server misc]
            address = 192.0.2.10
            port = 25

            [real_server b]
            virtual_server = misc
            address = 10.0.0.13
            port = 25
            check = MISC_CHECK
            misc_path = /usr/lib/check "two words" x
            misc_timeout = 4
            misc_dynamic = yes
            """), "t.ini");
        Assert.True(r.Errors.Count == 0, string.Join("\n", r.Errors));
        var model = HealthConfigMapping.FromConfig(r.Config!);
        Assert.Equal(2, model.VirtualServers.Count);
        var vs = model.VirtualServers[0];
        Assert.Equal("TCP 192.0.2.10:443", vs.Key.ToString());
        Assert.Equal((2, 1, true), (vs.Quorum, vs.Hysteresis, vs.Alpha));
        Assert.Equal(IPEndPoint.Parse("10.9.9.9:80"), vs.SorryServer!.Address);

        var a = vs.RealServers[0];
        Assert.Equal((7, true), (a.Weight, a.InhibitOnFailure));
        var c = a.Check!;
        Assert.Equal(CheckKind.Https, c.Kind);
        Assert.Equal(IPEndPoint.Parse("10.0.0.12:8443"), c.Target);
        Assert.Equal((TimeSpan.FromSeconds(2), TimeSpan.FromMilliseconds(500), 3, TimeSpan.FromMilliseconds(250), TimeSpan.Zero, 2),
            (c.DelayLoop, c.ConnectTimeout, c.Retry, c.DelayBeforeRetry, c.Warmup, c.Rise));
        Assert.Equal(4, c.FailuresToDown);
        Assert.Equal("/healthz", c.Http!.Path);
        Assert.Equal([new StatusRange(200, 200), new StatusRange(300, 302)], c.Http.StatusCodes);
        Assert.Equal(("www.example.test", "ready", false), (c.Http.Host, c.Http.Expect, c.Http.VerifyCertificate));

        var b = model.VirtualServers[1].RealServers[0].Check!;
        Assert.Equal(CheckKind.Script, b.Kind);
        Assert.Equal("/usr/lib/check", b.Script!.Path);
        Assert.Equal(["two words", "x"], b.Script.Arguments);
        Assert.True(b.Script.Dynamic);
        Assert.Equal(TimeSpan.FromSeconds(4), b.ConnectTimeout); // misc_timeout
    }

    [Fact]
    public void A_real_server_without_a_check_has_no_checker()
    {
        var r = ConfigLoader.Parse(Ini("""
            [virtual_server dns]
            address = 192.0.2.10
            port = 53
            protocol = UDP

            [real_server a]
            virtual_server = dns
            address = 10.0.0.12
            port = 53
            """), "t.ini");
        Assert.True(r.Errors.Count == 0, string.Join("\n", r.Errors));
        var vs = Assert.Single(HealthConfigMapping.FromConfig(r.Config!).VirtualServers);
        Assert.Equal("UDP 192.0.2.10:53", vs.Key.ToString());
        Assert.Null(vs.RealServers[0].Check);
    }
}

[Trait("Category", "Host")]
public sealed class HealthVerbHostTests : IDisposable
{
    private static readonly IPAddress Ip = Loopback.Address(4, 1);
    private readonly string _file = Path.GetTempFileName();

    public void Dispose() => File.Delete(_file);

    private static (int Code, string Out, string Err) Invoke(params string[] args)
    {
        var o = new StringWriter();
        var e = new StringWriter();
        var code = CommandLine.Run(args, new VerbContext(o, e));
        return (code, o.ToString(), e.ToString());
    }

    private static string RealServer(string name, IPEndPoint at) => $"""
        [real_server {name}]
        virtual_server = web
        address = {at.Address}
        port = {at.Port}

        """;

    [Fact]
    public async Task Health_check_once_probes_every_real_server_and_prints_state_and_reason()
    {
        await using var good = new TestHttpServer(Ip);
        await using var sick = new TestHttpServer(Ip) { Status = 503 };
        var dead = Loopback.Refusing(Ip);
        File.WriteAllText(_file, HealthConfigMappingTests.Ini($"""
            [virtual_server web]
            address = 192.0.2.10
            port = 80
            check = HTTP_GET
            url_path = /health
            connect_timeout = 5

            {RealServer("good", good.Endpoint)}
            {RealServer("sick", sick.Endpoint)}
            {RealServer("dead", dead)}
            """));
        var (code, output, err) = Invoke("health", "check", "--config", _file, "--once");
        Assert.True(code == HealthCheckVerb.SomeDown, $"exit {code}; stderr: {err}\n{output}");
        var lines = output.Split('\n');
        Assert.StartsWith("VIRTUAL SERVER", lines[0]);
        Assert.Matches($@"^TCP 192\.0\.2\.10:80 +{Esc(good.Endpoint)} +UP +[0-9.]+s +weight 1 +1 +0 +HTTP 200 from {Esc(good.Endpoint)} after ", lines[1]);
        Assert.Matches($@"^ +{Esc(sick.Endpoint)} +DOWN +[0-9.]+s +no +0 +1 +HTTP 503 from {Esc(sick.Endpoint)} after ", lines[2]);
        Assert.Matches($@"^ +{Esc(dead)} +DOWN +[0-9.]+s +no +0 +1 +connect to {Esc(dead)} refused$", lines[3]);
        Assert.Equal("3 real servers: 1 up, 2 down", lines[4]);

        sick.Status = 200;
        File.WriteAllText(_file, File.ReadAllText(_file).Replace(RealServer("dead", dead), ""));
        Assert.Equal(0, Invoke("health", "check", "--config", _file).Code);
    }

    [Fact]
    public void Health_check_duration_runs_the_hysteresis_retry_then_down()
    {
        var dead = Loopback.Refusing(Ip);
        File.WriteAllText(_file, HealthConfigMappingTests.Ini($"""
            [virtual_server web]
            address = 192.0.2.10
            port = 80
            check = TCP_CHECK
            delay_loop = 0.2
            retry = 1
            delay_before_retry = 0.1
            warmup = 0

            {RealServer("dead", dead)}
            """));
        // Two failed checks 0.1 s apart make it DOWN; 4 s leaves a loaded CI machine room for the first ones (1.5 s was flaky there).
        var (code, output, err) = Invoke("health", "check", "--config", _file, "--duration", "4");
        Assert.True(code == HealthCheckVerb.SomeDown, $"exit {code}; stderr: {err}\n{output}");
        var last = output.Split("VIRTUAL SERVER")[^1];
        Assert.Matches($@"{Esc(dead)} +DOWN +[0-9.]+s +no +0 +[0-9]+ +connect to {Esc(dead)} refused", last);
        Assert.Contains($"real server {dead} of TCP 192.0.2.10:80 is DOWN: connect to {dead} refused", err);
    }

    [Fact]
    public void An_invalid_configuration_is_refused_with_its_errors()
    {
        File.WriteAllText(_file, "[virtual_server web]\nbogus_key = 1\n");
        var (code, _, err) = Invoke("health", "check", "--config", _file);
        Assert.Equal(CheckConfigVerb.Invalid, code);
        Assert.Contains("bogus_key", err);
        Assert.Equal(CheckConfigVerb.Unreadable, Invoke("health", "check", "--config", _file + ".absent").Code);
    }

    private static string Esc(IPEndPoint e) => System.Text.RegularExpressions.Regex.Escape(e.ToString());
}
