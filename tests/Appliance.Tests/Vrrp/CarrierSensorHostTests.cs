using System.Diagnostics;
using Appliance.Vrrp;
using Xunit;

namespace Appliance.Tests.Vrrp;

/// <summary>The carrier sensor against a real veth pair (root; created in the host's namespace, where this process reads sysfs, and deleted at the end).</summary>
[Trait("Category", "Host")]
public class CarrierSensorHostTests
{
    private static void Ip(string args)
    {
        using var p = Process.Start(new ProcessStartInfo("ip", args) { RedirectStandardError = true })!;
        var err = p.StandardError.ReadToEnd();
        p.WaitForExit();
        if (p.ExitCode != 0) throw new InvalidOperationException($"ip {args}: {err}");
    }

    [Fact]
    public void Reads_carrier_up_and_down_admin_down_and_a_nic_deleted_and_created_again()
    {
        var a = $"cs{Environment.ProcessId % 100000}a";
        var b = $"cs{Environment.ProcessId % 100000}b";
        using var sensor = new CarrierSensor(a);
        try
        {
            Assert.False(sensor.Read()); // no such NIC yet
            Ip($"link add {a} type veth peer name {b}");
            Assert.False(sensor.Read()); // administratively down: sysfs says EINVAL
            Ip($"link set {a} up");
            Assert.False(sensor.Read()); // up, but the peer end is down: no carrier
            Ip($"link set {b} up");
            Assert.True(sensor.Read());
            Assert.True(sensor.Read()); // the same descriptor, read again
            Ip($"link set {b} down");
            Assert.False(sensor.Read());
            Ip($"link set {b} up");
            Assert.True(sensor.Read());
            Ip($"link del {a}");
            Assert.False(sensor.Read());
            Ip($"link add {a} type veth peer name {b}");
            Ip($"link set {a} up");
            Ip($"link set {b} up");
            Assert.True(sensor.Read()); // the new NIC of the same name, not the old one's node
        }
        finally
        {
            try { Ip($"link del {a}"); } catch (InvalidOperationException) { }
        }
    }
}
