using Appliance.Config;
using Appliance.Daemon;
using Appliance.FrontPanel;
using Appliance.Netlink;
using Appliance.Sync;
using Appliance.Vrrp;
using Xunit;

namespace Appliance.Tests.Daemon;

/// <summary>
/// DirectorStatePart's catch-up gate: while BACKUP it reads the connection table (here a file in
/// /proc/net/ip_vs_conn_sync's format) once a second and posts the pure gate's verdicts to VRRP,
/// each tagged with the start of the wait, until one opens it.
/// </summary>
public sealed class DirectorCatchUpTests : IDisposable
{
    private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("appliance-catchup-");
    private readonly FakeClock _clock = new();
    private readonly ListLog _log = new();
    private readonly EventLoop _loop;
    private readonly string _table;
    private readonly DirectorStatePart _part;
    private readonly ApplianceConfig _config;
    private readonly List<(bool Open, TimeSpan Since, string Reason)> _posts = [];
    private bool _vrrpRunning = true;

    public DirectorCatchUpTests()
    {
        _loop = new EventLoop(_clock, _log);
        _table = Path.Combine(_dir.FullName, "ip_vs_conn_sync");
        WriteTable(0);
        // No kernel IPVS on the host: the daemon plan fails (logged, retried) and is not what this tests.
        var shell = new SyncShell(new IpvsSysctls(_dir.FullName), new ConnSyncReader(_table),
            () => throw new NetlinkException("resolving the IPVS generic-netlink family", 2));
        _part = new DirectorStatePart(_loop, _log, shell, new LedPanel(new SysfsLedDriver(_dir.FullName), _ => { }))
        {
            PreemptionGate = (open, since, reason) =>
            {
                if (!_vrrpRunning) return false;
                _posts.Add((open, since, reason));
                return true;
            },
        };
        // timeout_tcp = timeout_udp = 40 s: refresh 10 s, settle window 13 s, minimum 40 s, maximum 53 s.
        var ini = Path.Combine(_dir.FullName, "appliance.ini");
        File.WriteAllText(ini, File.ReadAllText(Repo.FactoryIni).Replace("timeout_tcp = 900", "timeout_tcp = 40").Replace("timeout_udp = 300", "timeout_udp = 40"));
        _config = ConfigLoader.Load(ini).Config ?? throw new InvalidOperationException("the test INI is refused");
        _part.OnConfiguration(_config, _clock.Now);
    }

    public void Dispose() => _dir.Delete(recursive: true);

    private sealed class Handler(IDaemonPart part) : ILoopHandler
    {
        public void Handle(LoopEvent e, TimeSpan now) => part.Handle(e, now);
    }

    private void WriteTable(int synced)
    {
        using var w = new StreamWriter(_table);
        w.WriteLine("Pro FromIP   FPrt ToIP     TPrt DestIP   DPrt State       Origin Expires");
        for (int i = 0; i < synced; i++) w.WriteLine($"TCP C0A8000A {i + 1000:X4} C0000264 1B58 0A00020B 1B58 ESTABLISHED SYNC        27");
        w.WriteLine("TCP C0A8000A 9999 C0000264 1B58 0A00020B 1B58 ESTABLISHED LOCAL       27");
    }

    private void Advance(int seconds, Func<int, int> syncedAt)
    {
        for (int s = 0; s < seconds; s++)
        {
            _clock.Now += TimeSpan.FromSeconds(1);
            WriteTable(syncedAt(s));
            _loop.RunPending(new Handler(_part));
        }
    }

    private void Enter(VrrpState to) => _part.Handle(new VrrpStateChanged(new VrrpStateChange("VI_1", VrrpState.Initialize, to, "test")), _clock.Now);

    [Fact]
    public void Backup_is_held_while_synced_entries_grow_and_released_once_they_settled_for_a_window()
    {
        var since = _clock.Now;
        Enter(VrrpState.Backup);
        Assert.False(Assert.Single(_posts).Open);
        Assert.Equal(since, _posts[0].Since);

        Advance(30, s => 50 * (s + 1));                   // 50 more entries every second for 30 s
        Assert.All(_posts, p => Assert.False(p.Open));
        Assert.Equal(31, _posts.Count);                    // one verdict per reading
        Assert.Contains("waiting at least 40 s", _posts[^1].Reason);
        var snapshot = _part.SyncStatus(_clock.Now);
        Assert.True(snapshot.CatchUp!.Waiting);
        Assert.Equal(1500, snapshot.CatchUp.SyncedEntries);

        Advance(12, _ => 1500);                            // past the minimum, but not yet settled for a whole 13 s window
        Assert.All(_posts, p => Assert.False(p.Open));
        Assert.Contains("still growing", _posts[^1].Reason);
        Advance(1, _ => 1500);
        var open = _posts[^1];
        Assert.True(open.Open);
        Assert.Equal(since, open.Since);
        Assert.Contains("1500 synced entries, grew by 0", open.Reason);
        Assert.Contains(_log.Lines, l => l.Message.Contains("catch-up gate open after"));
        Assert.False(_part.SyncStatus(_clock.Now).CatchUp!.Waiting);

        var count = _posts.Count;
        Advance(5, _ => 1000);                             // released: no more readings
        Assert.Equal(count, _posts.Count);
    }

    [Fact]
    public void A_verdict_that_VRRP_could_not_take_yet_is_sent_again_and_leaving_Backup_stops_the_readings()
    {
        _vrrpRunning = false;
        Enter(VrrpState.Backup);
        for (int i = 0; i < 600; i++)                      // 60 s in steps of 100 ms: past the maximum wait (53 s)
        {
            _clock.Now += TimeSpan.FromMilliseconds(100);
            _loop.RunPending(new Handler(_part));
        }
        Assert.Empty(_posts);
        _vrrpRunning = true;
        _clock.Now += TimeSpan.FromMilliseconds(100);      // re-sent within 100 ms, not at the next 1 s reading
        _loop.RunPending(new Handler(_part));
        Assert.True(Assert.Single(_posts).Open);
        Assert.Contains("maximum wait", _posts[0].Reason);

        _posts.Clear();
        var second = _clock.Now;
        Enter(VrrpState.Backup);                           // a new BACKUP period: a new wait, a new tag
        Assert.Equal(second, Assert.Single(_posts).Since);
        Enter(VrrpState.Master);
        Assert.Null(_part.SyncStatus(_clock.Now).CatchUp);
        Advance(5, _ => 10);
        Assert.Single(_posts);
    }

    [Fact]
    public void Without_an_IPVS_table_the_gate_opens_at_once()
    {
        File.Delete(_table);
        Enter(VrrpState.Backup);
        var post = Assert.Single(_posts);
        Assert.True(post.Open);
        Assert.Contains("ip_vs is not loaded", post.Reason);
    }
}
