using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using System.Text;
using Appliance.Interop;
using Xunit;
using static Appliance.Interop.Libc;

namespace Appliance.Tests.Interop;

/// <summary>The declarations called for real: against the kernel's rtnetlink, loopback sockets, a pty and device files.</summary>
public class LibcCallTests
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(10);

    private static int Fd(Socket s) => (int)s.SafeHandle.DangerousGetHandle();

    private static sockaddr_in Loopback(ushort port, byte last = 1) => new()
    {
        sin_family = AF_INET,
        sin_port = BinaryPrimitives.ReverseEndianness(port),
        sin_addr = new in_addr { s_addr = BitConverter.ToUInt32([127, 0, 0, last]) },
    };

    [Fact]
    public async Task A_netlink_socket_dumps_the_links_and_finds_loopback()
    {
        using var s = NativeSocket.Create(AF_NETLINK, SOCK_RAW, NETLINK_ROUTE);
        Assert.Equal(0, bind(Fd(s), new sockaddr_nl { nl_family = AF_NETLINK }));
        Assert.Equal(0, getsockopt(Fd(s), SOL_SOCKET, SO_DOMAIN, out int domain));
        Assert.Equal(AF_NETLINK, domain);
        Assert.Equal(0, setsockopt(Fd(s), SOL_NETLINK, NETLINK_EXT_ACK, 1));

        var request = new byte[NLMSG_HDRLEN + Marshal.SizeOf<ifinfomsg>()];
        MemoryMarshal.Write(request, new nlmsghdr
        {
            nlmsg_len = (uint)request.Length, nlmsg_type = RTM_GETLINK, nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP, nlmsg_seq = 7,
        });
        MemoryMarshal.Write(request.AsSpan(NLMSG_HDRLEN), new ifinfomsg { ifi_family = AF_UNSPEC });
        await s.SendAsync(request);

        var lo = if_nametoindex("lo");
        Assert.NotEqual(0u, lo);
        string? loName = null;
        var buffer = new byte[64 * 1024];
        using var cts = new CancellationTokenSource(Bound);
        for (var done = false; !done;)
        {
            var n = await s.ReceiveAsync(buffer, SocketFlags.None, cts.Token);
            for (var msg = buffer.AsMemory(0, n); msg.Length >= NLMSG_HDRLEN;)
            {
                var h = MemoryMarshal.Read<nlmsghdr>(msg.Span);
                Assert.Equal(7u, h.nlmsg_seq);
                if (h.nlmsg_type == NLMSG_DONE) { done = true; break; }
                Assert.Equal(RTM_NEWLINK, h.nlmsg_type);
                var info = MemoryMarshal.Read<ifinfomsg>(msg.Span[NLMSG_HDRLEN..]);
                if (info.ifi_index == lo)
                {
                    var attrs = msg.Span[NLMSG_ALIGN(NLMSG_HDRLEN + Marshal.SizeOf<ifinfomsg>())..(int)h.nlmsg_len];
                    while (attrs.Length >= NLA_HDRLEN)
                    {
                        var a = MemoryMarshal.Read<nlattr>(attrs);
                        if (a.nla_type == IFLA_IFNAME) loName = Encoding.ASCII.GetString(attrs[NLA_HDRLEN..a.nla_len]).TrimEnd('\0');
                        attrs = attrs[Math.Min(NLA_ALIGN(a.nla_len), attrs.Length)..];
                    }
                    Assert.True((info.ifi_flags & IFF_UP) != 0, "lo is not up");
                }
                msg = msg[Math.Min(NLMSG_ALIGN((int)h.nlmsg_len), msg.Length)..];
            }
        }
        Assert.Equal("lo", loName);
    }

    [Fact]
    public void Sendmsg_and_recvmsg_carry_pktinfo_and_ttl_as_ancillary_data()
    {
        using var rx = NativeSocket.Create(AF_INET, SOCK_DGRAM, IPPROTO_UDP);
        using var tx = NativeSocket.Create(AF_INET, SOCK_DGRAM, IPPROTO_UDP);
        Assert.Equal(0, bind(Fd(rx), Loopback(0)));
        var port = (ushort)((IPEndPoint)rx.LocalEndPoint!).Port;
        Assert.Equal(0, setsockopt(Fd(rx), SOL_IP, IP_PKTINFO, 1));
        Assert.Equal(0, setsockopt(Fd(rx), SOL_IP, IP_RECVTTL, 1));
        Assert.Equal(0, setsockopt(Fd(tx), SOL_IP, IP_TTL, 7));

        // The sender picks its source address with IP_PKTINFO ancillary data (ipi_spec_dst).
        Span<byte> control = stackalloc byte[CMSG_SPACE(Marshal.SizeOf<in_pktinfo>())];
        var writer = new CmsgWriter(control);
        writer.Add(SOL_IP, IP_PKTINFO, new in_pktinfo { ipi_spec_dst = Loopback(0, last: 9).sin_addr });
        var payload = "advert"u8;
        Assert.Equal(payload.Length, sendmsg(Fd(tx), payload, control[..writer.Length], 0, Loopback(port)));

        Span<pollfd> fds = [new pollfd { fd = Fd(rx), events = POLLIN }];
        Assert.Equal(1, poll(fds, (int)Bound.TotalMilliseconds));
        Assert.True((fds[0].revents & POLLIN) != 0);

        var data = new byte[64];
        var cbuf = new byte[256];
        var n = recvmsg(Fd(rx), data, cbuf, 0, out sockaddr_in from, out var clen, out var flags);
        Assert.True(n >= 0, Errno.Describe(Errno.Last));
        Assert.Equal("advert", Encoding.ASCII.GetString(data, 0, (int)n));
        Assert.Equal(Loopback(0, last: 9).sin_addr.s_addr, from.sin_addr.s_addr);
        Assert.Equal(0, flags & MSG_CTRUNC);

        int? ttl = null;
        in_pktinfo? info = null;
        var reader = new CmsgReader(cbuf.AsSpan(0, clen));
        while (reader.TryNext(out var c))
        {
            if (c.Level == SOL_IP && c.Type == IP_TTL) ttl = MemoryMarshal.Read<int>(c.Data);
            if (c.Level == SOL_IP && c.Type == IP_PKTINFO) info = MemoryMarshal.Read<in_pktinfo>(c.Data);
        }
        Assert.Equal(7, ttl);
        Assert.NotNull(info);
        Assert.Equal((int)if_nametoindex("lo"), info.Value.ipi_ifindex);
        Assert.Equal(Loopback(0).sin_addr.s_addr, info.Value.ipi_addr.s_addr);
    }

    [Fact]
    public void Fionread_reports_the_size_of_the_queued_datagram()
    {
        using var rx = NativeSocket.Create(AF_INET, SOCK_DGRAM, 0);
        Assert.Equal(0, bind(Fd(rx), Loopback(0)));
        var port = (ushort)((IPEndPoint)rx.LocalEndPoint!).Port;
        using var tx = NativeSocket.Create(AF_INET, SOCK_DGRAM, 0);
        Assert.Equal(0, connect(Fd(tx), Loopback(port)));
        Assert.Equal(13, sendto(Fd(tx), "thirteen byte"u8, 0));

        Span<pollfd> fds = [new pollfd { fd = Fd(rx), events = POLLIN }];
        Assert.Equal(1, poll(fds, (int)Bound.TotalMilliseconds));
        var queued = 0;
        Assert.Equal(0, ioctl(Fd(rx), TIOCINQ, ref queued));
        Assert.Equal(13, queued);

        var buf = new byte[32];
        Assert.Equal(13, recvfrom(Fd(rx), buf, MSG_DONTWAIT, out sockaddr_in src));
        Assert.Equal(Loopback(0).sin_addr.s_addr, src.sin_addr.s_addr);
        Assert.Equal(-1, recvfrom(Fd(rx), buf, MSG_DONTWAIT, out src));
        Assert.Equal(EAGAIN, Errno.Last);
    }

    [Fact]
    [Trait("Category", "Host")] // raw sockets need CAP_NET_RAW
    public async Task A_raw_VRRP_socket_that_dotnet_refuses_works_through_libc()
    {
        Assert.ThrowsAny<SocketException>(() => new Socket(AddressFamily.InterNetwork, SocketType.Raw, (ProtocolType)IPPROTO_VRRP).Dispose());

        using var rx = NativeSocket.Create(AF_INET, SOCK_RAW, IPPROTO_VRRP);
        using var tx = NativeSocket.Create(AF_INET, SOCK_RAW, IPPROTO_VRRP);
        Assert.Equal(0, setsockopt(Fd(tx), SOL_IP, IP_TTL, 255));
        byte[] advert = [0x31, 51, 100, 1, 0, 100, 0, 0, 192, 0, 2, 100];
        Assert.Equal(advert.Length, sendto(Fd(tx), advert, 0, Loopback(0)));

        using var cts = new CancellationTokenSource(Bound);
        var buf = new byte[1500];
        while (true)
        {
            var n = await rx.ReceiveAsync(buf, SocketFlags.None, cts.Token);
            // An IPv4 raw socket hands over the IP header: protocol at byte 9, TTL at byte 8 (RFC 5798 §5.1.1.3).
            if (n < 20 + advert.Length || buf[9] != IPPROTO_VRRP) continue;
            var ihl = (buf[0] & 0xF) * 4;
            if (!buf.AsSpan(ihl, n - ihl).SequenceEqual(advert)) continue;
            Assert.Equal(255, buf[8]);
            break;
        }
    }

    [Fact]
    public void A_socket_libc_refuses_throws_naming_the_family_and_errno()
    {
        var e = Assert.Throws<ErrnoException>(() => NativeSocket.Create(4242, SOCK_DGRAM, 0));
        Assert.Equal(EAFNOSUPPORT, e.Errno);
        Assert.Contains("domain 4242", e.Message);
        Assert.Contains("EAFNOSUPPORT (Address family not supported by protocol)", e.Message);
    }

    [Fact]
    public void Termios_on_a_pty_is_set_raw_at_115200_and_read_back()
    {
        var fd = open("/dev/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC);
        Assert.True(fd >= 0, "opening /dev/ptmx: " + Errno.Describe(Errno.Last));
        try
        {
            Assert.Equal(0, tcgetattr(fd, out var t));
            Assert.NotEqual(0u, t.c_lflag & ICANON); // a fresh pty is canonical
            cfmakeraw(ref t);
            Assert.Equal(0, cfsetispeed(ref t, B115200));
            Assert.Equal(0, cfsetospeed(ref t, B115200));
            t.c_cflag |= CLOCAL | CREAD;
            t.c_cc[VMIN] = 1;
            t.c_cc[VTIME] = 0;
            Assert.Equal(0, tcsetattr(fd, TCSANOW, t));
            Assert.Equal(0, tcflush(fd, TCIOFLUSH));

            Assert.Equal(0, tcgetattr(fd, out var back));
            Assert.Equal(0u, back.c_lflag & (ICANON | ECHO | ISIG));
            Assert.Equal(0u, back.c_iflag & (ICRNL | IXON));
            Assert.Equal(0u, back.c_oflag & OPOST);
            Assert.Equal(CS8, back.c_cflag & CSIZE);
            Assert.Equal(B115200, back.c_ospeed);
            Assert.Equal(1, back.c_cc[VMIN]);

            Span<pollfd> fds = [new pollfd { fd = fd, events = POLLOUT }];
            Assert.Equal(1, poll(fds, (int)Bound.TotalMilliseconds));
            Assert.True((fds[0].revents & POLLOUT) != 0);
        }
        finally
        {
            Assert.Equal(0, close(fd));
        }
        Assert.Equal(-1, tcgetattr(fd, out _));
        Assert.Equal(EBADF, Errno.Last);
    }

    [Fact]
    public void Open_read_write_close_report_errno()
    {
        Assert.Equal(-1, open("/nonexistent/appliance", O_RDONLY));
        Assert.Equal(ENOENT, Errno.Last);

        var zero = open("/dev/zero", O_RDONLY | O_CLOEXEC);
        Assert.True(zero >= 0);
        var buf = new byte[16];
        Array.Fill(buf, (byte)0xAA);
        Assert.Equal(16, read(zero, buf));
        Assert.All(buf, b => Assert.Equal(0, b));
        Assert.Equal(-1, write(zero, buf)); // opened read-only
        Assert.Equal(EBADF, Errno.Last);
        Assert.Equal(0, close(zero));

        var devnull = open("/dev/null", O_WRONLY | O_CLOEXEC);
        Assert.Equal(5, write(devnull, "hello"u8));
        var modemBits = 0;
        Assert.Equal(-1, ioctl(devnull, TIOCMGET, ref modemBits));
        Assert.Equal(ENOTTY, Errno.Last);
        Assert.Equal(0, close(devnull));
    }

    [Fact]
    public void The_cmsg_reader_stops_at_a_malformed_length()
    {
        var buf = new byte[CMSG_SPACE(4) * 2];
        var w = new CmsgWriter(buf);
        w.Add(SOL_IP, IP_TTL, 64);
        w.Add(SOL_IPV6, IPV6_HOPLIMIT, 255);
        Assert.Equal(buf.Length, w.Length);

        var r = new CmsgReader(buf);
        Assert.True(r.TryNext(out var a));
        Assert.Equal((SOL_IP, IP_TTL, 64), (a.Level, a.Type, MemoryMarshal.Read<int>(a.Data)));
        Assert.True(r.TryNext(out var b));
        Assert.Equal((SOL_IPV6, IPV6_HOPLIMIT, 255), (b.Level, b.Type, MemoryMarshal.Read<int>(b.Data)));
        Assert.False(r.TryNext(out _));

        // A cmsg_len pointing past the buffer ends the walk instead of reading beyond it.
        BinaryPrimitives.WriteUInt64LittleEndian(buf.AsSpan(CMSG_SPACE(4)), 1000);
        r = new CmsgReader(buf);
        Assert.True(r.TryNext(out _));
        Assert.False(r.TryNext(out _));
        Assert.Throws<ArgumentException>(() => new CmsgWriter(new byte[8]).Add(SOL_IP, IP_TTL, 1));
    }
}
