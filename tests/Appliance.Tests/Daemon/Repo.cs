namespace Appliance.Tests.Daemon;

/// <summary>Paths in the checkout the tests run from.</summary>
internal static class Repo
{
    public static string Root { get; } = FindRoot();

    /// <summary>The factory default configuration (a valid file).</summary>
    public static string FactoryIni => Path.Combine(Root, "rootfs", "etc", "appliance", "factory.ini");

    /// <summary>The published binary: $APPLIANCE_BIN (set by make unit), else out/bin/appliance of this checkout.</summary>
    public static string Binary
    {
        get
        {
            var bin = Environment.GetEnvironmentVariable("APPLIANCE_BIN");
            if (string.IsNullOrEmpty(bin)) bin = Path.Combine(Root, "out", "bin", "appliance");
            if (!File.Exists(bin))
                throw new FileNotFoundException($"the published binary {bin} does not exist: build it with `make` (or set APPLIANCE_BIN)");
            return bin;
        }
    }

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "Appliance.sln"))) return dir.FullName;
        throw new DirectoryNotFoundException($"no Appliance.sln above {AppContext.BaseDirectory}");
    }
}
