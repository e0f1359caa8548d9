using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using Appliance.Interop;

namespace Appliance.Vrrp;

/// <summary>
/// Raw IP protocol 112 sockets on the heartbeat NIC for one address family (the I/O shell of VRRP).
/// Two sockets, as keepalived: the send socket is bound to the local address (so the v3 pseudo-header
/// checksum is computed over the source the kernel really uses); the receive socket stays unbound
/// (a bound raw socket only sees packets addressed to that address) and joins the multicast group.
/// Both are bound to the interface with SO_BINDTODEVICE. Received packets go to a callback from a
/// dedicated thread; the callback posts them into the event loop.
/// </summary>
public sealed class VrrpTransport : IDisposable
{
    private readonly Socket _send;
    private readonly Socket _receive;
    private readonly AddressFamily _family;
    private readonly IPEndPoint _destination;
    private readonly Thread _thread;
    private readonly Action<ReadOnlyMemory<byte>, IPAddress?, IPAddress?, int> _onPacket;
    private volatile bool _stopping;

    /// <param name="interfaceName">The heartbeat NIC.</param>
    /// <param name="localAddress">Source of our adverts: the NIC's IPv4 address or its IPv6 link-local address.</param>
    /// <param name="unicastPeer">keepalived's <c>unicast_peer</c>; null for the multicast group.</param>
    /// <param name="onPacket">(bytes, source, destination, hop limit): IPv4 passes the whole packet and nulls (the header says it all).</param>
    public VrrpTransport(string interfaceName, IPAddress localAddress, IPAddress? unicastPeer, Action<ReadOnlyMemory<byte>, IPAddress?, IPAddress?, int> onPacket)
    {
        _family = localAddress.AddressFamily;
        _onPacket = onPacket;
        int ifindex = NetworkInterfaces.Index(interfaceName);
        int af = _family == AddressFamily.InterNetwork ? Libc.AF_INET : Libc.AF_INET6;
        var group = _family == AddressFamily.InterNetwork ? VrrpAdvert.MulticastV4 : VrrpAdvert.MulticastV6;
        _destination = new IPEndPoint(unicastPeer ?? group, 0);
        if (_family == AddressFamily.InterNetworkV6) localAddress = new IPAddress(localAddress.GetAddressBytes(), ifindex);
        if (_destination.Address.IsIPv6LinkLocal || _destination.Address.IsIPv6Multicast)
            _destination = new IPEndPoint(new IPAddress(_destination.Address.GetAddressBytes(), ifindex), 0);

        _send = NativeSocket.Create(af, Libc.SOCK_RAW, Libc.IPPROTO_VRRP);
        _receive = NativeSocket.Create(af, Libc.SOCK_RAW, Libc.IPPROTO_VRRP);
        try
        {
            var name = System.Text.Encoding.ASCII.GetBytes(interfaceName + "\0");
            foreach (var s in new[] { _send, _receive })
                s.SetRawSocketOption(Libc.SOL_SOCKET, Libc.SO_BINDTODEVICE, name);
            _send.Bind(new IPEndPoint(localAddress, 0));
            if (_family == AddressFamily.InterNetwork)
            {
                // RFC 5798 §5.1.1.3: TTL 255 for multicast and (unicast_peer) unicast alike.
                _send.SetSocketOption(SocketOptionLevel.IP, SocketOptionName.MulticastTimeToLive, 255);
                _send.SetSocketOption(SocketOptionLevel.IP, SocketOptionName.IpTimeToLive, 255);
                _send.SetSocketOption(SocketOptionLevel.IP, SocketOptionName.MulticastLoopback, false);
                _send.SetSocketOption(SocketOptionLevel.IP, SocketOptionName.MulticastInterface, IPAddress.HostToNetworkOrder(ifindex));
                // DSCP CS6 as keepalived (network control traffic).
                _send.SetSocketOption(SocketOptionLevel.IP, SocketOptionName.TypeOfService, 0xC0);
                _receive.SetSocketOption(SocketOptionLevel.IP, SocketOptionName.AddMembership, new MulticastOption(group, ifindex));
            }
            else
            {
                _send.SetSocketOption(SocketOptionLevel.IPv6, SocketOptionName.MulticastTimeToLive, 255);
                _send.SetSocketOption(SocketOptionLevel.IPv6, SocketOptionName.IpTimeToLive, 255);
                _send.SetSocketOption(SocketOptionLevel.IPv6, SocketOptionName.MulticastLoopback, false);
                _send.SetSocketOption(SocketOptionLevel.IPv6, SocketOptionName.MulticastInterface, ifindex);
                _receive.SetSocketOption(SocketOptionLevel.IPv6, SocketOptionName.AddMembership, new IPv6MulticastOption(group, ifindex));
                // RFC 5798 §5.1.2.3: the hop limit must be checked; a raw IPv6 socket only tells it in a control message.
                _receive.SetRawSocketOption(Libc.IPPROTO_IPV6, Libc.IPV6_RECVHOPLIMIT, BitConverter.GetBytes(1));
                _receive.SetRawSocketOption(Libc.IPPROTO_IPV6, Libc.IPV6_RECVPKTINFO, BitConverter.GetBytes(1));
            }
            _receive.ReceiveTimeout = 200;
        }
        catch
        {
            _send.Dispose();
            _receive.Dispose();
            throw;
        }
        LocalAddress = localAddress;
        _thread = new Thread(ReceiveLoop) { IsBackground = true, Name = $"vrrp-rx-{interfaceName}-{_family}" };
        _thread.Start();
    }

