using System.Buffers.Binary;
using System.Net;
using Appliance.Netlink;

namespace Appliance.Ipvs;

/// <summary>
/// Encodes IPVS generic-netlink requests and decodes the kernel's replies. Attribute order follows
/// ipvsadm 1.31's libipvs so that requests are byte-identical to the reference client (checked
/// against golden captures); the kernel itself does not care about order.
/// Decoders return false on malformed input (the caller counts it) and never throw.
/// </summary>
public static class IpvsCodec
{
    public static void BeginRequest(NetlinkWriter w, ushort familyId, IpvsCommand command, uint sequence, bool dump = false) =>
        w.BeginGenericMessage(familyId, NetlinkFlags.Request | (dump ? NetlinkFlags.Dump : NetlinkFlags.Ack), sequence, (byte)command, IpvsAttr.FamilyVersion);

    /// <summary>IPVS_CMD_ATTR_SERVICE with every setting (NEW_SERVICE and SET_SERVICE need them all or the kernel says EINVAL).</summary>
    public static void PutService(NetlinkWriter w, IpvsService service)
    {
        var nest = w.BeginNested(IpvsAttr.CmdService, setNestedFlag: true);
        PutServiceKey(w, service.Key);
        {
            w.PutString(IpvsAttr.SvcSchedName, service.Scheduler);
            if (!string.IsNullOrEmpty(service.PeName)) w.PutString(IpvsAttr.SvcPeName, service.PeName);
            var flags = w.PutAttribute(IpvsAttr.SvcFlags, 8); // struct ip_vs_flags { flags, mask }
            BinaryPrimitives.WriteUInt32LittleEndian(flags, (uint)service.UserFlags);
            BinaryPrimitives.WriteUInt32LittleEndian(flags[4..], uint.MaxValue);
            w.PutU32(IpvsAttr.SvcTimeout, service.Timeout);
            w.PutU32(IpvsAttr.SvcNetmask, service.Netmask);
        }
        w.EndNested(nest);
    }

    /// <summary>
    /// The service nest for commands that only look a service up (DEL_SERVICE, *_DEST, ZERO):
    /// the key plus empty settings, exactly what ipvsadm sends. The kernel parses only the key
    /// for these (ip_vs_genl_parse_service with full_entry false).
    /// </summary>
    public static void PutServiceLookup(NetlinkWriter w, ServiceKey key) =>
        PutService(w, new IpvsService(key, "", ServiceFlags.None, 0, IpvsService.FullNetmask(key.Family)));

    /// <summary>A service nest with the key only, as ipvsadm sends it for the GET_DEST dump.</summary>
    public static void PutServiceKeyOnly(NetlinkWriter w, ServiceKey key)
    {
        var nest = w.BeginNested(IpvsAttr.CmdService, setNestedFlag: true);
        PutServiceKey(w, key);
        w.EndNested(nest);
    }

    /// <summary>Reads just the key of a service nest (requests carry no more for lookups).</summary>
    public static bool TryReadServiceKey(NetlinkAttributeReader r, out ServiceKey key)
    {
        key = default;
        ushort af = 0, protocol = 0, port = 0;
        uint fwmark = 0;
        ReadOnlySpan<byte> addr = default;
        while (r.TryNext(out var a))
        {
            var ok = a.Type switch
            {
                IpvsAttr.SvcAf => a.TryU16(out af),
                IpvsAttr.SvcProtocol => a.TryU16(out protocol),
                IpvsAttr.SvcAddr => (addr = a.Payload).Length >= 4,
                IpvsAttr.SvcPort => a.TryU16BigEndian(out port),
                IpvsAttr.SvcFwmark => a.TryU32(out fwmark),
                _ => true,
            };
            if (!ok) return false;
        }
        if (r.Error != NetlinkMalformation.None || (af != IpvsFamily.Inet && af != IpvsFamily.Inet6)) return false;
        if (fwmark != 0) { key = ServiceKey.ForFirewallMark(fwmark, af); return true; }
        if (!TryAddress(addr, af, out var address)) return false;
        key = new ServiceKey(af, (IpvsProtocol)protocol, address, port, 0);
        return true;
    }

