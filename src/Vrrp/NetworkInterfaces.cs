using Appliance.Interop;

namespace Appliance.Vrrp;

/// <summary>Interface lookups the VRRP and takeover shells share.</summary>
public static class NetworkInterfaces
{
    /// <summary>The interface index, with an error naming the interface when it does not exist.</summary>
    public static int Index(string name)
    {
        uint index = Libc.if_nametoindex(name);
        if (index == 0) throw ErrnoException.FromLast($"looking up interface '{name}'");
        return (int)index;
    }
}

/// <summary>
/// A NIC's carrier, for loops that look every 20 ms (the VRRP loop, the split-brain guard): the
/// sysfs attribute /sys/class/net/NAME/carrier kept open and read again with pread at offset 0,
/// which makes sysfs produce it afresh — one system call per reading instead of open, fstat,
/// read and close, and no allocation. The link-change notifications of RTMGRP_LINK are no
/// substitute: the kernel's linkwatch may hold a carrier change back up to a second when another
/// came shortly before. Not thread-safe: one owner per sensor.
/// </summary>
public sealed class CarrierSensor : IDisposable
{
    private readonly string _path;
    private readonly byte[] _buffer = new byte[8];
    private int _fd = -1;

    public CarrierSensor(string name)
    {
        Name = name;
        _path = $"/sys/class/net/{name}/carrier";
    }

    public string Name { get; }

    /// <summary>True when the carrier is up; false when it is down, the NIC is administratively down (EINVAL) or gone (the file is opened again next time).</summary>
    public bool Read()
    {
        if (_fd < 0)
        {
            _fd = Libc.open(_path, Libc.O_RDONLY | Libc.O_CLOEXEC);
            if (_fd < 0) return false;
        }
        var n = Libc.pread(_fd, _buffer, 0);
        if (n > 0) return _buffer[0] == (byte)'1';
        // An error (EINVAL while the NIC is down, ENODEV once it is gone): start afresh, so that a
        // NIC removed and created again under the same name is read, not the old one's node.
        Libc.close(_fd);
        _fd = -1;
        return false;
    }

    public void Dispose()
    {
        if (_fd >= 0) Libc.close(_fd);
        _fd = -1;
    }
}
