using System.Reflection;

namespace Appliance.Cli;

/// <summary><c>appliance version</c>: the build's version and runtime.</summary>
public sealed class VersionVerb : IVerb
{
    public string Name => "version";
    public string Summary => "print the appliance's version";
    public string Usage => "appliance version";

    public int Run(IReadOnlyList<string> args, VerbContext context)
    {
        var version = typeof(VersionVerb).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "unknown";
        context.Out.WriteLine($"appliance {version} ({System.Runtime.InteropServices.RuntimeInformation.FrameworkDescription}, {System.Runtime.InteropServices.RuntimeInformation.RuntimeIdentifier})");
        return 0;
    }
}