    private static void PutServiceKey(NetlinkWriter w, ServiceKey key)
    {
        w.PutU16(IpvsAttr.SvcAf, key.Family);
        if (key.IsFirewallMark)
        {
            w.PutU32(IpvsAttr.SvcFwmark, key.FirewallMark);
            return;
        }
        w.PutU16(IpvsAttr.SvcProtocol, (ushort)key.Protocol);
        PutAddress(w, IpvsAttr.SvcAddr, key.Address);
        w.PutU16BigEndian(IpvsAttr.SvcPort, key.Port);
    }

    /// <summary>IPVS_CMD_ATTR_DEST, tunnel attributes included for every method (as ipvsadm 1.31 sends them).</summary>
    public static void PutDestination(NetlinkWriter w, IpvsDestination d)
    {
        var nest = w.BeginNested(IpvsAttr.CmdDest, setNestedFlag: true);
        w.PutU16(IpvsAttr.DestAddrFamily, d.Family);
        PutAddress(w, IpvsAttr.DestAddr, d.Address);
        w.PutU16BigEndian(IpvsAttr.DestPort, d.Port);
        w.PutU32(IpvsAttr.DestFwdMethod, (uint)d.Forward);
        w.PutU32(IpvsAttr.DestWeight, unchecked((uint)d.Weight));
        w.PutU8(IpvsAttr.DestTunType, (byte)d.TunnelType);
        w.PutU16BigEndian(IpvsAttr.DestTunPort, d.TunnelPort);
        w.PutU16(IpvsAttr.DestTunFlags, (ushort)d.TunnelFlags);
        w.PutU32(IpvsAttr.DestUThresh, d.UpperThreshold);
        w.PutU32(IpvsAttr.DestLThresh, d.LowerThreshold);
        w.EndNested(nest);
    }

    /// <summary>IPVS_CMD_ATTR_DAEMON for NEW_DAEMON (all attributes) or DEL_DAEMON (state, interface, sync id).</summary>
    public static void PutDaemon(NetlinkWriter w, SyncDaemon d, bool start)
    {
        var nest = w.BeginNested(IpvsAttr.CmdDaemon, setNestedFlag: true);
        w.PutU32(IpvsAttr.DaemonState, (uint)d.State);
        w.PutString(IpvsAttr.DaemonMcastIfn, start ? d.Interface : "");
        w.PutU32(IpvsAttr.DaemonSyncId, start ? d.SyncId : 0);
        if (start)
        {
            if (d.MaxLength != 0) w.PutU16(IpvsAttr.DaemonSyncMaxLen, d.MaxLength);
            if (d.Port != 0) w.PutU16(IpvsAttr.DaemonMcastPort, d.Port);
            if (d.Ttl != 0) w.PutU8(IpvsAttr.DaemonMcastTtl, d.Ttl);
            if (d.Group is { } g)
            {
                Span<byte> b = stackalloc byte[16];
                g.TryWriteBytes(b, out var n);
                w.PutBytes(n == 16 ? IpvsAttr.DaemonMcastGroup6 : IpvsAttr.DaemonMcastGroup, b[..n]);
            }
        }
        w.EndNested(nest);
    }

    public static void PutTimeouts(NetlinkWriter w, IpvsTimeouts t)
    {
        if (t.Tcp != 0) w.PutU32(IpvsAttr.CmdTimeoutTcp, t.Tcp);
        if (t.TcpFin != 0) w.PutU32(IpvsAttr.CmdTimeoutTcpFin, t.TcpFin);
        if (t.Udp != 0) w.PutU32(IpvsAttr.CmdTimeoutUdp, t.Udp);
    }

