using System.Text;

namespace Appliance.Core;

/// <summary>
/// Splits the configuration's command lines (notify_*, notify_up/down, quorum_up/down, misc_path)
/// into a program and its arguments the way keepalived does before it execs them without a shell
/// (keepalived's alloc_strvec_quoted_escaped): words separated by blanks; single or double quotes
/// group blanks into a word (the other quote is literal inside); a backslash makes the next
/// character literal, inside quotes too. Nothing is expanded: no variables, globs or pipes.
/// </summary>
public static class CommandWords
{
    /// <summary>The words of <paramref name="commandLine"/>; false with a reason when it is empty or a quote is not closed.</summary>
    public static bool TrySplit(string commandLine, out IReadOnlyList<string> words, out string problem)
    {
        var result = new List<string>();
        var current = new StringBuilder();
        char quote = '\0';
        var inWord = false;
        for (var i = 0; i < commandLine.Length; i++)
        {
            var c = commandLine[i];
            if (c == '\\' && i + 1 < commandLine.Length)
            {
                current.Append(commandLine[++i]);
                inWord = true;
            }
            else if (quote != '\0')
            {
                if (c == quote) quote = '\0';
                else current.Append(c);
            }
            else if (c is '"' or '\'')
            {
                quote = c;
                inWord = true; // '' is an empty argument, as in keepalived and sh
            }
            else if (c is ' ' or '\t')
            {
                if (inWord) result.Add(current.ToString());
                current.Clear();
                inWord = false;
            }
            else
            {
                current.Append(c);
                inWord = true;
            }
        }
        words = result;
        if (quote != '\0')
        {
            problem = $"missing terminating {quote}";
            return false;
        }
        if (inWord) result.Add(current.ToString());
        if (result.Count == 0)
        {
            problem = "it is empty";
            return false;
        }
        problem = "";
        return true;
    }

    /// <summary>The words of <paramref name="commandLine"/>; <see cref="ArgumentException"/> when it cannot be split.</summary>
    public static IReadOnlyList<string> Split(string commandLine) =>
        TrySplit(commandLine, out var words, out var problem)
            ? words
            : throw new ArgumentException($"splitting the command line '{commandLine}': {problem}", nameof(commandLine));
}
