namespace Appliance.Cli;

/// <summary>Dispatches the appliance's verbs.</summary>
public static class CommandLine
{
    public static int Run(string[] args)
    {
        Console.Out.WriteLine("appliance");
        return 0;
    }
}