    /// <summary>Addresses always travel as 16 bytes (union nf_inet_addr), IPv4 in the first 4.</summary>
    private static void PutAddress(NetlinkWriter w, ushort type, IPAddress address)
    {
        var span = w.PutAttribute(type, 16);
        span.Clear();
        address.TryWriteBytes(span, out _);
    }

    private static bool TryAddress(ReadOnlySpan<byte> payload, ushort family, out IPAddress address)
    {
        address = IPAddress.None;
        if (family == IpvsFamily.Inet && payload.Length >= 4) { address = new IPAddress(payload[..4]); return true; }
        if (family == IpvsFamily.Inet6 && payload.Length >= 16) { address = new IPAddress(payload[..16]); return true; }
        return false;
    }

    /// <summary>Decodes one GET_SERVICE reply (a dump entry).</summary>
    public static bool TryReadService(in NetlinkMessage message, out ServiceEntry? entry)
    {
        entry = null;
        if (!message.TryGetGeneric(out _, out var top)) return false;
        while (top.TryNext(out var a))
            if (a.Type == IpvsAttr.CmdService) return TryReadServiceNest(a.Nested, out entry);
        return false;
    }

    public static bool TryReadServiceNest(NetlinkAttributeReader r, out ServiceEntry? entry)
    {
        entry = null;
        ushort af = 0, protocol = 0, port = 0;
        uint fwmark = 0, timeout = 0, netmask = 0, flags = 0;
        ReadOnlySpan<byte> addr = default;
        string? sched = null, pe = null;
        IpvsStats stats = default, stats64 = default;
        bool haveStats64 = false, haveFlags = false, haveNetmask = false, haveTimeout = false;
        while (r.TryNext(out var a))
        {
            var ok = a.Type switch
            {
                IpvsAttr.SvcAf => a.TryU16(out af),
                IpvsAttr.SvcProtocol => a.TryU16(out protocol),
                IpvsAttr.SvcAddr => (addr = a.Payload).Length >= 4,
                IpvsAttr.SvcPort => a.TryU16BigEndian(out port),
                IpvsAttr.SvcFwmark => a.TryU32(out fwmark),
                IpvsAttr.SvcSchedName => (sched = a.AsString()) is not null,
                IpvsAttr.SvcPeName => (pe = a.AsString()) is not null,
                IpvsAttr.SvcFlags => haveFlags = TryFlags(a.Payload, out flags),
                IpvsAttr.SvcTimeout => haveTimeout = a.TryU32(out timeout),
                IpvsAttr.SvcNetmask => haveNetmask = a.TryU32(out netmask),
                IpvsAttr.SvcStats => TryReadStats(a.Nested, wide: false, out stats),
                IpvsAttr.SvcStats64 => haveStats64 = TryReadStats(a.Nested, wide: true, out stats64),
                _ => true,
            };
            if (!ok) return false;
        }
        if (r.Error != NetlinkMalformation.None || sched is null || !haveFlags || !haveNetmask || !haveTimeout) return false;
        if (af != IpvsFamily.Inet && af != IpvsFamily.Inet6) return false;
        ServiceKey key;
        if (fwmark != 0) key = ServiceKey.ForFirewallMark(fwmark, af);
        else
        {
            if (!TryAddress(addr, af, out var address)) return false;
            key = new ServiceKey(af, (IpvsProtocol)protocol, address, port, 0);
        }
        var service = new IpvsService(key, sched, (ServiceFlags)flags, timeout, netmask, string.IsNullOrEmpty(pe) ? null : pe);
        entry = new ServiceEntry(service, haveStats64 ? stats64 : stats);
        return true;
    }

    private static bool TryFlags(ReadOnlySpan<byte> p, out uint flags)
    {
        flags = 0;
        if (p.Length < 8) return false;
        flags = BinaryPrimitives.ReadUInt32LittleEndian(p) & BinaryPrimitives.ReadUInt32LittleEndian(p[4..]);
        return true;
    }

