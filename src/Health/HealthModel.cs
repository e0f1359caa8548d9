using System.Net;

namespace Appliance.Health;

/// <summary>
/// Identifies a virtual service the way IPVS does: protocol + VIP:port, or a firewall mark.
/// <see cref="ToString"/> gives the ipvsadm spelling ("TCP 192.0.2.100:80", "FWM 5").
/// </summary>
public readonly record struct VirtualServerKey(string Protocol, IPEndPoint? Endpoint, uint Fwmark = 0)
{
    public static VirtualServerKey Tcp(IPEndPoint endpoint) => new("TCP", endpoint);
    public static VirtualServerKey Udp(IPEndPoint endpoint) => new("UDP", endpoint);
    public static VirtualServerKey Mark(uint fwmark) => new("FWM", null, fwmark);

    public override string ToString() => Endpoint is null ? $"FWM {Fwmark}" : $"{Protocol} {Endpoint}";
}

/// <summary>
/// A real server within one virtual service. The health state of a real server survives a
/// reload exactly when this key still exists in the new model.
/// </summary>
public readonly record struct RealServerKey(VirtualServerKey Service, IPEndPoint Address)
{
    public override string ToString() => $"{Address} in {Service}";
}

/// <summary>Which checker probes a real server (keepalived's TCP_CHECK, HTTP_GET, SSL_GET, MISC_CHECK, DNS_CHECK).</summary>
public enum CheckKind { Tcp, Http, Https, Script, Dns }

/// <summary>An inclusive range of accepted HTTP status codes (keepalived's <c>status_code 200-299</c>).</summary>
public readonly record struct StatusRange(int From, int To)
{
    public bool Contains(int code) => code >= From && code <= To;
    public override string ToString() => From == To ? From.ToString() : $"{From}-{To}";
}

/// <summary>HTTP_GET / SSL_GET parameters of one check.</summary>
public sealed record HttpCheckSettings
{
    public string Path { get; init; } = "/";
    /// <summary>Accepted codes; keepalived accepts any 2xx when none is configured.</summary>
    public IReadOnlyList<StatusRange> StatusCodes { get; init; } = [new StatusRange(200, 299)];
    /// <summary>Host header (and TLS server name); the target address when null.</summary>
    public string? Host { get; init; }
    /// <summary>keepalived's <c>digest</c>: lowercase hex MD5 of the whole body.</summary>
    public string? Digest { get; init; }
    /// <summary>A string the body must contain (searched within the first <see cref="MaxBodyBytes"/>).</summary>
    public string? Expect { get; init; }
    /// <summary>Most body bytes read; a digest check fails when the body is longer.</summary>
    public int MaxBodyBytes { get; init; } = 64 * 1024;
    /// <summary>Validate the server's certificate chain and name (HTTPS); off like keepalived's SSL_GET by default.</summary>
    public bool VerifyCertificate { get; init; }
}

/// <summary>MISC_CHECK parameters.</summary>
public sealed record ScriptCheckSettings
{
    public required string Path { get; init; }
    public IReadOnlyList<string> Arguments { get; init; } = [];
    /// <summary>keepalived's <c>misc_dynamic</c>: exit codes 2-255 set the weight to exit - 2.</summary>
    public bool Dynamic { get; init; }
}

/// <summary>DNS_CHECK parameters.</summary>
public sealed record DnsCheckSettings
{
    /// <summary>Query type name (A, AAAA, NS, SOA, ...), keepalived's <c>type</c>.</summary>
    public string Type { get; init; } = "SOA";
    /// <summary>Query name, keepalived's <c>name</c> (root by default).</summary>
    public string Name { get; init; } = ".";
}

