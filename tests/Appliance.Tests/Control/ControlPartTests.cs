using Appliance.Control;
using Appliance.Daemon;
using Appliance.FrontPanel;
using Appliance.Ipvs;
using Appliance.Sync;
using Appliance.Tests.Daemon;
using Appliance.Watchdog;
using Xunit;

namespace Appliance.Tests.Control;

/// <summary>The daemon part that answers the control socket: answers come from the loop, in its turn, never before.</summary>
public sealed class ControlPartTests : IDisposable
{
    private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("appliance-ctlpart-");
    private readonly ListLog _log = new();
    private readonly EventLoop _loop;
    private readonly ControlPart _control;
    private readonly IpvsPart _ipvs;

    public ControlPartTests()
    {
        _loop = new EventLoop(new FakeClock(), _log);
        // No configuration is ever given: nothing here talks to the kernel or starts checks.
        _ipvs = new IpvsPart(_loop, _loop.Clock, _log, new IpvsDaemonHook(_log, new IpvsOwnershipStore(Path.Combine(_dir.FullName, "ipvs-owned")),
            () => throw new InvalidOperationException("this test must not reach IPVS")));
        var director = new DirectorStatePart(_loop, _log, SyncShell.ForThisNamespace(), new LedPanel(new SysfsLedDriver(), _ => { }));
        _control = new ControlPart(_loop, _ipvs, director, new WatchdogPart(_loop, _log, new WatchdogGate()), SyncShell.ForThisNamespace());
    }

    public void Dispose()
    {
        _ipvs.Dispose();
        _dir.Delete(recursive: true);
    }

    private sealed class Parts(IDaemonPart part) : ILoopHandler
    {
        public void Handle(LoopEvent e, TimeSpan now) => part.Handle(e, now);
    }

    private sealed class Arbiter : IStatusContributor
    {
        public int Calls;
        public string Section => "arbiter";
        public IReadOnlyList<string> StatusLines(TimeSpan now)
        {
            Calls++;
            return [$"last decision at {now.TotalSeconds:0} s: hold"];
        }
    }

    private static async Task<ControlReply> Wait(Task<ControlReply> reply)
    {
        try { return await reply.WaitAsync(TimeSpan.FromSeconds(10)); }
        catch (TimeoutException) { throw new Xunit.Sdk.XunitException("no reply within 10 s after the loop handled the request"); }
    }

    [Fact]
    public async Task A_request_is_answered_only_when_the_loop_handles_it()
    {
        var arbiter = new Arbiter();
        _control.Add(arbiter);
        var reply = _control.Ask(ControlTopic.Status);
        Assert.False(reply.IsCompleted);
        Assert.Equal(0, arbiter.Calls); // nothing was read off the loop
        _loop.RunPending(new Parts(_control));
        var status = await Wait(reply);
        Assert.True(status.Ok, status.Text);
        Assert.Equal(1, arbiter.Calls);
        Assert.Contains("arbiter:\n  last decision at 1000 s: hold\n", status.Text);
        Assert.Contains("peer link: not running (peer_type = keepalived, or no vrrp_instance)\n", status.Text);
        Assert.Contains("vrrp: not started yet\n", status.Text);
        Assert.Contains("health: the health checker has not started\n", status.Text);
        Assert.Contains("control: not serving\n", status.Text);
    }

    [Fact]
    public async Task Health_without_a_checker_is_an_error_reply_and_a_stopping_loop_refuses_at_once()
    {
        var health = _control.Ask(ControlTopic.Health);
        _loop.RunPending(new Parts(_control));
        Assert.Equal(ControlReply.Failure("the health checker has not started"), await Wait(health));

        _loop.Stop();
        var late = _control.Ask(ControlTopic.Status);
        Assert.True(late.IsCompleted);
        Assert.Equal(ControlReply.Failure("the daemon is stopping"), await late);
    }
}
