using System.Runtime.InteropServices;
using Appliance.Interop;

namespace Appliance.Netlink;

/// <summary>
/// An AF_NETLINK socket (opened with libc socket(): .NET's Socket refuses netlink families)
/// doing blocking request/reply exchanges. Every reply is matched to its request by sequence
/// number and port id; bad input is counted in <see cref="Counters"/>, never thrown.
/// Not thread-safe: one owner at a time (the daemon's IPVS shell, or a CLI verb).
/// </summary>
public sealed unsafe class NetlinkSocket : IDisposable
{
    // Dump replies are at most 32 KiB per datagram (netlink_dump's allocation cap); 64 KiB leaves room.
    private const int ReceiveBufferSize = 64 * 1024;
    private readonly byte[] _receive = new byte[ReceiveBufferSize];
    private int _fd;
    private uint _sequence;

    private NetlinkSocket(int fd, uint portId, int protocol)
    {
        _fd = fd;
        PortId = portId;
        Protocol = protocol;
        // Start away from 0 so that a reply to an earlier process that used our port id cannot match.
        _sequence = (uint)Environment.TickCount;
    }

    public uint PortId { get; }
    public int Protocol { get; }
    public NetlinkCounters Counters { get; } = new();

    /// <summary>How long one receive may wait for the kernel before the exchange fails with ETIMEDOUT.</summary>
    public static TimeSpan ReceiveTimeout { get; } = TimeSpan.FromSeconds(10);

    /// <summary>Opens and binds a netlink socket of <paramref name="protocol"/> (<see cref="NetlinkProtocol"/>).</summary>
    public static NetlinkSocket Open(int protocol, int socketBufferBytes = 4 << 20)
    {
        var fd = Libc.socket(Libc.AF_NETLINK, Libc.SOCK_RAW | Libc.SOCK_CLOEXEC, protocol);
        if (fd < 0) throw new NetlinkException($"opening a netlink socket (protocol {protocol})", Marshal.GetLastPInvokeError());
        try
        {
            // Bigger buffers keep a batch's ACKs from overrunning the receive queue; the FORCE
            // variants pass rmem_max when we are root, the plain ones are the fallback.
            SetInt(fd, Libc.SOL_SOCKET, Libc.SO_RCVBUFFORCE, socketBufferBytes, Libc.SO_RCVBUF);
            SetInt(fd, Libc.SOL_SOCKET, Libc.SO_SNDBUFFORCE, socketBufferBytes, Libc.SO_SNDBUF);
            // ACKs carry only the request header (CAP_ACK) and the kernel's error text (EXT_ACK).
            SetInt(fd, Libc.SOL_NETLINK, Libc.NETLINK_CAP_ACK, 1, 0);
            SetInt(fd, Libc.SOL_NETLINK, Libc.NETLINK_EXT_ACK, 1, 0);
            var tv = new NativeNetlink.timeval { tv_sec = (long)ReceiveTimeout.TotalSeconds };
            Libc.setsockopt(fd, Libc.SOL_SOCKET, NativeNetlink.SO_RCVTIMEO, &tv, (uint)sizeof(NativeNetlink.timeval));

            var address = new sockaddr_nl { nl_family = Libc.AF_NETLINK };
            if (Libc.bind(fd, &address, (uint)sizeof(sockaddr_nl)) < 0)
                throw new NetlinkException("binding a netlink socket", Marshal.GetLastPInvokeError());
            uint length = (uint)sizeof(sockaddr_nl);
            if (NativeNetlink.getsockname(fd, &address, &length) < 0)
                throw new NetlinkException("reading the netlink socket's port id", Marshal.GetLastPInvokeError());
            return new NetlinkSocket(fd, address.nl_pid, protocol);
        }
        catch
        {
            Libc.close(fd);
            throw;
        }
    }

    private static void SetInt(int fd, int level, int name, int value, int fallbackName)
    {
        if (Libc.setsockopt(fd, level, name, &value, sizeof(int)) == 0 || fallbackName == 0) return;
        Libc.setsockopt(fd, level, fallbackName, &value, sizeof(int));
    }

    public uint NextSequence() => ++_sequence == 0 ? ++_sequence : _sequence;

    /// <summary>Reserves <paramref name="count"/> consecutive sequence numbers; returns the first.</summary>
    public uint ReserveSequences(int count)
    {
        var first = NextSequence();
        _sequence += (uint)(count - 1);
        return first;
    }

    /// <summary>
    /// Sends every message in <paramref name="writer"/> in one datagram and collects a result per
    /// message (they must have consecutive sequence numbers and ask for an ACK or a dump).
    /// </summary>
    public NetlinkResult[] Execute(NetlinkWriter writer, NetlinkDataHandler? onData = null, string operation = "netlink request")
    {
        if (writer.MessageCount == 0) return [];
        var first = writer.Sequences[0];
        for (var i = 1; i < writer.MessageCount; i++)
            if (writer.Sequences[i] != first + (uint)i)
                throw new InvalidOperationException("netlink batch: sequence numbers must be consecutive");
        Send(writer.Written, operation);
        var collector = new NetlinkReplyCollector(PortId, first, writer.MessageCount, Counters, onData);
        while (collector.Outstanding > 0)
        {
            var length = Receive(operation);
            collector.Accept(_receive.AsSpan(0, length));
        }
        return collector.Results;
    }

    /// <summary>One request expecting an ACK; throws <see cref="NetlinkException"/> naming <paramref name="operation"/> on refusal.</summary>
    public void ExecuteOrThrow(NetlinkWriter writer, string operation, NetlinkDataHandler? onData = null)
    {
        var results = Execute(writer, onData, operation);
        foreach (var r in results)
            if (!r.Ok) throw new NetlinkException(operation, r.Error, r.KernelMessage);
    }

    private void Send(ReadOnlySpan<byte> data, string operation)
    {
        fixed (byte* p = data)
        {
            while (true)
            {
                var n = Libc.sendto(_fd, p, (nuint)data.Length, 0, null, 0);
                if (n >= 0) return;
                var errno = Marshal.GetLastPInvokeError();
                if (errno != Libc.EINTR) throw new NetlinkException($"{operation}: sending to the kernel", errno);
            }
        }
    }

    private int Receive(string operation)
    {
        fixed (byte* p = _receive)
        {
            while (true)
            {
                var n = Libc.recvfrom(_fd, p, (nuint)_receive.Length, Libc.MSG_TRUNC, null, null);
                if (n > _receive.Length)
                {
                    // The rest of that datagram is gone; what we have is parsed, the loss is counted.
                    Counters.Truncated++;
                    return _receive.Length;
                }
                if (n >= 0) return (int)n;
                var errno = Marshal.GetLastPInvokeError();
                if (errno == Libc.EINTR) continue;
                if (errno == Libc.EAGAIN) errno = Errno.ETIMEDOUT;
                throw new NetlinkException($"{operation}: receiving from the kernel", errno);
            }
        }
    }

    public void Dispose()
    {
        if (_fd >= 0)
        {
            Libc.close(_fd);
            _fd = -1;
        }
    }
}
