using System.Text;

namespace Appliance.PeerLink;

/// <summary>
/// What the operator sees about the serial heartbeat: frames sent and accepted, every drop by
/// reason, port errors and reopens. Written by the loop that owns the link; readable from any
/// thread (status command) without locks.
/// </summary>
public sealed class PeerLinkCounters
{
    private readonly long[] _rejected = new long[Enum.GetValues<RejectReason>().Length];
    private long _sent, _accepted, _bytesIn, _bytesOut, _portErrors, _opens, _commandsReceived, _commandsAcked;

    public long Sent => Volatile.Read(ref _sent);
    public long Accepted => Volatile.Read(ref _accepted);
    public long BytesIn => Volatile.Read(ref _bytesIn);
    public long BytesOut => Volatile.Read(ref _bytesOut);
    public long PortErrors => Volatile.Read(ref _portErrors);
    public long Opens => Volatile.Read(ref _opens);
    public long CommandsReceived => Volatile.Read(ref _commandsReceived);
    public long CommandsAcknowledged => Volatile.Read(ref _commandsAcked);
    public long Rejected(RejectReason reason) => Volatile.Read(ref _rejected[(int)reason]);
    public long RejectedTotal { get { long t = 0; foreach (RejectReason r in Enum.GetValues<RejectReason>()) t += Rejected(r); return t; } }

    internal void CountSent(int bytes) { Interlocked.Increment(ref _sent); Interlocked.Add(ref _bytesOut, bytes); }
    internal void CountAccepted() => Interlocked.Increment(ref _accepted);
    internal void CountBytesIn(int bytes) => Interlocked.Add(ref _bytesIn, bytes);
    internal void CountRejected(RejectReason reason) => Interlocked.Increment(ref _rejected[(int)reason]);
    internal void CountPortError() => Interlocked.Increment(ref _portErrors);
    internal void CountOpen() => Interlocked.Increment(ref _opens);
    internal void CountCommandReceived() => Interlocked.Increment(ref _commandsReceived);
    internal void CountCommandAcknowledged() => Interlocked.Increment(ref _commandsAcked);

    /// <summary>One line per counter, for `appliance status` and the log.</summary>
    public override string ToString()
    {
        var sb = new StringBuilder();
        sb.Append($"sent {Sent} accepted {Accepted} bytes-in {BytesIn} bytes-out {BytesOut} port-errors {PortErrors} opens {Opens} commands-received {CommandsReceived} commands-acked {CommandsAcknowledged}");
        foreach (RejectReason r in Enum.GetValues<RejectReason>())
            sb.Append($" rejected-{ToKebab(r)} {Rejected(r)}");
        return sb.ToString();
    }

    /// <summary>Operator-facing name of a reason ("bad-mac", "duplicate-node-id").</summary>
    public static string ToKebab(RejectReason reason)
    {
        var s = reason.ToString();
        var sb = new StringBuilder();
        for (int i = 0; i < s.Length; i++)
        {
            if (char.IsUpper(s[i]) && i > 0) sb.Append('-');
            sb.Append(char.ToLowerInvariant(s[i]));
        }
        return sb.ToString();
    }
}