    /// <summary>Decodes one GET_DEST reply. <paramref name="serviceFamily"/> is used when the kernel omits ADDR_FAMILY (before 4.5).</summary>
    public static bool TryReadDestination(in NetlinkMessage message, ushort serviceFamily, out DestinationEntry? entry)
    {
        entry = null;
        if (!message.TryGetGeneric(out _, out var top)) return false;
        while (top.TryNext(out var a))
            if (a.Type == IpvsAttr.CmdDest) return TryReadDestinationNest(a.Nested, serviceFamily, out entry);
        return false;
    }

    public static bool TryReadDestinationNest(NetlinkAttributeReader r, ushort serviceFamily, out DestinationEntry? entry)
    {
        entry = null;
        ushort af = serviceFamily, port = 0, tunPort = 0, tunFlags = 0;
        uint fwd = 0, weight = 0, uth = 0, lth = 0, active = 0, inact = 0, persist = 0;
        byte tunType = 0;
        ReadOnlySpan<byte> addr = default;
        IpvsStats stats = default, stats64 = default;
        bool haveStats64 = false, haveFwd = false, haveWeight = false;
        while (r.TryNext(out var a))
        {
            var ok = a.Type switch
            {
                IpvsAttr.DestAddr => (addr = a.Payload).Length >= 4,
                IpvsAttr.DestPort => a.TryU16BigEndian(out port),
                IpvsAttr.DestFwdMethod => haveFwd = a.TryU32(out fwd),
                IpvsAttr.DestWeight => haveWeight = a.TryU32(out weight),
                IpvsAttr.DestUThresh => a.TryU32(out uth),
                IpvsAttr.DestLThresh => a.TryU32(out lth),
                IpvsAttr.DestActiveConns => a.TryU32(out active),
                IpvsAttr.DestInactConns => a.TryU32(out inact),
                IpvsAttr.DestPersistConns => a.TryU32(out persist),
                IpvsAttr.DestAddrFamily => a.TryU16(out af),
                IpvsAttr.DestTunType => a.TryU8(out tunType),
                IpvsAttr.DestTunPort => a.TryU16BigEndian(out tunPort),
                IpvsAttr.DestTunFlags => a.TryU16(out tunFlags),
                IpvsAttr.DestStats => TryReadStats(a.Nested, wide: false, out stats),
                IpvsAttr.DestStats64 => haveStats64 = TryReadStats(a.Nested, wide: true, out stats64),
                _ => true,
            };
            if (!ok) return false;
        }
        if (r.Error != NetlinkMalformation.None || !haveFwd || !haveWeight || !TryAddress(addr, af, out var address)) return false;
        // The dump reports all connection flags; only the forwarding bits are the method.
        var destination = new IpvsDestination(address, port, (ForwardMethod)(fwd & 0x7), unchecked((int)weight), uth, lth,
            (TunnelType)tunType, tunPort, (TunnelFlags)tunFlags);
        entry = new DestinationEntry(destination, active, inact, persist, haveStats64 ? stats64 : stats);
        return true;
    }

    /// <summary>IPVS_STATS_ATTR_*: u32/u64 in STATS (counts u32, bytes u64), all u64 in STATS64.</summary>
    public static bool TryReadStats(NetlinkAttributeReader r, bool wide, out IpvsStats stats)
    {
        Span<ulong> v = stackalloc ulong[11];
        stats = default;
        while (r.TryNext(out var a))
        {
            if (a.Type is < IpvsAttr.StatsConns or > IpvsAttr.StatsOutBps) continue;
            var isU64 = wide || a.Type is IpvsAttr.StatsInBytes or IpvsAttr.StatsOutBytes;
            if (isU64) { if (!a.TryU64(out v[a.Type])) return false; }
            else { if (!a.TryU32(out var x)) return false; v[a.Type] = x; }
        }
        if (r.Error != NetlinkMalformation.None) return false;
        stats = new IpvsStats(v[1], v[2], v[3], v[4], v[5], v[6], v[7], v[8], v[9], v[10]);
        return true;
    }

