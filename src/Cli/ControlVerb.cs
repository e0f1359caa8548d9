using Appliance.Control;

namespace Appliance.Cli;

/// <summary>
/// The operator verbs that ask the running daemon over its control socket (<c>appliance status</c>,
/// <c>appliance health</c>, <c>appliance vrrp status</c>; <c>appliance sync status</c> goes through
/// <see cref="Ask"/> too). They print what the daemon answers and never start anything themselves.
/// Exit 0 answered, 1 the daemon answered with an error, 2 no daemon reachable, 64 bad options.
/// </summary>
public sealed class ControlVerb(string name, ControlTopic topic, string summary) : IVerb
{
    public const int DaemonError = 1;
    public const int NoDaemon = 2;
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);

    public string Name => name;
    public string Summary => summary;
    public string Usage =>
        $"appliance {name} [--socket PATH]\n" +
        $"  --socket PATH  the daemon's control socket (default $APPLIANCE_RUN_DIR/control, {ControlPaths.Socket(null)})\n" +
        "exit 0 answered, 1 the daemon reported an error, 2 no daemon is running";

    public int Run(IReadOnlyList<string> args, VerbContext context)
    {
        var path = ParseSocket(args, out var error);
        if (path is null)
        {
            context.Error.WriteLine($"appliance {name}: {error}\nusage: {Usage}");
            return CommandLine.UsageError;
        }
        return Ask(path, topic, $"appliance {name}", context);
    }

    /// <summary>--socket PATH (or --socket=PATH), nothing else; null with <paramref name="error"/> on anything else.</summary>
    public static string? ParseSocket(IReadOnlyList<string> args, out string? error)
    {
        var path = ControlClient.DefaultPath;
        error = null;
        for (var i = 0; i < args.Count; i++)
        {
            if (args[i] == "--socket" && i + 1 < args.Count && args[i + 1].Length > 0) path = args[++i];
            else if (args[i].StartsWith("--socket=", StringComparison.Ordinal) && args[i].Length > "--socket=".Length) path = args[i]["--socket=".Length..];
            else
            {
                error = args[i] == "--socket" ? "--socket needs a path" : $"unexpected '{args[i]}'";
                return null;
            }
        }
        return path;
    }

    /// <summary>Asks the daemon at <paramref name="path"/> and prints its answer; returns the exit code.</summary>
    public static int Ask(string path, ControlTopic topic, string verb, VerbContext context)
    {
        try
        {
            var reply = ControlClient.Ask(path, topic, Timeout);
            if (!reply.Ok)
            {
                context.Error.WriteLine($"{verb}: the daemon answered: {reply.Text}");
                return DaemonError;
            }
            context.Out.Write(reply.Text);
            return 0;
        }
        catch (DaemonUnreachableException e)
        {
            context.Error.WriteLine($"{verb}: {e.Message}");
            return NoDaemon;
        }
        catch (IOException e)
        {
            context.Error.WriteLine($"{verb}: {e.Message}");
            return DaemonError;
        }
    }
}
