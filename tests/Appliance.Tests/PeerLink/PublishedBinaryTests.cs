using System.Diagnostics;
using System.Text.RegularExpressions;
using Appliance.PeerLink;
using Xunit;
using Xunit.Abstractions;

namespace Appliance.Tests.PeerLink;

/// <summary>
/// The NativeAOT binary (APPLIANCE_BIN, built by `make`) on a pty: proves HMAC-SHA256 and the
/// termios code work after AOT compilation and trimming, and that it interoperates with the
/// JIT-compiled endpoint of the tests.
/// </summary>
[Trait("Category", "Host")]
[Collection("pty")]
public partial class PublishedBinaryTests(ITestOutputHelper output)
{
    internal static string Binary()
    {
        var bin = Environment.GetEnvironmentVariable("APPLIANCE_BIN");
        if (string.IsNullOrEmpty(bin))
        {
            var dir = AppContext.BaseDirectory;
            while (dir is not null && !File.Exists(Path.Combine(dir, "Makefile"))) dir = Path.GetDirectoryName(dir);
            bin = dir is null ? "" : Path.Combine(dir, "out/bin/appliance");
        }
        Assert.True(File.Exists(bin), $"the published binary '{bin}' is missing: run `make` (or set APPLIANCE_BIN)");
        return bin;
    }

    [GeneratedRegex(@"accepted (\d+) .*rejected-bad-mac (\d+)")]
    private static partial Regex Counters();

    [Fact]
    public Task Published_binary_keeps_a_session_with_the_test_endpoint() => Session(maskOpenSsl: false);

    /// <summary>
    /// The product image has no libssl/libcrypto; .NET's crypto would make the AOT runtime abort
    /// the process. The binary runs here with both masked (bind-mounted over by /dev/null in a
    /// private mount namespace) and must still authenticate.
    /// </summary>
    [Fact]
    public Task Published_binary_needs_no_OpenSSL() => Session(maskOpenSsl: true);

    private async Task Session(bool maskOpenSsl)
    {
        using var cable = new SocatCable();
        var keyFile = Path.Combine(cable.Dir, "key");
        File.WriteAllText(keyFile, "0123456789abcdef-test-key\n"); // the same bytes as SessionTests.Key
        using var b = new RunningEndpoint(cable.B, 2, SessionTests.Key, 0xB2, NodeRole.Backup);
        var command = $"{Binary()} peerlink --device {cable.A} --node-id 1 --key-file {keyFile} --role master --duration-ms 2000";
        if (maskOpenSsl)
        {
            var libs = Directory.GetFiles("/usr/lib/x86_64-linux-gnu", "libssl.so*").Concat(Directory.GetFiles("/usr/lib/x86_64-linux-gnu", "libcrypto.so*")).ToList();
            Assert.NotEmpty(libs); // otherwise there is nothing to mask and the test proves nothing
            command = string.Join("; ", libs.Select(l => $"mount --bind /dev/null {l}")) + $"; exec {command}";
        }
        var p = Process.Start(maskOpenSsl
            ? new ProcessStartInfo("unshare", ["-m", "sh", "-c", command]) { RedirectStandardOutput = true, RedirectStandardError = true }
            : new ProcessStartInfo("sh", ["-c", $"exec {command}"]) { RedirectStandardOutput = true, RedirectStandardError = true })!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        Wait.Until(() => b.Status.PeerAlive, TimeSpan.FromSeconds(5), "the test endpoint did not see the binary alive");
        Assert.Equal(NodeRole.Master, b.Status.LastMessage!.Value.Role);
        Assert.True(p.WaitForExit(10_000), "the binary did not stop after --duration-ms");
        var text = await stdout + await stderr;
        output.WriteLine(text);
        Assert.Equal(0, p.ExitCode);
        Assert.Contains("peer alive", text);
        var m = Counters().Match(text);
        Assert.True(m.Success, "no counters line");
        Assert.True(int.Parse(m.Groups[1].Value) >= 10, "the binary accepted fewer than 10 frames in 2 s");
        Assert.Equal("0", m.Groups[2].Value);
        Assert.DoesNotContain("0123456789abcdef", text);
    }
}
