using System.Text;
using Appliance.Config;
using Appliance.Config.Ini;
using Xunit;

namespace Appliance.Tests.Config;

/// <summary>Whatever is on the boot partition, loading never throws and every error points into the file.</summary>
public class RobustnessTests
{
    private static readonly string Factory = File.ReadAllText(DocsTests.FactoryPath);

    private static readonly string[] Fragments =
        ["[", "]", "=", "\"", "\\", ";", "#", ",", "/", ":", " ", "\t", "\r", "\n", "\r\n", "\uFEFF", "\0", "é", "-1", "999999999999999999999",
         "0.001", "::", "[vrrp_instance X]", "[real_server r]", "virtual_server = web", "address = 192.0.2.10", "check = MISC_CHECK", "dev", "/24", "/0"];

    [Fact]
    public void Mutated_factory_files_never_throw()
    {
        var random = new Random(20261122); // fixed: a failure is reproducible
        for (var round = 0; round < 1500; round++)
        {
            var sb = new StringBuilder(Factory);
            for (var edits = random.Next(1, 6); edits > 0; edits--)
            {
                var at = random.Next(sb.Length + 1);
                switch (random.Next(3))
                {
                    case 0: sb.Insert(at, Fragments[random.Next(Fragments.Length)]); break;
                    case 1: if (at < sb.Length) sb.Remove(at, Math.Min(random.Next(1, 20), sb.Length - at)); break;
                    default: if (at < sb.Length) sb[at] = (char)random.Next(0, 128); break;
                }
            }
            var text = sb.ToString();
            var lines = text.Split('\n').Length + text.Count(c => c == '\r');
            ConfigLoadResult result;
            try { result = ConfigLoader.Parse(text, "m.ini"); }
            catch (Exception e) { throw new Xunit.Sdk.XunitException($"round {round}: {e}\n--- input ---\n{text}"); }
            Assert.True(result.Config is not null || result.Errors.Count > 0, $"round {round}: neither a model nor an error");
            Assert.All(result.Errors, e => Assert.InRange(e.Line, 1, lines + 1));
        }
    }

    [Fact]
    public void Random_bytes_never_throw()
    {
        var random = new Random(7);
        for (var round = 0; round < 2000; round++)
        {
            var bytes = new byte[random.Next(0, 400)];
            random.NextBytes(bytes);
            var d = IniParser.Parse(bytes, "r.ini");
            Assert.All(d.Errors, e => Assert.True(e.Line >= 1));
        }
    }
}
