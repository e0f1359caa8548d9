namespace Appliance.Cli;

/// <summary>Standard streams of one invocation, so verbs are testable without the console.</summary>
public sealed record VerbContext(TextWriter Out, TextWriter Error);

/// <summary>One sub-command of <c>appliance</c>.</summary>
public interface IVerb
{
    /// <summary>The word typed after <c>appliance</c>; words separated by a space form a verb group ("ipvs list").</summary>
    string Name { get; }

    /// <summary>One line for <c>appliance help</c>.</summary>
    string Summary { get; }

    /// <summary>Usage line(s) shown by <c>appliance help VERB</c>.</summary>
    string Usage { get; }

    /// <summary>Runs the verb; returns the process exit code.</summary>
    int Run(IReadOnlyList<string> args, VerbContext context);
}
