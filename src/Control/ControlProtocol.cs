using System.Text;

namespace Appliance.Control;

/// <summary>What an operator can ask the running daemon over its control socket.</summary>
public enum ControlTopic
{
    /// <summary>The director's overall state (<c>appliance status</c>).</summary>
    Status,
    /// <summary>Every real server (<c>appliance health</c>).</summary>
    Health,
    /// <summary>Connection sync (<c>appliance sync status</c>).</summary>
    Sync,
    /// <summary>The VRRP instances in detail.</summary>
    Vrrp,
}

/// <summary>The daemon's answer: a text body, or an error that says why there is none.</summary>
public sealed record ControlReply(bool Ok, string Text)
{
    public static ControlReply Success(string body) => new(true, body);
    public static ControlReply Failure(string reason) => new(false, reason);
}

/// <summary>
/// The control socket's wire format, pure. A request is one line of printable ASCII, the topic word
/// ("status", "health", "sync", "vrrp") ended by LF (CRLF accepted), at most
/// <see cref="MaxRequestBytes"/> bytes. The reply starts with a line "OK" or "ERROR reason"; after "OK"
/// comes the text, and the daemon closes the connection when it has written all of it (the close is
/// the end marker, so a body needs no length and no escaping). One request per connection.
/// </summary>
public static class ControlProtocol
{
    /// <summary>Longest request line, LF included; a longer one is refused without reading further.</summary>
    public const int MaxRequestBytes = 256;

    public const string OkLine = "OK";
    public const string ErrorWord = "ERROR";

    /// <summary>The words of every topic, in the order the help text lists them.</summary>
    public static readonly IReadOnlyList<string> Words = ["status", "health", "sync", "vrrp"];

    public static string Word(ControlTopic topic) => Words[(int)topic];

    /// <summary>The bytes a client sends for <paramref name="topic"/>.</summary>
    public static byte[] Request(ControlTopic topic) => Encoding.ASCII.GetBytes(Word(topic) + "\n");

    /// <summary>
    /// Parses one complete request line (without its LF). False with the reason the daemon answers
    /// when it is not a known topic; the reason never echoes more than a short, printable prefix.
    /// </summary>
    public static bool TryParse(ReadOnlySpan<byte> line, out ControlTopic topic, out string error)
    {
        topic = default;
        if (line.Length > 0 && line[^1] == (byte)'\r') line = line[..^1];
        foreach (var b in line)
        {
            if (b < 0x20 || b > 0x7e)
            {
                error = $"request is not printable ASCII (byte 0x{b:x2})";
                return false;
            }
        }
        var word = Encoding.ASCII.GetString(line).Trim();
        for (var i = 0; i < Words.Count; i++)
        {
            if (string.Equals(word, Words[i], StringComparison.OrdinalIgnoreCase))
            {
                topic = (ControlTopic)i;
                error = "";
                return true;
            }
        }
        var shown = word.Length > 32 ? word[..32] + "..." : word;
        error = word.Length == 0
            ? $"empty request; expected one of {string.Join(", ", Words)}"
            : $"unknown request '{shown}'; expected one of {string.Join(", ", Words)}";
        return false;
    }

    /// <summary>The reply as it goes on the wire.</summary>
    public static byte[] Encode(ControlReply reply)
    {
        // An error is one line: a reason containing a newline would forge a body.
        var text = reply.Ok ? $"{OkLine}\n{reply.Text}" : $"{ErrorWord} {reply.Text.Replace('\n', ' ').Replace('\r', ' ')}\n";
        return Encoding.UTF8.GetBytes(text);
    }

    /// <summary>Reads a reply the daemon wrote (the whole stream up to its close).</summary>
    public static ControlReply Decode(string received)
    {
        var eol = received.IndexOf('\n');
        var first = (eol < 0 ? received : received[..eol]).TrimEnd('\r');
        if (first == OkLine) return ControlReply.Success(eol < 0 ? "" : received[(eol + 1)..]);
        if (first.StartsWith(ErrorWord + " ", StringComparison.Ordinal)) return ControlReply.Failure(first[(ErrorWord.Length + 1)..]);
        var shown = first.Length > 64 ? first[..64] + "..." : first;
        throw new FormatException(received.Length == 0
            ? "the daemon closed the connection without a reply"
            : $"the daemon's reply does not start with OK or ERROR: '{shown}'");
    }
}
