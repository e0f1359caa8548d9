using System.Net;
using Appliance.Ipvs;
using Xunit;

namespace Appliance.Tests.Ipvs;

public class ReconcilerTests
{
    private static readonly ServiceKey Web = ServiceKey.For(IpvsProtocol.Tcp, IPAddress.Parse("192.0.2.100"), 80);
    private static readonly ServiceKey Dns = ServiceKey.For(IpvsProtocol.Udp, IPAddress.Parse("192.0.2.100"), 53);
    private static readonly ServiceKey Foreign = ServiceKey.For(IpvsProtocol.Tcp, IPAddress.Parse("203.0.113.1"), 22);

    private static IpvsDestination Rs(int last, int weight = 1, ForwardMethod fwd = ForwardMethod.Masq) =>
        new(IPAddress.Parse($"10.0.0.{last}"), 80, fwd, weight);

    private static DesiredTable Desired(params (IpvsService Service, IpvsDestination[] Dests)[] services) =>
        new(services.Select(s => new VirtualServer(s.Service, s.Dests)).ToList());

    private static KernelTable Kernel(params (IpvsService Service, IpvsDestination[] Dests)[] services) =>
        new(services.Select(s => (new ServiceEntry(s.Service with { Flags = s.Service.Flags | ServiceFlags.Hashed }, default(IpvsStats)),
            (IReadOnlyList<DestinationEntry>)s.Dests.Select(d => new DestinationEntry(d, 3, 1, 0, default)).ToList())).ToList());

    private static readonly HashSet<ServiceKey> None = [];

    [Fact]
    public void An_empty_kernel_gets_services_then_their_real_servers()
    {
        var plan = IpvsReconciler.Plan(Desired((new IpvsService(Web, "wlc"), [Rs(11), Rs(12)])), Kernel(), None);
        Assert.Equal([IpvsChangeKind.AddService, IpvsChangeKind.AddDestination, IpvsChangeKind.AddDestination], plan.Changes.Select(c => c.Kind));
        Assert.Equal([Web], plan.Owned);
    }

    [Fact]
    public void Equal_tables_need_nothing_even_with_the_kernels_hashed_flag()
    {
        var svc = new IpvsService(Web, "sh", ServiceFlags.Persistent | ServiceFlags.Sched1, 300, IpvsService.V4Netmask(24));
        var plan = IpvsReconciler.Plan(Desired((svc, [Rs(11), Rs(12)])), Kernel((svc, [Rs(12), Rs(11)])), new HashSet<ServiceKey> { Web });
        Assert.Empty(plan.Changes);
    }

    [Fact]
    public void A_weight_change_is_one_edit_of_that_server_only()
    {
        var svc = new IpvsService(Web, "wlc");
        var plan = IpvsReconciler.Plan(Desired((svc, [Rs(11), Rs(12, weight: 5), Rs(13)])), Kernel((svc, [Rs(11), Rs(12), Rs(13)])), None);
        var change = Assert.Single(plan.Changes);
        Assert.Equal(IpvsChangeKind.EditDestination, change.Kind);
        Assert.Equal(5, change.Destination!.Weight);
        Assert.Equal(IpvsCommand.SetDest, change.Command);
    }

    [Fact]
    public void A_forwarding_change_is_an_edit_not_a_delete_and_add()
    {
        var svc = new IpvsService(Web, "wlc");
        var plan = IpvsReconciler.Plan(Desired((svc, [Rs(11, fwd: ForwardMethod.Route)])), Kernel((svc, [Rs(11)])), None);
        Assert.Equal(IpvsChangeKind.EditDestination, Assert.Single(plan.Changes).Kind);
    }

