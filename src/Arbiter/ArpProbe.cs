using System.Net;
using System.Net.Sockets;
using Appliance.Core;
using Appliance.Interop;
using static Appliance.Interop.Libc;

namespace Appliance.Arbiter;

/// <summary>Timing of one probe: <see cref="Requests"/> ARP requests <see cref="Spacing"/> apart, answer awaited until <see cref="Timeout"/> after the first.</summary>
public sealed record ArpProbeTiming
{
    public int Requests { get; init; } = 3;
    public TimeSpan Spacing { get; init; } = TimeSpan.FromMilliseconds(50);
    public TimeSpan Timeout { get; init; } = TimeSpan.FromMilliseconds(200);
}

/// <summary>
/// Pure core of one probe run: when to send, and the verdict. Several requests, because one
/// ARP request can be lost (a busy switch, the peer's NIC queue) and silence is what causes a
/// takeover; a reply to any of them, or any ARP from the peer's address, means "answers".
/// With a <paramref name="vip"/> each round also asks who has the VIP: an answer for it means
/// somebody (the peer, alive or with a hung daemon) holds the VIPs — <see cref="ProbeResult.PeerAnswers"/>
/// at once; the peer answering while nobody answers for the VIP until the deadline is
/// <see cref="ProbeResult.PeerAnswersVipFree"/>: the peer is alive and not master.
/// </summary>
public sealed class ArpProbeRun(ArpProbeTiming timing, IPAddress peer, TimeSpan start, IPAddress? vip = null)
{
    private int _sent;
    private bool _peerAnswered;
    private TimeSpan _lastSent;

    public ProbeResult Result { get; private set; } = ProbeResult.NotProbed;
    public bool Done => Result != ProbeResult.NotProbed;
    public int Sent => _sent;

    /// <summary>The next instant something is due (a request or the deadline).</summary>
    public TimeSpan NextDeadline => _sent < timing.Requests ? start + _sent * timing.Spacing : Deadline;

    /// <summary>
    /// Silence is concluded only after the designed listening time has followed the LAST request
    /// actually sent: a caller that was descheduled past the deadline sends its remaining
    /// requests late, in a burst, and must still hear their answers. (Measured from the start
    /// alone, a starved thread concluded "silent" in the same instant it sent them — a false
    /// B8 takeover of a live master, seen in the QEMU lab under load.)
    /// </summary>
    private TimeSpan Deadline
    {
        get
        {
            var listen = timing.Timeout - (timing.Requests - 1) * timing.Spacing;
            if (listen < timing.Spacing) listen = timing.Spacing;
            var afterLast = _lastSent + listen;
            var planned = start + timing.Timeout;
            return afterLast > planned ? afterLast : planned;
        }
    }

    /// <summary>True when a request must be sent now (call until false).</summary>
    public bool ShouldSend(TimeSpan now)
    {
        if (Done || _sent >= timing.Requests || now < start + _sent * timing.Spacing) return false;
        _sent++;
        _lastSent = now;
        return true;
    }

    /// <summary>The VIP asked for besides the peer's address, if any.</summary>
    public IPAddress? Vip => vip;

    public void OnTimer(TimeSpan now)
    {
        if (!Done && _sent >= timing.Requests && now >= Deadline)
            Result = _peerAnswered ? ProbeResult.PeerAnswersVipFree : ProbeResult.PeerSilent;
    }

    public void OnPacket(in ArpPacket packet)
    {
        if (Done) return;
        if (vip is not null && packet.IsFrom(vip)) Result = ProbeResult.PeerAnswers;
        else if (packet.IsFrom(peer))
        {
            _peerAnswered = true;
            if (vip is null) Result = ProbeResult.PeerAnswers;
        }
    }
}

/// <summary>
/// The data-path probe shell: an AF_PACKET socket bound to the public NIC for ARP, sending
/// who-has requests for the peer's own public address (not a VIP: VIPs move, the peer's
/// address does not). Non-blocking; the daemon's loop drives <see cref="Fd"/>,
/// <see cref="OnReadable"/> and <see cref="OnTimer"/>; <see cref="Probe"/> is the same with a
/// bounded blocking wait for tests and the CLI.
/// </summary>
public sealed unsafe class ArpProbe : IDisposable
{
    private int _fd;
    private readonly int _ifindex;
    private readonly byte[] _mac;
    private ArpProbeRun? _run;
    private IPAddress _source = IPAddress.Any;
    private IPAddress _peer = IPAddress.Any;

    /// <summary>ETH_P_ARP in network byte order, as sll_protocol and socket() want it.</summary>
    private static readonly ushort ArpEthertype = (ushort)IPAddress.HostToNetworkOrder((short)ETH_P_ARP);

    private ArpProbe(string ifname, int fd, int ifindex, byte[] mac)
    {
        Interface = ifname;
        _fd = fd;
        _ifindex = ifindex;
        _mac = mac;
    }

    public string Interface { get; }
    public int Fd => _fd;
    public ReadOnlySpan<byte> Mac => _mac;
    public ArpProbeRun? Current => _run;

