using System.Text;

namespace Appliance.Tests.Config;

/// <summary>
/// A valid configuration the size of a large director: <c>services</c> virtual servers, each with
/// <c>realsPerService</c> real servers, every address distinct. Services share VIPs two by two
/// (port 80 and 443 of one address), VIPs are spread over VRRP instances of at most
/// <see cref="VipsPerInstance"/> addresses (an advert carries at most 255, RFC 5798 section 5.2.5).
/// VIPs come from 198.18.0.0/15 (RFC 2544 benchmarking), real servers from 10.64.0.0/10.
/// </summary>
internal static class LargeConfig
{
    public const int VipsPerInstance = 100;

    public static string ServiceName(int i) => $"s{i:D4}";

    public static string RealName(int i, int j) => $"s{i:D4}r{j:D2}";

    public static string Vip(int v) => $"198.18.{v / 250}.{1 + v % 250}";

    public static string RealAddress(int k) => $"10.{64 + k / 62500}.{k / 250 % 250}.{1 + k % 250}";

    public static string Text(int services, int realsPerService)
    {
        var vipCount = (services + 1) / 2;
        var sb = new StringBuilder(services * (200 + realsPerService * 80));
        sb.Append("""
            [global]
            node_name = director-a
            node_id = 1
            public_interface = eth0
            heartbeat_interface = eth1

            [serial_heartbeat]
            key = 0123456789abcdef0123

            """).Append('\n');
        for (var first = 0; first < vipCount; first += VipsPerInstance)
        {
            var n = first / VipsPerInstance;
            sb.Append($"[vrrp_instance VI_{n + 1}]\nvirtual_router_id = {51 + n}\npriority = 150\nadvert_int = 1\nvirtual_ipaddress = ");
            for (var v = first; v < Math.Min(vipCount, first + VipsPerInstance); v++)
                sb.Append(v == first ? "" : ", ").Append(Vip(v)).Append("/16");
            sb.Append("\n\n");
        }
        for (var i = 0; i < services; i++)
        {
            sb.Append($"[virtual_server {ServiceName(i)}]\naddress = {Vip(i / 2)}\nport = {(i % 2 == 0 ? 80 : 443)}\nlb_algo = wlc\nlb_kind = NAT\ncheck = TCP_CHECK\ndelay_loop = 5\n\n");
            for (var j = 0; j < realsPerService; j++)
                sb.Append($"[real_server {RealName(i, j)}]\nvirtual_server = {ServiceName(i)}\naddress = {RealAddress(i * realsPerService + j)}\nweight = 1\n\n");
        }
        return sb.ToString();
    }

    /// <summary>The same configuration in keepalived 2.2.7's syntax, for comparing with <c>keepalived -t</c>.</summary>
    public static string KeepalivedText(int services, int realsPerService)
    {
        var vipCount = (services + 1) / 2;
        var sb = new StringBuilder("global_defs {\n    router_id director-a\n}\n");
        for (var first = 0; first < vipCount; first += VipsPerInstance)
        {
            var n = first / VipsPerInstance;
            sb.Append($"vrrp_instance VI_{n + 1} {{\n    state BACKUP\n    interface eth1\n    virtual_router_id {51 + n}\n    priority 150\n    advert_int 1\n    version 3\n    virtual_ipaddress {{\n");
            for (var v = first; v < Math.Min(vipCount, first + VipsPerInstance); v++)
                sb.Append($"        {Vip(v)}/16 dev eth0\n");
            sb.Append("    }\n}\n");
        }
        for (var i = 0; i < services; i++)
        {
            var port = i % 2 == 0 ? 80 : 443;
            sb.Append($"virtual_server {Vip(i / 2)} {port} {{\n    lb_algo wlc\n    lb_kind NAT\n    protocol TCP\n    delay_loop 5\n");
            for (var j = 0; j < realsPerService; j++)
                sb.Append($"    real_server {RealAddress(i * realsPerService + j)} {port} {{\n        weight 1\n        TCP_CHECK {{\n        }}\n    }}\n");
            sb.Append("}\n");
        }
        return sb.ToString();
    }
}