    [Fact]
    public void A_scheduler_or_persistence_change_is_one_service_edit()
    {
        var plan = IpvsReconciler.Plan(Desired((new IpvsService(Web, "rr", ServiceFlags.Persistent, 600), [Rs(11)])),
            Kernel((new IpvsService(Web, "wlc"), [Rs(11)])), None);
        var change = Assert.Single(plan.Changes);
        Assert.Equal(IpvsChangeKind.EditService, change.Kind);
        Assert.Equal(IpvsCommand.SetService, change.Command);
    }

    [Fact]
    public void Removing_one_real_server_removes_only_it()
    {
        var svc = new IpvsService(Web, "wlc");
        var plan = IpvsReconciler.Plan(Desired((svc, [Rs(11), Rs(13)])), Kernel((svc, [Rs(11), Rs(12), Rs(13)])), new HashSet<ServiceKey> { Web });
        var change = Assert.Single(plan.Changes);
        Assert.Equal(IpvsChangeKind.DeleteDestination, change.Kind);
        Assert.Equal(Rs(12).Key, change.Destination!.Key);
    }

    [Fact]
    public void Services_not_owned_are_left_alone_and_owned_ones_are_removed()
    {
        var plan = IpvsReconciler.Plan(Desired((new IpvsService(Web, "wlc"), [Rs(11)])),
            Kernel((new IpvsService(Web, "wlc"), [Rs(11)]), (new IpvsService(Dns, "rr"), [Rs(53)]), (new IpvsService(Foreign, "rr"), [Rs(22)])),
            new HashSet<ServiceKey> { Web, Dns });
        var change = Assert.Single(plan.Changes);
        Assert.Equal(IpvsChangeKind.DeleteService, change.Kind);
        Assert.Equal(Dns, change.Service.Key);
        Assert.Equal([Web], plan.Owned);
    }

    [Fact]
    public void A_desired_service_that_exists_unowned_is_adopted()
    {
        var plan = IpvsReconciler.Plan(Desired((new IpvsService(Foreign, "rr"), [Rs(22)])),
            Kernel((new IpvsService(Foreign, "wlc"), [Rs(22), Rs(23)])), None);
        Assert.Equal([IpvsChangeKind.EditService, IpvsChangeKind.DeleteDestination], plan.Changes.Select(c => c.Kind));
        Assert.Contains(Foreign, plan.Owned);
    }

    [Fact]
    public void Duplicates_in_the_desired_table_are_reported_and_the_first_wins()
    {
        var plan = IpvsReconciler.Plan(Desired((new IpvsService(Web, "wlc"), [Rs(11), Rs(11, weight: 9)]), (new IpvsService(Web, "rr"), [])), Kernel(), None);
        Assert.Equal(2, plan.Problems.Count);
        Assert.Contains(plan.Problems, p => p.Contains("TCP 192.0.2.100:80 is defined twice"));
        Assert.Contains(plan.Problems, p => p.Contains("real server 10.0.0.11:80 is listed twice"));
        Assert.Equal("wlc", plan.Changes[0].Service.Scheduler);
        Assert.Equal(1, Assert.Single(plan.Changes, c => c.IsDestination).Destination!.Weight);
    }

    [Fact]
    public void IPv6_services_get_a_prefix_length_netmask()
    {
        var v6 = ServiceKey.For(IpvsProtocol.Tcp, IPAddress.Parse("2001:db8::1"), 80);
        var plan = IpvsReconciler.Plan(Desired((new IpvsService(v6, "rr"), [])), Kernel((new IpvsService(v6, "rr", Netmask: 128), [])), None);
        Assert.Empty(plan.Changes);
    }

    private static Dictionary<ServiceKey, VirtualServer> Applied(DesiredTable table) =>
        IpvsReconciler.Wanted(table, []).ToDictionary(v => v.Service.Key);

