using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Appliance.Health.Checkers;

/// <summary>
/// DNS_CHECK: one UDP query (RFC 1035 §4.1) for type/name; healthy when a response with the
/// query's id arrives (QR set) with RCODE NOERROR. Datagrams with another id are ignored (a
/// late answer to an earlier probe, or spoofing) and the wait goes on until connect_timeout.
/// </summary>
public sealed class DnsChecker : IChecker
{
    private static readonly Dictionary<string, ushort> Types = new(StringComparer.OrdinalIgnoreCase)
    {
        ["A"] = 1, ["NS"] = 2, ["CNAME"] = 5, ["SOA"] = 6, ["PTR"] = 12, ["MX"] = 15, ["TXT"] = 16, ["AAAA"] = 28, ["SRV"] = 33,
    };

    private readonly CheckSettings _s;
    private readonly byte[] _question;

    public DnsChecker(CheckSettings settings)
    {
        _s = settings;
        var dns = settings.Dns ?? new DnsCheckSettings();
        if (!Types.TryGetValue(dns.Type, out var type))
            throw new ArgumentException($"creating the DNS checker for {settings.Target}: unknown query type '{dns.Type}' (known: {string.Join(", ", Types.Keys)})");
        _question = EncodeQuestion(dns.Name, type, settings.Target);
    }

    internal static byte[] EncodeQuestion(string name, ushort type, IPEndPoint target)
    {
        var labels = name.Trim('.').Length == 0 ? [] : name.Trim('.').Split('.');
        var buffer = new List<byte>(name.Length + 6);
        foreach (var label in labels)
        {
            var bytes = Encoding.ASCII.GetBytes(label);
            if (bytes.Length is 0 or > 63)
                throw new ArgumentException($"creating the DNS checker for {target}: label '{label}' of '{name}' must be 1-63 bytes");
            buffer.Add((byte)bytes.Length);
            buffer.AddRange(bytes);
        }
        buffer.Add(0);
        if (buffer.Count > 255) throw new ArgumentException($"creating the DNS checker for {target}: name '{name}' is longer than 255 bytes");
        buffer.Add((byte)(type >> 8)); buffer.Add((byte)type);
        buffer.Add(0); buffer.Add(1); // class IN
        return buffer.ToArray();
    }

    public async Task<CheckResult> CheckAsync(CancellationToken stopping)
    {
        var start = Probe.Start();
        using var deadline = Probe.Deadline(_s.ConnectTimeout, stopping);
        using var socket = new Socket(_s.Target.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
        var id = (ushort)Random.Shared.Next(0x10000);
        var query = new byte[12 + _question.Length];
        BinaryPrimitives.WriteUInt16BigEndian(query, id);
        BinaryPrimitives.WriteUInt16BigEndian(query.AsSpan(2), 0x0100); // RD
        BinaryPrimitives.WriteUInt16BigEndian(query.AsSpan(4), 1);      // QDCOUNT
        _question.CopyTo(query, 12);
        var answer = new byte[512];
        var ignored = 0;
        try
        {
            if (_s.BindTo is { } source) socket.Bind(new IPEndPoint(source, 0));
            await socket.ConnectAsync(_s.Target, deadline.Token).ConfigureAwait(false);
            await socket.SendAsync(query, SocketFlags.None, deadline.Token).ConfigureAwait(false);
            while (true)
            {
                var n = await socket.ReceiveAsync(answer, SocketFlags.None, deadline.Token).ConfigureAwait(false);
                if (n < 12 || BinaryPrimitives.ReadUInt16BigEndian(answer) != id || (answer[2] & 0x80) == 0)
                {
                    ignored++;
                    continue;
                }
                var took = Probe.Since(start);
                var rcode = answer[3] & 0x0f;
                return rcode == 0
                    ? CheckResult.Ok($"DNS answer from {_s.Target} after {Probe.Ms(took)}", took)
                    : CheckResult.Failed($"DNS {RcodeName(rcode)} from {_s.Target} after {Probe.Ms(took)}", took);
            }
        }
        catch (OperationCanceledException) when (!stopping.IsCancellationRequested)
        {
            var extra = ignored > 0 ? $" ({ignored} datagrams with another id ignored)" : "";
            return CheckResult.Failed($"no DNS answer from {_s.Target} within {Probe.Seconds(_s.ConnectTimeout)} (connect_timeout){extra}", Probe.Since(start));
        }
        catch (OperationCanceledException)
        {
            return Probe.Stopped(Probe.Since(start));
        }
        catch (SocketException e)
        {
            // A closed UDP port shows up as ECONNREFUSED from the ICMP port unreachable.
            return CheckResult.Failed(e.SocketErrorCode == SocketError.ConnectionRefused
                ? $"DNS query to {_s.Target} refused (port unreachable)"
                : $"DNS query to {_s.Target} failed: {e.Message} ({e.SocketErrorCode})", Probe.Since(start));
        }
    }

    private static string RcodeName(int rcode) => rcode switch
    {
        1 => "FORMERR", 2 => "SERVFAIL", 3 => "NXDOMAIN", 4 => "NOTIMP", 5 => "REFUSED", _ => $"RCODE {rcode}",
    };
}
