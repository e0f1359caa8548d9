using Appliance.Core;
using Appliance.Sync;

namespace Appliance.Cli;

/// <summary>
/// <c>appliance sync ...</c>: the connection-sync shell for operators and the lab. Settings are
/// the [sync] keys as key=value words (docs/sync.md) until the config model is wired in.
/// </summary>
public sealed class SyncVerb : IVerb
{
    private readonly Func<SyncShell> _shell;
    private readonly IClock _clock;

    public SyncVerb() : this(SyncShell.ForThisNamespace, new MonotonicClock()) { }

    internal SyncVerb(Func<SyncShell> shell, IClock clock)
    {
        _shell = shell;
        _clock = clock;
    }

    public string Name => "sync";
    public string Summary => "IPVS connection sync: status, apply the daemons and sysctls for a role, wait for the table, stop";
    public string Usage => """
        appliance sync status [--socket PATH]     the running daemon's view: its role, the kernel's daemons, synced entries, sysctls (derived or overridden), last error
        appliance sync status --kernel | --config FILE | KEY=VALUE ...   the kernel's state read by this process, compared with a configuration if given
        appliance sync apply --state init|backup|master|fault|stop (--config FILE | KEY=VALUE ...)
        appliance sync wait [--quiet] (--config FILE | KEY=VALUE ...)   exit 0 when settled, 3 when only the maximum wait opened the gate
        appliance sync stop
          --config FILE: the appliance's INI ([sync] and [ipvs] sections), as `appliance run` reads it
          keys: interface (required), syncid, peer_syncid, sync_maxlen, mcast_group, mcast_port, mcast_ttl, on_stop,
                sync_threshold, sync_period, sync_refresh_period, sync_retries, sync_version, sync_persist_mode,
                sync_ports, sync_sock_size, sync_qlen_max, catchup_max_wait, timeout_tcp, timeout_tcpfin, timeout_udp
        """;

    public int Run(IReadOnlyList<string> args, VerbContext context)
    {
        if (args.Count == 0) return UsageError(context, "missing sub-command");
        var rest = args.Skip(1).ToList();
        try
        {
            return args[0] switch
            {
                "status" => Status(rest, context),
                "apply" => Apply(rest, context),
                "wait" => Wait(rest, context),
                "stop" => Stop(context),
                _ => UsageError(context, $"unknown sub-command '{args[0]}'"),
            };
        }
        catch (FormatException e) { return UsageError(context, e.Message); }
    }

    private int Status(List<string> args, VerbContext context)
    {
        // Without a configuration of its own the verb asks the running daemon, which knows its settings and role.
        if (args.Count == 0 || args[0].StartsWith("--socket", StringComparison.Ordinal))
        {
            var path = ControlVerb.ParseSocket(args, out var error);
            return path is null ? UsageError(context, error!) : ControlVerb.Ask(path, Control.ControlTopic.Sync, "appliance sync status", context);
        }
        var kernelOnly = args.Remove("--kernel");
        var config = kernelOnly && args.Count == 0 ? null : Parse(args);
        context.Out.Write(_shell().Status(config));
        return 0;
    }

    private int Apply(List<string> args, VerbContext context)
    {
        var i = args.IndexOf("--state");
        if (i < 0 || i + 1 >= args.Count) return UsageError(context, "apply needs --state ROLE");
        var role = args[i + 1] switch
        {
            "init" => DirectorRole.Init,
            "backup" => DirectorRole.Backup,
            "master" => DirectorRole.Master,
            "fault" => DirectorRole.Fault,
            "stop" => DirectorRole.Stop,
            var other => throw new FormatException($"--state '{other}': expected init, backup, master, fault or stop"),
        };
        args.RemoveRange(i, 2);
        var result = _shell().Apply(Parse(args), role);
        foreach (var line in result.Done) context.Out.WriteLine($"sync: {line}");
        foreach (var line in result.Errors) context.Error.WriteLine($"appliance sync apply: {line}");
        if (result.Done.Count == 0 && result.Errors.Count == 0) context.Out.WriteLine("sync: nothing to change");
        return result.Errors.Count == 0 ? 0 : 1;
    }

    private int Wait(List<string> args, VerbContext context)
    {
        var quiet = args.Remove("--quiet");
        var config = Parse(args);
        var shell = _shell();
        var gate = new SyncCatchUp(config.CatchUp, _clock.Now);
        var lastReport = TimeSpan.MinValue;
        while (true)
        {
            var now = _clock.Now;
            try { gate.Observe(now, shell.ReadTable().Synced); }
            catch (IOException e) { context.Error.WriteLine($"appliance sync wait: {e.Message}"); }
            var verdict = gate.Evaluate(now);
            if (verdict.CaughtUp)
            {
                context.Out.WriteLine($"sync: caught up: {verdict.Reason}");
                return verdict.ByMaximumWait ? 3 : 0;
            }
            if (!quiet && now - lastReport >= TimeSpan.FromSeconds(5))
            {
                context.Out.WriteLine($"sync: waiting: {verdict.Reason}");
                lastReport = now;
            }
            var sleep = gate.NextSampleAt - _clock.Now;
            if (sleep > TimeSpan.Zero) Thread.Sleep(sleep);
        }
    }

    private int Stop(VerbContext context)
    {
        var result = _shell().StopDaemons();
        foreach (var line in result.Done) context.Out.WriteLine($"sync: {line}");
        foreach (var line in result.Errors) context.Error.WriteLine($"appliance sync stop: {line}");
        return result.Errors.Count == 0 ? 0 : 1;
    }

    private static SyncConfiguration Parse(List<string> words)
    {
        var i = words.IndexOf("--config");
        if (i < 0) return FromWords(words);
        if (i + 1 >= words.Count || words.Count != 2) throw new FormatException("--config FILE takes no KEY=VALUE words beside it");
        var loaded = Config.ConfigLoader.Load(words[i + 1]);
        if (loaded.Config is null)
            throw new FormatException($"{words[i + 1]}: invalid configuration: {string.Join("; ", loaded.Errors.Select(e => e.ToString()))}");
        return SyncConfiguration.FromConfig(loaded.Config) ?? throw new FormatException($"{words[i + 1]}: [sync] enabled = false");
    }

    private static SyncConfiguration FromWords(IEnumerable<string> words) => SyncConfiguration.FromKeys(words.Select(w =>
    {
        var eq = w.IndexOf('=');
        if (eq <= 0) throw new FormatException($"'{w}': expected KEY=VALUE");
        return new KeyValuePair<string, string>(w[..eq], w[(eq + 1)..]);
    }));

    private int UsageError(VerbContext context, string message)
    {
        context.Error.WriteLine($"appliance sync: {message}\nusage:\n{Usage}");
        return CommandLine.UsageError;
    }
}
