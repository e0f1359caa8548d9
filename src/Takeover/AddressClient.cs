using System.Net.Sockets;
using Appliance.Vrrp;
using Appliance.Interop;

namespace Appliance.Takeover;

/// <summary>Adds, removes and lists addresses through rtnetlink. Used from the event loop only.</summary>
public interface IAddressTable
{
    /// <summary>Adds the VIP; true if it was added, false if it was already there.</summary>
    bool Add(int ifindex, VirtualAddress vip);

    /// <summary>Removes the VIP; true if it was removed, false if it was not there.</summary>
    bool Remove(int ifindex, VirtualAddress vip);

    IReadOnlyList<RouteAddress.InterfaceAddress> List(AddressFamily family);
}

/// <summary>An AF_NETLINK/NETLINK_ROUTE socket (created with libc: .NET refuses the family).</summary>
public sealed class RtnetlinkAddressClient : IAddressTable, IDisposable
{
    private readonly Socket _socket;
    private readonly byte[] _buffer = new byte[65536];
    private uint _seq = (uint)Environment.TickCount;

    public RtnetlinkAddressClient()
    {
        _socket = NativeSocket.Create(Libc.AF_NETLINK, Libc.SOCK_RAW, Libc.NETLINK_ROUTE);
        _socket.ReceiveTimeout = 2000;
    }

    /// <summary>Malformed kernel replies seen (counted, never thrown).</summary>
    public long MalformedReplies { get; private set; }

    public bool Add(int ifindex, VirtualAddress vip)
    {
        int error = Transact(RouteAddress.EncodeChange(true, ifindex, vip, ++_seq), _seq, $"adding VIP {vip} to interface index {ifindex}");
        if (error == -Libc.EEXIST) return false;
        if (error != 0) throw new InvalidOperationException($"adding VIP {vip} to interface index {ifindex}: the kernel refused ({Errno.Describe(-error)})");
        return true;
    }

    public bool Remove(int ifindex, VirtualAddress vip)
    {
        int error = Transact(RouteAddress.EncodeChange(false, ifindex, vip, ++_seq), _seq, $"removing VIP {vip} from interface index {ifindex}");
        if (error == -Libc.EADDRNOTAVAIL) return false;
        if (error != 0) throw new InvalidOperationException($"removing VIP {vip} from interface index {ifindex}: the kernel refused ({Errno.Describe(-error)})");
        return true;
    }

    public IReadOnlyList<RouteAddress.InterfaceAddress> List(AddressFamily family)
    {
        uint seq = ++_seq;
        _socket.Send(RouteAddress.EncodeDump(family, seq));
        var result = new List<RouteAddress.InterfaceAddress>();
        while (true)
        {
            int n = Receive($"listing {family} addresses");
            var reply = RouteAddress.Parse(_buffer.AsSpan(0, n), seq);
            MalformedReplies += reply.Malformed;
            result.AddRange(reply.Addresses);
            if (reply.Error is int e && e != 0) throw new InvalidOperationException($"listing {family} addresses: the kernel refused ({Errno.Describe(-e)})");
            if (reply.Done || reply.Error is not null) return result;
        }
    }

    private int Transact(byte[] request, uint seq, string what)
    {
        _socket.Send(request);
        while (true)
        {
            int n = Receive(what);
            var reply = RouteAddress.Parse(_buffer.AsSpan(0, n), seq);
            MalformedReplies += reply.Malformed;
            if (reply.Error is int e) return e;
        }
    }

    private int Receive(string what)
    {
        try { return _socket.Receive(_buffer); }
        catch (SocketException e) { throw new InvalidOperationException($"{what}: no answer from rtnetlink ({e.SocketErrorCode})", e); }
    }

    public void Dispose() => _socket.Dispose();
}
