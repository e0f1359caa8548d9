using System.Net;
using Appliance.Config;
using Appliance.Core;

namespace Appliance.Health;

/// <summary>
/// The validated configuration (user-facing schema, src/Config) turned into the runtime values the
/// checkers and the hysteresis core run on. One place, so every key's effect is visible here.
/// </summary>
public static class HealthConfigMapping
{
    public static HealthModel FromConfig(ApplianceConfig config) =>
        new(config.VirtualServers.Select(FromVirtualServer).ToList());

    public static VirtualServerKey KeyOf(VirtualServer vs) => vs.IsFirewallMark
        ? VirtualServerKey.Mark(vs.FirewallMark)
        : new VirtualServerKey(vs.Protocol.ToString().ToUpperInvariant(), new IPEndPoint(vs.Address!, vs.Port));

    public static VirtualServerSpec FromVirtualServer(VirtualServer vs) => new()
    {
        Key = KeyOf(vs),
        RealServers = vs.RealServers.Select(FromRealServer).ToList(),
        // keepalived's sorry server carries no weight of its own; IPVS needs one above 0 to use it.
        SorryServer = vs.SorryServer is { } s ? new RealServerSpec { Address = new IPEndPoint(s.Address, s.Port), Weight = 1, InhibitOnFailure = s.Inhibit } : null,
        Quorum = vs.Quorum,
        Hysteresis = vs.Hysteresis,
        Alpha = vs.Alpha,
        Omega = vs.Omega,
        QuorumUp = vs.QuorumUp,
        QuorumDown = vs.QuorumDown,
    };

    public static RealServerSpec FromRealServer(RealServer rs) => new()
    {
        Address = new IPEndPoint(rs.Address, rs.Port),
        Weight = rs.Weight,
        InhibitOnFailure = rs.InhibitOnFailure,
        Check = rs.Check.Kind == HealthCheckKind.None ? null : FromCheck(rs.Check, rs),
    };

    public static CheckSettings FromCheck(HealthCheck c, RealServer rs)
    {
        var kind = c.Kind switch
        {
            HealthCheckKind.TcpCheck => CheckKind.Tcp,
            HealthCheckKind.HttpGet => CheckKind.Http,
            HealthCheckKind.SslGet => CheckKind.Https,
            HealthCheckKind.MiscCheck => CheckKind.Script,
            HealthCheckKind.DnsCheck => CheckKind.Dns,
            _ => throw new ArgumentOutOfRangeException(nameof(c), c.Kind, $"mapping the check of real server {rs}: unknown kind"),
        };
        ScriptCheckSettings? script = null;
        if (kind == CheckKind.Script)
        {
            var words = CommandWords.Split(c.MiscPath ?? throw new ArgumentException($"mapping the check of real server {rs}: MISC_CHECK without misc_path"));
            script = new ScriptCheckSettings { Path = words[0], Arguments = words.Skip(1).ToList(), Dynamic = c.MiscDynamic };
        }
        return new CheckSettings
        {
            Kind = kind,
            Target = new IPEndPoint(c.ConnectIp ?? rs.Address, c.ConnectPort ?? rs.Port),
            DelayLoop = c.DelayLoop,
            // MISC_CHECK has misc_timeout instead of connect_timeout; both bound the whole check.
            ConnectTimeout = kind == CheckKind.Script ? c.MiscTimeout : c.ConnectTimeout,
            Retry = c.Retry,
            DelayBeforeRetry = c.DelayBeforeRetry,
            Warmup = c.Warmup,
            Rise = c.Rise,
            Fall = c.Fall,
            Http = kind is CheckKind.Http or CheckKind.Https
                ? new HttpCheckSettings
                {
                    Path = c.UrlPath,
                    StatusCodes = StatusRanges(c.StatusCodes),
                    Host = c.VirtualHost,
                    Digest = c.Digest,
                    Expect = c.BodyContains,
                    VerifyCertificate = c.TlsVerify,
                }
                : null,
            Script = script,
            Dns = kind == CheckKind.Dns ? new DnsCheckSettings { Name = c.DnsName, Type = c.DnsType } : null,
        };
    }

    // A loop, not Select into the struct: LINQ over value types costs NativeAOT megabytes (docs/benchmarks.md, Binary size).
    private static List<StatusRange> StatusRanges(IReadOnlyList<Config.StatusCodeRange> codes)
    {
        var result = new List<StatusRange>(codes.Count);
        foreach (var r in codes) result.Add(new StatusRange(r.First, r.Last));
        return result;
    }
}