    [Fact]
    public void Changed_services_are_those_whose_desired_state_differs_from_the_last_applied()
    {
        var svc = new IpvsService(Web, "wlc");
        var applied = Applied(Desired((svc, [Rs(11), Rs(12)]), (new IpvsService(Dns, "rr"), [Rs(53)])));
        Assert.Empty(IpvsReconciler.ChangedServices(IpvsReconciler.Wanted(Desired((svc, [Rs(11), Rs(12)]), (new IpvsService(Dns, "rr"), [Rs(53)])), []), applied));
        // A weight, a scheduler, a dropped and a new service: each is a change; the unchanged one is not.
        Assert.Equal([Web], IpvsReconciler.ChangedServices(IpvsReconciler.Wanted(Desired((svc, [Rs(11, weight: 4), Rs(12)]), (new IpvsService(Dns, "rr"), [Rs(53)])), []), applied));
        Assert.Equal([Dns], IpvsReconciler.ChangedServices(IpvsReconciler.Wanted(Desired((svc, [Rs(11), Rs(12)]), (new IpvsService(Dns, "wrr"), [Rs(53)])), []), applied));
        Assert.Equal([Dns], IpvsReconciler.ChangedServices(IpvsReconciler.Wanted(Desired((svc, [Rs(11), Rs(12)])), []), applied));
        Assert.Equal(new HashSet<ServiceKey> { Dns, Foreign }, IpvsReconciler.ChangedServices(IpvsReconciler.Wanted(
            Desired((svc, [Rs(11), Rs(12)]), (new IpvsService(Foreign, "rr"), [Rs(22)])), []), applied));
        // A real server added or removed.
        Assert.Equal([Web], IpvsReconciler.ChangedServices(IpvsReconciler.Wanted(Desired((svc, [Rs(11)]), (new IpvsService(Dns, "rr"), [Rs(53)])), []), applied));
        Assert.Equal([Web], IpvsReconciler.ChangedServices(IpvsReconciler.Wanted(Desired((svc, [Rs(11), Rs(13)]), (new IpvsService(Dns, "rr"), [Rs(53)])), []), applied));
    }

    [Fact]
    public void A_service_with_a_refused_change_counts_as_changed_until_an_apply_succeeds()
    {
        var svc = new IpvsService(Web, "wlc");
        var first = IpvsReconciler.Wanted(Desired((svc, [Rs(11)]), (new IpvsService(Dns, "rr"), [Rs(53)])), []);
        // Whole-table apply where Dns was refused: it is not remembered as applied.
        var applied = IpvsReconciler.RecordApplied(null, first, scope: null, failed: new HashSet<ServiceKey> { Dns });
        Assert.Equal([Dns], IpvsReconciler.ChangedServices(first, applied));
        // Targeted apply of Dns that succeeds: now nothing is changed; Web stays remembered.
        applied = IpvsReconciler.RecordApplied(applied, first, new HashSet<ServiceKey> { Dns }, new HashSet<ServiceKey>());
        Assert.Empty(IpvsReconciler.ChangedServices(first, applied));
        // A dropped service leaves the remembered state once its delete went through.
        var second = IpvsReconciler.Wanted(Desired((svc, [Rs(11)])), []);
        var scope = IpvsReconciler.ChangedServices(second, applied);
        Assert.Equal([Dns], scope);
        applied = IpvsReconciler.RecordApplied(applied, second, scope, new HashSet<ServiceKey>());
        Assert.Equal([Web], applied.Keys);
        Assert.Empty(IpvsReconciler.ChangedServices(second, applied));
    }