    public static bool TryReadInfo(in NetlinkMessage message, out IpvsInfo info)
    {
        info = default;
        if (!message.TryGetGeneric(out _, out var r)) return false;
        uint version = 0, size = 0;
        bool hv = false, hs = false;
        while (r.TryNext(out var a))
        {
            if (a.Type == IpvsAttr.InfoVersion) hv = a.TryU32(out version);
            else if (a.Type == IpvsAttr.InfoConnTabSize) hs = a.TryU32(out size);
        }
        if (r.Error != NetlinkMalformation.None || !hv || !hs) return false;
        info = new IpvsInfo(version, size);
        return true;
    }

    public static bool TryReadTimeouts(in NetlinkMessage message, out IpvsTimeouts timeouts)
    {
        timeouts = default;
        if (!message.TryGetGeneric(out _, out var r)) return false;
        uint tcp = 0, fin = 0, udp = 0;
        while (r.TryNext(out var a))
        {
            var ok = a.Type switch
            {
                IpvsAttr.CmdTimeoutTcp => a.TryU32(out tcp),
                IpvsAttr.CmdTimeoutTcpFin => a.TryU32(out fin),
                IpvsAttr.CmdTimeoutUdp => a.TryU32(out udp),
                _ => true,
            };
            if (!ok) return false;
        }
        if (r.Error != NetlinkMalformation.None) return false;
        timeouts = new IpvsTimeouts(tcp, fin, udp);
        return true;
    }

    /// <summary>
    /// One daemon of a GET_DAEMON dump (ip_vs_genl_dump_daemon: an IPVS_CMD_NEW_DAEMON message with one
    /// nested IPVS_CMD_ATTR_DAEMON). False, for the caller to count, on anything the kernel never sends:
    /// another command, a state other than master/backup, a sync id above 255 (the kernel keeps a u8),
    /// no interface, a multicast group of the wrong length, a truncated attribute.
    /// </summary>
    public static bool TryReadDaemon(in NetlinkMessage message, out SyncDaemon? daemon)
    {
        daemon = null;
        if (!message.TryGetGeneric(out var genl, out var top) || genl.Command != (byte)IpvsCommand.NewDaemon) return false;
        while (top.TryNext(out var outer))
        {
            if (outer.Type != IpvsAttr.CmdDaemon) continue;
            var r = outer.Nested;
            uint state = 0, syncId = 0;
            ushort maxLen = 0, port = 0;
            byte ttl = 0;
            string? ifn = null;
            IPAddress? group = null;
            while (r.TryNext(out var a))
            {
                var ok = a.Type switch
                {
                    IpvsAttr.DaemonState => a.TryU32(out state),
                    IpvsAttr.DaemonMcastIfn => (ifn = a.AsString()) is not null,
                    IpvsAttr.DaemonSyncId => a.TryU32(out syncId),
                    IpvsAttr.DaemonSyncMaxLen => a.TryU16(out maxLen),
                    IpvsAttr.DaemonMcastPort => a.TryU16(out port),
                    IpvsAttr.DaemonMcastTtl => a.TryU8(out ttl),
                    IpvsAttr.DaemonMcastGroup => a.Payload.Length == 4 && (group = new IPAddress(a.Payload)) is not null,
                    IpvsAttr.DaemonMcastGroup6 => a.Payload.Length == 16 && (group = new IPAddress(a.Payload)) is not null,
                    _ => true,
                };
                if (!ok) return false;
            }
            if (r.Error != NetlinkMalformation.None || state is not ((uint)SyncState.Master or (uint)SyncState.Backup)
                || syncId > 255 || string.IsNullOrEmpty(ifn)) return false;
            daemon = new SyncDaemon((SyncState)state, ifn, syncId, maxLen, group, port, ttl);
            return true;
        }
        return false;
    }
}
