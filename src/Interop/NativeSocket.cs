using System.Net.Sockets;

namespace Appliance.Interop;

/// <summary>
/// Sockets .NET will not create itself: raw IP protocol 112 (VRRP) fails with
/// EPROTONOSUPPORT and AF_NETLINK/AF_PACKET are refused by <see cref="Socket"/>'s constructor.
/// libc socket() makes them and <see cref="Socket"/> wraps the descriptor, so async receive,
/// cancellation and disposal work as for any other socket.
/// </summary>
public static class NativeSocket
{
    /// <summary>Creates a close-on-exec socket; throws <see cref="ErrnoException"/> naming the triple on failure.</summary>
    public static Socket Create(int domain, int type, int protocol)
    {
        var fd = Libc.socket(domain, type | Libc.SOCK_CLOEXEC, protocol);
        if (fd < 0)
            throw ErrnoException.FromLast($"creating socket (domain {DomainName(domain)}, type {type}, protocol {protocol})");
        try
        {
            return new Socket(new SafeSocketHandle(fd, ownsHandle: true));
        }
        catch
        {
            Libc.close(fd);
            throw;
        }
    }

    private static string DomainName(int domain) => domain switch
    {
        Libc.AF_UNIX => "AF_UNIX",
        Libc.AF_INET => "AF_INET",
        Libc.AF_INET6 => "AF_INET6",
        Libc.AF_NETLINK => "AF_NETLINK",
        Libc.AF_PACKET => "AF_PACKET",
        _ => domain.ToString(System.Globalization.CultureInfo.InvariantCulture),
    };
}