    [Fact]
    public void A_scoped_plan_uses_the_fresh_kernel_state_of_the_changed_service_and_touches_nothing_else()
    {
        var svc = new IpvsService(Web, "wlc");
        var wanted = IpvsReconciler.Wanted(Desired((svc, [Rs(11, weight: 4), Rs(12), Rs(13)]), (new IpvsService(Dns, "rr"), [Rs(53)])), []);
        // Someone else changed rs12's weight and removed rs13 behind the appliance's back; the
        // targeted read returns Web as it is now, so the plan repairs both along with the wanted edit.
        var fresh = Kernel((svc, [Rs(11), Rs(12, weight: 9)]));
        var plan = IpvsReconciler.Plan(wanted, fresh, new HashSet<ServiceKey> { Web, Dns }, new HashSet<ServiceKey> { Web });
        Assert.Equal([IpvsChangeKind.EditDestination, IpvsChangeKind.EditDestination, IpvsChangeKind.AddDestination], plan.Changes.Select(c => c.Kind));
        Assert.All(plan.Changes, c => Assert.Equal(Web, c.Service.Key));
        // Dns is outside the scope: absent from the read, it is neither re-added nor deleted, and still owned.
        Assert.Equal(new HashSet<ServiceKey> { Web, Dns }, plan.Owned);
    }

    [Fact]
    public void A_scoped_plan_deletes_a_dropped_owned_service_only_if_the_read_found_it()
    {
        var wanted = IpvsReconciler.Wanted(Desired((new IpvsService(Web, "wlc"), [Rs(11)])), []);
        var owned = new HashSet<ServiceKey> { Web, Dns };
        var found = IpvsReconciler.Plan(wanted, Kernel((new IpvsService(Dns, "rr"), [Rs(53)])), owned, new HashSet<ServiceKey> { Dns });
        Assert.Equal(IpvsChangeKind.DeleteService, Assert.Single(found.Changes).Kind);
        var gone = IpvsReconciler.Plan(wanted, Kernel(), owned, new HashSet<ServiceKey> { Dns });
        Assert.Empty(gone.Changes);
    }

    [Fact]
    public void Error_messages_name_operation_object_and_errno()
    {
        var change = new IpvsChange(IpvsChangeKind.AddDestination, new IpvsService(Web, "wlc"), Rs(12));
        Assert.Equal("adding real server 10.0.0.12:80 to TCP 192.0.2.100:80: no such service (ESRCH)", change.FormatError(3, null));
        Assert.Equal("adding real server 10.0.0.12:80 to TCP 192.0.2.100:80: the real server already exists in this service (EEXIST): kernel says \"x\"",
            change.FormatError(17, "x"));
    }
}

public class OwnershipStoreTests
{
    [Theory]
    [InlineData("TCP 192.0.2.100:80")]
    [InlineData("UDP [2001:db8::1]:53")]
    [InlineData("SCTP 198.51.100.1:3868")]
    [InlineData("FWM 7")]
    [InlineData("FWM 7 IPv6")]
    public void Keys_round_trip_through_their_text(string text)
    {
        Assert.True(IpvsOwnershipStore.TryParseKey(text, out var key));
        Assert.Equal(text, key.ToString());
    }

    [Theory]
    [InlineData("")]
    [InlineData("TCP")]
    [InlineData("FOO 1.2.3.4:5")]
    [InlineData("FWM 0")]
    [InlineData("TCP 1.2.3.4:99999")]
    [InlineData("FWM 7 IPv4")]
    public void Garbage_is_refused(string text) => Assert.False(IpvsOwnershipStore.TryParseKey(text, out _));

    [Fact]
    public void Saves_and_loads_atomically_and_reports_bad_lines()
    {
        var dir = Directory.CreateTempSubdirectory("ipvs-owned-");
        try
        {
            var store = new IpvsOwnershipStore(Path.Combine(dir.FullName, "sub", "owned"));
            Assert.Empty(store.Load());
            store.Save([ServiceKey.ForFirewallMark(3), ServiceKey.For(IpvsProtocol.Tcp, IPAddress.Parse("192.0.2.1"), 80)]);
            Assert.Equal(2, store.Load().Count);
            File.AppendAllText(store.Path, "nonsense\n");
            var problems = new List<string>();
            Assert.Equal(2, store.Load(problems).Count);
            Assert.Contains("nonsense", Assert.Single(problems));
            Assert.False(File.Exists(store.Path + ".tmp"));
        }
        finally
        {
            dir.Delete(true);
        }
    }
}