    /// <summary>Opens the ARP socket on <paramref name="ifname"/> in the calling thread's network namespace.</summary>
    public static ArpProbe Open(string ifname)
    {
        if (ifname.Length == 0 || ifname.Length >= IF_NAMESIZE)
            throw new ArgumentException($"ARP probe: '{ifname}' is not a valid interface name");
        int ifindex = (int)if_nametoindex(ifname);
        if (ifindex == 0) throw Error(ifname, "looking up", Errno.Last);
        int fd = socket(AF_PACKET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, ArpEthertype);
        if (fd < 0) throw Error(ifname, "opening an AF_PACKET socket for", Errno.Last);
        try
        {
            var sa = new sockaddr_ll { sll_family = AF_PACKET, sll_protocol = ArpEthertype, sll_ifindex = ifindex };
            if (bind(fd, sa) != 0) throw Error(ifname, "binding the ARP socket to", Errno.Last);
            ifreq req = default;
            var name = System.Text.Encoding.ASCII.GetBytes(ifname);
            name.CopyTo((Span<byte>)req.ifr_name);
            if (ioctl(fd, SIOCGIFHWADDR, ref req) != 0) throw Error(ifname, "reading the MAC address (SIOCGIFHWADDR) of", Errno.Last);
            var mac = ((ReadOnlySpan<byte>)req.ifr_hwaddr.sa_data)[..ETH_ALEN].ToArray();
            return new ArpProbe(ifname, fd, ifindex, mac);
        }
        catch
        {
            close(fd);
            throw;
        }
    }

    /// <summary>Starts a probe for <paramref name="peer"/> (and <paramref name="vip"/>, if given), claiming <paramref name="source"/> as our address in the requests.</summary>
    public void Start(IPAddress source, IPAddress peer, ArpProbeTiming timing, TimeSpan now, IPAddress? vip = null)
    {
        if (peer.AddressFamily != AddressFamily.InterNetwork || source.AddressFamily != AddressFamily.InterNetwork
            || vip is { AddressFamily: not AddressFamily.InterNetwork })
            throw new ArgumentException($"ARP probe on {Interface}: ARP needs IPv4 addresses (peer {peer}, source {source}, VIP {vip})");
        _source = source;
        _peer = peer;
        Drain();
        _run = new ArpProbeRun(timing, peer, now, vip);
        OnTimer(now);
    }

    public TimeSpan NextDeadline => _run?.NextDeadline ?? TimeSpan.MaxValue;

    public void OnTimer(TimeSpan now)
    {
        if (_run is null) return;
        while (_run.ShouldSend(now))
        {
            // The VIP first: if the peer holds it, its answer is in before the peer's own.
            if (_run.Vip is { } vip) SendRequest(vip);
            SendRequest(_peer);
        }
        _run.OnTimer(now);
    }

    public void OnReadable(TimeSpan now)
    {
        Span<byte> buf = stackalloc byte[128];
        while (true)
        {
            nint n = recvfrom(_fd, buf, 0, out sockaddr_ll from);
            if (n < 0)
            {
                int errno = Errno.Last;
                if (errno == EINTR) continue;
                if (errno == EAGAIN) return;
                throw Error(Interface, "receiving ARP on", errno);
            }
            // Our own requests are looped back to packet sockets as PACKET_OUTGOING.
            if (from.sll_pkttype == PACKET_OUTGOING) continue;
            if (ArpPacket.TryRead(buf[..(int)n], out var packet)) _run?.OnPacket(packet);
        }
    }

    /// <summary>Runs a whole probe, waiting at most the timing's timeout; returns answers, answers with the VIP free, or silent.</summary>
    public ProbeResult Probe(IPAddress source, IPAddress peer, ArpProbeTiming timing, IClock clock, IPAddress? vip = null)
    {
        Start(source, peer, timing, clock.Now, vip);
        while (!_run!.Done)
        {
            var now = clock.Now;
            int wait = (int)Math.Ceiling(Math.Max(0, (_run.NextDeadline - now).TotalMilliseconds));
            var pfd = new pollfd { fd = _fd, events = POLLIN };
            int r = poll(&pfd, 1, wait);
            if (r < 0 && Errno.Last != EINTR) throw Error(Interface, "waiting for ARP on", Errno.Last);
            if (r > 0) OnReadable(clock.Now);
            OnTimer(clock.Now);
        }
        return _run.Result;
    }

    private void SendRequest(IPAddress target)
    {
        Span<byte> pkt = stackalloc byte[ArpPacket.Size];
        ArpPacket.Request(_mac, _source, target).WriteTo(pkt);
        var to = new sockaddr_ll { sll_family = AF_PACKET, sll_protocol = ArpEthertype, sll_ifindex = _ifindex, sll_halen = 6 };
        ((Span<byte>)to.sll_addr)[..6].Fill(0xFF);
        nint n = sendto(_fd, pkt, 0, to);
        // A failed send (interface down: ENETDOWN) is not an answer: the run ends "silent" at its
        // deadline, which is the truth as far as this NIC can tell.
        _ = n;
    }

    private void Drain()
    {
        Span<byte> buf = stackalloc byte[128];
        while (recvfrom(_fd, buf, 0, out sockaddr_ll _) > 0) { }
    }

    public void Dispose()
    {
        if (_fd >= 0) close(_fd);
        _fd = -1;
    }

    private static IOException Error(string ifname, string what, int errno) =>
        new($"ARP probe: {what} interface {ifname}: {Errno.Describe(errno)}");
}
