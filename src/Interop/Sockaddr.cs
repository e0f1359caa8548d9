using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;

namespace Appliance.Interop;

/// <summary>An <see cref="IPEndPoint"/> as the bytes of struct sockaddr_in or sockaddr_in6, for connect(2) and bind(2).</summary>
public static class Sockaddr
{
    public static byte[] From(IPEndPoint endpoint)
    {
        var port = BinaryPrimitives.ReverseEndianness((ushort)endpoint.Port);
        if (endpoint.AddressFamily == AddressFamily.InterNetwork)
        {
            var sa = new sockaddr_in { sin_family = Libc.AF_INET, sin_port = port };
            endpoint.Address.TryWriteBytes(MemoryMarshal.AsBytes(new Span<in_addr>(ref sa.sin_addr)), out _);
            return MemoryMarshal.AsBytes(new Span<sockaddr_in>(ref sa)).ToArray();
        }
        if (endpoint.AddressFamily == AddressFamily.InterNetworkV6)
        {
            var sa6 = new sockaddr_in6 { sin6_family = Libc.AF_INET6, sin6_port = port, sin6_scope_id = (uint)endpoint.Address.ScopeId };
            endpoint.Address.TryWriteBytes(MemoryMarshal.AsBytes(new Span<in6_addr>(ref sa6.sin6_addr)), out _);
            return MemoryMarshal.AsBytes(new Span<sockaddr_in6>(ref sa6)).ToArray();
        }
        throw new ArgumentException($"building a socket address for {endpoint}: not IPv4 or IPv6");
    }
}