    public IPAddress LocalAddress { get; }

    /// <summary>The destination our adverts carry (pseudo-header input).</summary>
    public IPAddress Destination => _destination.Address;

    /// <summary>Sends one VRRP message. Errors (heartbeat cable unplugged: ENETDOWN) are returned, not thrown.</summary>
    public SocketError Send(ReadOnlySpan<byte> message)
    {
        try
        {
            _send.SendTo(message, SocketFlags.None, _destination);
            return SocketError.Success;
        }
        catch (SocketException e) { return e.SocketErrorCode; }
    }

    private void ReceiveLoop()
    {
        var buffer = new byte[4096];
        while (!_stopping)
        {
            try
            {
                if (_family == AddressFamily.InterNetwork)
                {
                    int n = _receive.Receive(buffer);
                    if (n > 0) _onPacket(buffer.AsMemory(0, n).ToArray(), null, null, -1);
                }
                else
                {
                    var (n, src, dst, hops) = ReceiveV6(buffer);
                    if (n >= 0) _onPacket(buffer.AsMemory(0, n).ToArray(), src, dst, hops);
                }
            }
            catch (SocketException e) when (e.SocketErrorCode is SocketError.TimedOut or SocketError.WouldBlock or SocketError.Interrupted) { }
            catch (ObjectDisposedException) { return; }
            catch (SocketException) when (_stopping) { return; }
            catch (SocketException) { Thread.Sleep(10); } // e.g. ENETDOWN while the cable is out; keep listening
        }
    }

    private unsafe (int, IPAddress?, IPAddress?, int) ReceiveV6(byte[] buffer)
    {
        sockaddr_in6 from = default;
        Span<byte> control = stackalloc byte[128];
        fixed (byte* data = buffer)
        fixed (byte* ctl = control)
        {
            var iov = new iovec { iov_base = data, iov_len = (nuint)buffer.Length };
            var msg = new msghdr
            {
                msg_name = &from, msg_namelen = (uint)sizeof(sockaddr_in6),
                msg_iov = &iov, msg_iovlen = 1, msg_control = ctl, msg_controllen = (nuint)control.Length,
            };
            nint n = Libc.recvmsg((int)_receive.Handle, &msg, 0);
            if (n < 0)
            {
                int errno = Marshal.GetLastPInvokeError();
                if (errno is Libc.EAGAIN or Libc.EINTR) return (-1, null, null, -1);
                throw new SocketException(errno);
            }
            int hops = -1;
            IPAddress? dst = null;
            var reader = new CmsgReader(control[..(int)msg.msg_controllen]);
            while (reader.TryNext(out var c))
            {
                if (c.Level == Libc.IPPROTO_IPV6 && c.Type == Libc.IPV6_HOPLIMIT && c.Data.Length >= 4) hops = BitConverter.ToInt32(c.Data);
                else if (c.Level == Libc.IPPROTO_IPV6 && c.Type == Libc.IPV6_PKTINFO && c.Data.Length >= 16) dst = new IPAddress(c.Data[..16]);
            }
            var src = new IPAddress(MemoryMarshal.AsBytes(new ReadOnlySpan<in6_addr>(in from.sin6_addr)));
            return ((int)n, src, dst, hops);
        }
    }

    public void Dispose()
    {
        _stopping = true;
        _receive.Dispose();
        _send.Dispose();
        _thread.Join(1000);
    }
}
