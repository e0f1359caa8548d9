namespace Appliance.Config;

/// <summary>
/// One problem in a configuration file. <see cref="Line"/> is 1-based; 0 means the file as a whole
/// (it could not be read). A missing section is reported at line 1 with a message that says so.
/// </summary>
public sealed record ConfigError(string File, int Line, string Message)
{
    /// <summary>The compiler-style form every tool and editor understands: <c>file:line: message</c>.</summary>
    public override string ToString() => Line > 0 ? $"{File}:{Line}: {Message}" : $"{File}: {Message}";
}
