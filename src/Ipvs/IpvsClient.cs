using Appliance.Netlink;

namespace Appliance.Ipvs;

/// <summary>
/// The appliance's IPVS control client over generic netlink: resolves the "IPVS" family once,
/// then reads the table with dumps and changes it with batched requests. Every failure names the
/// operation and the object. Not thread-safe: one owner (the daemon's IPVS shell or a CLI verb).
/// </summary>
public sealed class IpvsClient : IDisposable
{
    /// <summary>Requests per send; their ACKs (~40 bytes each with NETLINK_CAP_ACK) fit the receive buffer.</summary>
    public const int DefaultBatchSize = 256;

    private readonly NetlinkSocket _socket;
    private readonly NetlinkWriter _writer = new(64 * 1024);

    private IpvsClient(NetlinkSocket socket, GenericNetlinkFamily family)
    {
        _socket = socket;
        Family = family;
    }

    public GenericNetlinkFamily Family { get; }
    public NetlinkCounters Counters => _socket.Counters;

    /// <summary>Opens a generic-netlink socket and resolves IPVS. ENOENT here means the ip_vs module is not loaded.</summary>
    public static IpvsClient Open()
    {
        var socket = NetlinkSocket.Open(NetlinkProtocol.Generic);
        try
        {
            return new IpvsClient(socket, GenericNetlinkFamily.Resolve(socket, IpvsAttr.FamilyName));
        }
        catch (NetlinkException e) when (e.ErrorNumber == Errno.ENOENT)
        {
            socket.Dispose();
            throw new NetlinkException("connecting to IPVS: the kernel has no IPVS generic-netlink family (is ip_vs loaded?)", Errno.ENOENT);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    private void Begin(IpvsCommand command, bool dump = false)
    {
        _writer.Clear();
        IpvsCodec.BeginRequest(_writer, Family.Id, command, _socket.NextSequence(), dump);
    }

    private void Run(string operation, NetlinkDataHandler? onData = null)
    {
        _writer.EndMessage();
        _socket.ExecuteOrThrow(_writer, operation, onData);
    }

    public IpvsInfo GetInfo()
    {
        Begin(IpvsCommand.GetInfo);
        IpvsInfo info = default;
        var got = false;
        Run("reading IPVS info", (int _, in NetlinkMessage m) => got = IpvsCodec.TryReadInfo(m, out info));
        return got ? info : throw new NetlinkException("reading IPVS info", Errno.EBADMSG, "no usable reply");
    }

    public IpvsTimeouts GetTimeouts()
    {
        Begin(IpvsCommand.GetConfig);
        IpvsTimeouts t = default;
        var got = false;
        Run("reading IPVS timeouts", (int _, in NetlinkMessage m) => got = IpvsCodec.TryReadTimeouts(m, out t));
        return got ? t : throw new NetlinkException("reading IPVS timeouts", Errno.EBADMSG, "no usable reply");
    }

    /// <summary>Sets the global timeouts; a 0 leaves that one unchanged (ipvsadm --set semantics).</summary>
    public void SetTimeouts(IpvsTimeouts timeouts)
    {
        Begin(IpvsCommand.SetConfig);
        IpvsCodec.PutTimeouts(_writer, timeouts);
        Run($"setting IPVS timeouts (tcp {timeouts.Tcp}, tcpfin {timeouts.TcpFin}, udp {timeouts.Udp})");
    }

    public IReadOnlyList<SyncDaemon> GetDaemons()
    {
        Begin(IpvsCommand.GetDaemon, dump: true);
        var list = new List<SyncDaemon>();
        Run("reading the IPVS sync daemons", (int _, in NetlinkMessage m) =>
        {
            if (!IpvsCodec.TryReadDaemon(m, out var d)) return false;
            list.Add(d!);
            return true;
        });
        return list;
    }

    public void StartDaemon(SyncDaemon daemon)
    {
        Begin(IpvsCommand.NewDaemon);
        IpvsCodec.PutDaemon(_writer, daemon, start: true);
        Run($"starting the IPVS sync daemon ({daemon.State.ToString().ToLowerInvariant()} on {daemon.Interface}, syncid {daemon.SyncId})");
    }

    public void StopDaemon(SyncState state)
    {
        Begin(IpvsCommand.DelDaemon);
        IpvsCodec.PutDaemon(_writer, new SyncDaemon(state, "", 0), start: false);
        Run($"stopping the IPVS {state.ToString().ToLowerInvariant()} sync daemon");
    }

    /// <summary>Zeroes the counters of one service, or of everything when <paramref name="key"/> is null.</summary>
    public void Zero(ServiceKey? key = null)
    {
        Begin(IpvsCommand.Zero);
        if (key is { } k) IpvsCodec.PutServiceLookup(_writer, k);
        Run(key is null ? "zeroing all IPVS counters" : $"zeroing the counters of {key}");
    }

    /// <summary>Removes every service. The reconciler never calls this; it is for operators and tests.</summary>
    public void Flush()
    {
        Begin(IpvsCommand.Flush);
        Run("flushing the IPVS table");
    }

    public IReadOnlyList<ServiceEntry> ListServices()
    {
        Begin(IpvsCommand.GetService, dump: true);
        var list = new List<ServiceEntry>();
        Run("listing IPVS services", (int _, in NetlinkMessage m) =>
        {
            if (!IpvsCodec.TryReadService(m, out var e)) return false;
            list.Add(e!);
            return true;
        });
        return list;
    }

    public IReadOnlyList<DestinationEntry> ListDestinations(ServiceKey key)
    {
        Begin(IpvsCommand.GetDest, dump: true);
        IpvsCodec.PutServiceKeyOnly(_writer, key);
        var list = new List<DestinationEntry>();
        Run($"listing the real servers of {key}", (int _, in NetlinkMessage m) =>
        {
            if (!IpvsCodec.TryReadDestination(m, key.Family, out var e)) return false;
            list.Add(e!);
            return true;
        });
        return list;
    }

    /// <summary>Destination dumps sent in one datagram by <see cref="ReadTable"/> and <see cref="ReadServices"/>.</summary>
    public const int DumpBatchSize = 32;

    /// <summary>
    /// Reads the whole table: one service dump, then one destination dump per service (see
    /// <see cref="ReadDestinations"/>).
    /// </summary>
    public KernelTable ReadTable() => ReadDestinations(ListServices());

    /// <summary>
    /// Reads only the services with the given keys, as they are in the kernel now: one GET_SERVICE
    /// per key (batched; a key the kernel does not have is simply absent from the result), then
    /// one destination dump per service found. The reconciler's targeted read: a reload that
    /// changes 1% of a large table reads 1% of it, fresh.
    /// </summary>
    public KernelTable ReadServices(IReadOnlyCollection<ServiceKey> keys)
    {
        var list = new List<ServiceKey>(keys);
        var found = new List<ServiceEntry>(list.Count);
        for (var start = 0; start < list.Count; start += DefaultBatchSize)
        {
            var count = Math.Min(DefaultBatchSize, list.Count - start);
            var first = _socket.ReserveSequences(count);
            _writer.Clear();
            for (var i = 0; i < count; i++)
            {
                IpvsCodec.BeginRequest(_writer, Family.Id, IpvsCommand.GetService, first + (uint)i);
                IpvsCodec.PutServiceKeyOnly(_writer, list[start + i]);
                _writer.EndMessage();
            }
            var replies = _socket.Execute(_writer, (int _, in NetlinkMessage m) =>
            {
                if (!IpvsCodec.TryReadService(m, out var e)) return false;
                found.Add(e!);
                return true;
            }, "reading IPVS services");
            for (var i = 0; i < count; i++)
            {
                // ESRCH: no such service (ip_vs_genl_get_cmd), which is an answer, not a failure.
                if (replies[i] is { Ok: false } r && r.Error != Errno.ESRCH)
                    throw new NetlinkException($"reading the IPVS service {list[start + i]}", r.Error, r.KernelMessage);
            }
        }
        return ReadDestinations(found);
    }

    /// <summary>
    /// One destination dump per service. The dumps go out <see cref="DumpBatchSize"/> per send: a
    /// netlink socket runs one dump at a time, and a dump that fits one reply datagram (a service
    /// with up to ~100 real servers) is finished before the kernel reads the next request; one
    /// that does not makes the next requests fail with EBUSY, and those services are read again
    /// one at a time. Each dump reply can take a 32 KiB buffer of the receive queue, hence the
    /// small batch. A service deleted meanwhile (ESRCH) is left out of the result.
    /// </summary>
    private KernelTable ReadDestinations(IReadOnlyList<ServiceEntry> services)
    {
        var destinations = new List<DestinationEntry>?[services.Count];
        for (var start = 0; start < services.Count; start += DumpBatchSize)
        {
            var count = Math.Min(DumpBatchSize, services.Count - start);
            var first = _socket.ReserveSequences(count);
            _writer.Clear();
            for (var i = 0; i < count; i++)
            {
                destinations[start + i] = [];
                IpvsCodec.BeginRequest(_writer, Family.Id, IpvsCommand.GetDest, first + (uint)i, dump: true);
                IpvsCodec.PutServiceKeyOnly(_writer, services[start + i].Service.Key);
                _writer.EndMessage();
            }
            var offset = start;
            NetlinkResult[]? results = null;
            try
            {
                results = _socket.Execute(_writer, (int index, in NetlinkMessage m) =>
                {
                    if (!IpvsCodec.TryReadDestination(m, services[offset + index].Service.Key.Family, out var e)) return false;
                    destinations[offset + index]!.Add(e!);
                    return true;
                }, "listing real servers");
            }
            catch (NetlinkException e) when (e.ErrorNumber == Errno.ENOBUFS)
            {
                // The receive queue overflowed; replies were lost. Read this batch again one by one.
            }
            for (var i = 0; i < count; i++)
            {
                var key = services[start + i].Service.Key;
                var r = results?[i];
                if (r is { Ok: true } && !r.Value.Interrupted) continue;
                if (r is { Error: Errno.ESRCH })
                {
                    destinations[start + i] = null;
                    continue;
                }
                if (r is { } bad && bad.Error is not (Errno.EBUSY or Errno.ENOBUFS or 0))
                    throw new NetlinkException($"listing the real servers of {key}", bad.Error, bad.KernelMessage);
                try
                {
                    destinations[start + i] = [.. ListDestinations(key)];
                }
                catch (NetlinkException e) when (e.ErrorNumber == Errno.ESRCH)
                {
                    destinations[start + i] = null;
                }
            }
        }
        var table = new List<(ServiceEntry Service, IReadOnlyList<DestinationEntry> Destinations)>(services.Count);
        for (int i = 0; i < services.Count; i++)
            if (destinations[i] is { } d) table.Add((services[i], d));
        return new KernelTable(table);
    }

    /// <summary>
    /// Executes changes in order, <paramref name="batchSize"/> requests per send. A refusal does
    /// not stop the rest: every change gets its own result with a message naming it.
    /// </summary>
    public IReadOnlyList<IpvsChangeResult> Execute(IReadOnlyList<IpvsChange> changes, int batchSize = DefaultBatchSize)
    {
        var results = new List<IpvsChangeResult>(changes.Count);
        for (var start = 0; start < changes.Count; start += batchSize)
        {
            var count = Math.Min(batchSize, changes.Count - start);
            var first = _socket.ReserveSequences(count);
            _writer.Clear();
            for (var i = 0; i < count; i++) changes[start + i].Encode(_writer, Family.Id, first + (uint)i);
            var replies = _socket.Execute(_writer, operation: "changing the IPVS table");
            for (var i = 0; i < count; i++)
            {
                var change = changes[start + i];
                var r = replies[i];
                results.Add(r.Ok ? new IpvsChangeResult(change, 0, null) : new IpvsChangeResult(change, r.Error, change.FormatError(r.Error, r.KernelMessage)));
            }
        }
        return results;
    }

    public void Dispose() => _socket.Dispose();
}