/// <summary>
/// Runtime values of one real server's check, in keepalived's names. The user-facing schema is the
/// configuration model; this record is what the checker and the hysteresis core run on.
/// </summary>
public sealed record CheckSettings
{
    public CheckKind Kind { get; init; } = CheckKind.Tcp;
    /// <summary>Where the probe goes (keepalived's connect_ip/connect_port; the real server by default).</summary>
    public required IPEndPoint Target { get; init; }
    /// <summary>Source address of the probe (keepalived's <c>bindto</c>).</summary>
    public IPAddress? BindTo { get; init; }
    /// <summary>Time between checks of a healthy or failed server, counted from the start of the previous check.</summary>
    public TimeSpan DelayLoop { get; init; } = TimeSpan.FromSeconds(60);
    /// <summary>Bound on one whole check: connect, TLS, request and response (or the script's run time).</summary>
    public TimeSpan ConnectTimeout { get; init; } = TimeSpan.FromSeconds(5);
    /// <summary>keepalived's <c>retry</c> (alias <c>nb_get_retry</c>): a server is down after retry+1 consecutive failures.</summary>
    public int Retry { get; init; } = 1;
    /// <summary>Pause after a failed check before the retry, counted from the end of the failed check.</summary>
    public TimeSpan DelayBeforeRetry { get; init; } = TimeSpan.FromSeconds(1);
    /// <summary>Upper bound of the random delay before the first check (spreads start times).</summary>
    public TimeSpan? Warmup { get; init; }
    /// <summary>Consecutive successes that bring a failed server back.</summary>
    public int Rise { get; init; } = 1;
    public HttpCheckSettings? Http { get; init; }
    public ScriptCheckSettings? Script { get; init; }
    public DnsCheckSettings? Dns { get; init; }

    /// <summary>
    /// Lower bound on the consecutive failures that take a healthy server out (for users who
    /// think in HAProxy's rise/fall). The effective count is <see cref="FailuresToDown"/>.
    /// </summary>
    public int Fall { get; init; } = 1;

    /// <summary>
    /// Consecutive failed checks that take a healthy server out: max(retry + 1, fall). Each
    /// failure before the last is retried after delay_before_retry; so with keepalived's
    /// defaults (retry 1, fall 1) the second consecutive failure removes the server.
    /// </summary>
    public int FailuresToDown => Math.Max(Retry + 1, Fall);
}

/// <summary>One real server of a virtual service, as configured.</summary>
public sealed record RealServerSpec
{
    public required IPEndPoint Address { get; init; }
    public int Weight { get; init; } = 1;
    /// <summary>Keep the server in the table with weight 0 while it is down instead of removing it.</summary>
    public bool InhibitOnFailure { get; init; }
    /// <summary>The check; null means no checker (the server is always considered up, as in keepalived).</summary>
    public CheckSettings? Check { get; init; }
    public string? NotifyUp { get; init; }
    public string? NotifyDown { get; init; }
}

/// <summary>One virtual service with its real servers and its health policy.</summary>
public sealed record VirtualServerSpec
{
    public required VirtualServerKey Key { get; init; }
    public required IReadOnlyList<RealServerSpec> RealServers { get; init; }
    /// <summary>Put in the table while the quorum is lost (by default: while no real server is healthy).</summary>
    public RealServerSpec? SorryServer { get; init; }
    /// <summary>Minimum sum of the weights of healthy real servers (keepalived's <c>quorum</c>, default 1).</summary>
    public int Quorum { get; init; } = 1;
    /// <summary>Quorum is gained at quorum + hysteresis and lost below quorum - hysteresis.</summary>
    public int Hysteresis { get; init; }
    /// <summary>Real servers start down and enter the table after their first successful check.</summary>
    public bool Alpha { get; init; }
    /// <summary>On shutdown run the quorum_down and notify_down hooks of what is still up.</summary>
    public bool Omega { get; init; }
    public string? QuorumUp { get; init; }
    public string? QuorumDown { get; init; }
}

/// <summary>Everything the health subsystem watches.</summary>
public sealed record HealthModel(IReadOnlyList<VirtualServerSpec> VirtualServers);
