using Appliance.Config;

namespace Appliance.Cli;

/// <summary>
/// <c>appliance check-config [PATH]</c>: validates a configuration file without touching the
/// system. Exit 0 valid (the summary on stdout), 1 invalid (every error on stderr, one per line,
/// <c>file:line: message</c>), 2 unreadable.
/// </summary>
public sealed class CheckConfigVerb : IVerb
{
    public const int Invalid = 1;
    public const int Unreadable = 2;

    public string Name => "check-config";
    public string Summary => "validate a configuration file and print its summary";
    public string Usage => $"appliance check-config [PATH]   (default {ConfigLoader.DefaultPath}; exit 0 valid, 1 invalid, 2 unreadable)";

    public int Run(IReadOnlyList<string> args, VerbContext context)
    {
        if (args.Count > 1 || (args.Count == 1 && args[0].StartsWith('-')))
        {
            context.Error.WriteLine($"usage: {Usage}");
            return CommandLine.UsageError;
        }
        var path = args.Count == 1 ? args[0] : ConfigLoader.DefaultPath;
        var result = ConfigLoader.Load(path);
        if (result.Unreadable)
        {
            foreach (var e in result.Errors) context.Error.WriteLine(e);
            return Unreadable;
        }
        if (result.Config is null)
        {
            foreach (var e in result.Errors) context.Error.WriteLine(e);
            context.Error.WriteLine($"{path}: {result.Errors.Count} error{(result.Errors.Count == 1 ? "" : "s")}; configuration not valid");
            return Invalid;
        }
        context.Out.Write(result.Config.Describe());
        context.Out.WriteLine($"{path}: configuration valid");
        return 0;
    }
}
