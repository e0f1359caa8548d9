using Appliance.Config;

namespace Appliance.FrontPanel;

/// <summary>What the front panel shows: the director's state as a whole.</summary>
public enum PanelState
{
    /// <summary>Starting or stopped: every LED off.</summary>
    Off,
    Backup,
    Master,
    Fault,
}

public enum LedMode
{
    Off,
    On,
    /// <summary>Blinks through the kernel's timer trigger, so it keeps blinking while the daemon is busy or gone.</summary>
    Blink,
}

/// <summary>One LED class device (/sys/class/leds/NAME) and how it should be lit.</summary>
public readonly record struct LedSetting(string Name, LedMode Mode);

/// <summary>
/// The state → LEDs mapping (pure): MASTER green on, BACKUP amber on, FAULT red blinking, the others off.
/// An <c>alarm</c> (the split-brain arbiter's front-panel fault: a heartbeat link down, the peer
/// lost ...) blinks the fault LED too, beside the role's LED.
/// </summary>
public static class FrontPanelMapping
{
    /// <summary>A setting for every LED configured in [leds], so the LEDs of the previous state go dark.</summary>
    public static IReadOnlyList<LedSetting> For(PanelState state, FrontPanelLeds leds, bool alarm = false)
    {
        var result = new List<LedSetting>(3);
        Add(leds.Master, state == PanelState.Master ? LedMode.On : LedMode.Off);
        Add(leds.Backup, state == PanelState.Backup ? LedMode.On : LedMode.Off);
        Add(leds.Fault, state == PanelState.Fault || (alarm && state != PanelState.Off) ? LedMode.Blink : LedMode.Off);
        return result;

        void Add(string? name, LedMode mode)
        {
            if (string.IsNullOrEmpty(name)) return;
            // One device named for two states (a single bicolour LED wired as one): lit wins.
            var i = result.FindIndex(s => s.Name == name);
            if (i < 0) result.Add(new LedSetting(name, mode));
            else if (mode != LedMode.Off) result[i] = new LedSetting(name, mode);
        }
    }
}

/// <summary>Sets one LED; the daemon's panel talks to the hardware only through this.</summary>
public interface ILedDriver
{
    /// <summary>Sets <paramref name="setting"/>; throws <see cref="IOException"/> naming the device and the file on failure.</summary>
    void Set(LedSetting setting);
}

/// <summary>
/// LED class devices (Documentation/leds/leds-class.rst): <c>trigger</c> "none" then
/// <c>brightness</c> = <c>max_brightness</c> for on, 0 for off; blinking is the <c>timer</c>
/// trigger (ledtrig-timer), whose <c>delay_on</c>/<c>delay_off</c> files appear once it is
/// selected. A kernel without the timer trigger refuses the write (EINVAL): the LED is then lit
/// steadily, which still tells FAULT apart from a dark panel.
/// </summary>
public sealed class SysfsLedDriver(string root = SysfsLedDriver.DefaultRoot, int blinkMilliseconds = 500) : ILedDriver
{
    public const string DefaultRoot = "/sys/class/leds";

    /// <summary>How many blink requests fell back to steady light (no timer trigger in the kernel).</summary>
    public int BlinkFallbacks { get; private set; }

    public void Set(LedSetting setting)
    {
        var dir = Path.Combine(root, setting.Name);
        if (!Directory.Exists(dir))
            throw new IOException($"setting LED {setting.Name} {setting.Mode.ToString().ToLowerInvariant()}: no LED class device {dir}");
        switch (setting.Mode)
        {
            case LedMode.Off:
                Write(dir, "trigger", "none", setting);
                Write(dir, "brightness", "0", setting);
                break;
            case LedMode.On:
                Write(dir, "trigger", "none", setting);
                Write(dir, "brightness", MaxBrightness(dir), setting);
                break;
            case LedMode.Blink:
                try
                {
                    Write(dir, "trigger", "timer", setting);
                }
                catch (IOException)
                {
                    BlinkFallbacks++;
                    Write(dir, "brightness", MaxBrightness(dir), setting);
                    break;
                }
                var ms = blinkMilliseconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
                if (File.Exists(Path.Combine(dir, "delay_on"))) Write(dir, "delay_on", ms, setting);
                if (File.Exists(Path.Combine(dir, "delay_off"))) Write(dir, "delay_off", ms, setting);
                break;
        }
    }

    private static string MaxBrightness(string dir)
    {
        try
        {
            var text = File.ReadAllText(Path.Combine(dir, "max_brightness")).Trim();
            return text.Length > 0 ? text : "1";
        }
        catch (IOException) { return "1"; }
    }

    private static void Write(string dir, string file, string value, LedSetting setting)
    {
        try
        {
            // sysfs attributes take one write of the whole value; no truncation dance.
            File.WriteAllText(Path.Combine(dir, file), value);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new IOException($"setting LED {setting.Name} {setting.Mode.ToString().ToLowerInvariant()}: writing '{value}' to {Path.Combine(dir, file)}: {e.Message}", e);
        }
    }
}

/// <summary>The front panel: applies the mapping for a state, skipping LEDs already in the wanted mode.</summary>
public sealed class LedPanel(ILedDriver driver, Action<string> reportError)
{
    private readonly Dictionary<string, LedMode> _shown = new(StringComparer.Ordinal);

    public PanelState State { get; private set; } = PanelState.Off;

    public void Show(PanelState state, FrontPanelLeds leds, bool alarm = false)
    {
        State = state;
        foreach (var setting in FrontPanelMapping.For(state, leds, alarm))
        {
            if (_shown.TryGetValue(setting.Name, out var mode) && mode == setting.Mode) continue;
            try
            {
                driver.Set(setting);
                _shown[setting.Name] = setting.Mode;
            }
            catch (IOException e)
            {
                _shown.Remove(setting.Name); // try again on the next state
                reportError(e.Message);
            }
        }
    }
}
