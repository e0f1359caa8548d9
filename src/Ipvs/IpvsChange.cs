using Appliance.Netlink;

namespace Appliance.Ipvs;

public enum IpvsChangeKind { AddService, EditService, DeleteService, AddDestination, EditDestination, DeleteDestination }

/// <summary>One change to the kernel's table: what the reconciler decides and the client executes.</summary>
public sealed record IpvsChange(IpvsChangeKind Kind, IpvsService Service, IpvsDestination? Destination = null)
{
    public IpvsCommand Command => Kind switch
    {
        IpvsChangeKind.AddService => IpvsCommand.NewService,
        IpvsChangeKind.EditService => IpvsCommand.SetService,
        IpvsChangeKind.DeleteService => IpvsCommand.DelService,
        IpvsChangeKind.AddDestination => IpvsCommand.NewDest,
        IpvsChangeKind.EditDestination => IpvsCommand.SetDest,
        _ => IpvsCommand.DelDest,
    };

    public bool IsDestination => Kind is IpvsChangeKind.AddDestination or IpvsChangeKind.EditDestination or IpvsChangeKind.DeleteDestination;

    /// <summary>"adding real server 10.0.0.12:80 to TCP 192.0.2.100:80".</summary>
    public string Describe() => Kind switch
    {
        IpvsChangeKind.AddService => $"adding virtual service {Service.Key} (scheduler {Service.Scheduler})",
        IpvsChangeKind.EditService => $"changing virtual service {Service.Key} (scheduler {Service.Scheduler})",
        IpvsChangeKind.DeleteService => $"removing virtual service {Service.Key}",
        IpvsChangeKind.AddDestination => $"adding real server {Destination} to {Service.Key}",
        IpvsChangeKind.EditDestination => $"changing real server {Destination} of {Service.Key} (weight {Destination!.Weight}, {Destination.Forward})",
        _ => $"removing real server {Destination} from {Service.Key}",
    };

    /// <summary>Writes the request for this change.</summary>
    public void Encode(NetlinkWriter w, ushort familyId, uint sequence)
    {
        IpvsCodec.BeginRequest(w, familyId, Command, sequence);
        if (Kind is IpvsChangeKind.AddService or IpvsChangeKind.EditService) IpvsCodec.PutService(w, Service);
        else IpvsCodec.PutServiceLookup(w, Service.Key);
        if (Destination is not null) IpvsCodec.PutDestination(w, Destination);
        w.EndMessage();
    }

    /// <summary>
    /// The kernel's errno as an operator reads it, for this operation (net/netfilter/ipvs/ip_vs_ctl.c:
    /// ESRCH when the service is missing, ENOENT for a missing scheduler/PE or real server,
    /// EEXIST for a duplicate, EINVAL for bad settings).
    /// </summary>
    public string Explain(int errno) => (Kind, errno) switch
    {
        (IpvsChangeKind.AddService, Errno.EEXIST) => "the service already exists",
        (IpvsChangeKind.AddService or IpvsChangeKind.EditService, Errno.ENOENT) =>
            $"scheduler \"{Service.Scheduler}\"" + (Service.PeName is null ? "" : $" or persistence engine \"{Service.PeName}\"") + " not available in this kernel",
        (IpvsChangeKind.AddService or IpvsChangeKind.EditService, Errno.EINVAL) => "invalid service settings",
        (_, Errno.ESRCH) => "no such service",
        (IpvsChangeKind.AddDestination, Errno.EEXIST) => "the real server already exists in this service",
        (IpvsChangeKind.EditDestination or IpvsChangeKind.DeleteDestination, Errno.ENOENT) => "no such real server in this service",
        (IpvsChangeKind.AddDestination or IpvsChangeKind.EditDestination, Errno.EINVAL) => "invalid real server settings (weight, thresholds or forwarding method)",
        (IpvsChangeKind.AddDestination or IpvsChangeKind.EditDestination, Errno.ERANGE) => "value out of range",
        _ => Errno.Describe(errno),
    };

    public string FormatError(int errno, string? kernelMessage) =>
        $"{Describe()}: {Explain(errno)} ({Errno.Name(errno)})" + (string.IsNullOrEmpty(kernelMessage) ? "" : $": kernel says \"{kernelMessage}\"");

    public override string ToString() => Describe();
}

/// <summary>The outcome of one change: Error 0 means applied.</summary>
public sealed record IpvsChangeResult(IpvsChange Change, int Error, string? Message)
{
    public bool Ok => Error == 0;
}
