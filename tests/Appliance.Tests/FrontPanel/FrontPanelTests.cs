using Appliance.Config;
using Appliance.FrontPanel;
using Xunit;

namespace Appliance.Tests.FrontPanel;

public sealed class FrontPanelMappingTests
{
    private static readonly FrontPanelLeds Leds = new("green", "amber", "red");

    [Theory]
    [InlineData(PanelState.Master, LedMode.On, LedMode.Off, LedMode.Off)]
    [InlineData(PanelState.Backup, LedMode.Off, LedMode.On, LedMode.Off)]
    [InlineData(PanelState.Fault, LedMode.Off, LedMode.Off, LedMode.Blink)]
    [InlineData(PanelState.Off, LedMode.Off, LedMode.Off, LedMode.Off)]
    public void Every_configured_led_gets_a_setting(PanelState state, LedMode green, LedMode amber, LedMode red)
    {
        Assert.Equal([new("green", green), new("amber", amber), new("red", red)], FrontPanelMapping.For(state, Leds));
    }

    [Fact]
    public void An_arbiter_alarm_blinks_the_fault_LED_beside_the_role_LED()
    {
        Assert.Equal([new LedSetting("green", LedMode.On), new("amber", LedMode.Off), new("red", LedMode.Blink)],
            FrontPanelMapping.For(PanelState.Master, Leds, alarm: true));
        Assert.Equal([new LedSetting("green", LedMode.Off), new("amber", LedMode.On), new("red", LedMode.Blink)],
            FrontPanelMapping.For(PanelState.Backup, Leds, alarm: true));
        // Stopped or starting: dark, whatever the arbiter last said.
        Assert.All(FrontPanelMapping.For(PanelState.Off, Leds, alarm: true), s => Assert.Equal(LedMode.Off, s.Mode));
    }

    [Fact]
    public void Unconfigured_leds_are_left_out()
    {
        Assert.Equal([new LedSetting("red", LedMode.Blink)], FrontPanelMapping.For(PanelState.Fault, new FrontPanelLeds(null, "", "red")));
    }

    [Fact]
    public void One_device_for_two_states_is_lit_when_either_is()
    {
        var leds = new FrontPanelLeds("bicolour", "bicolour", null);
        Assert.Equal([new LedSetting("bicolour", LedMode.On)], FrontPanelMapping.For(PanelState.Backup, leds));
        Assert.Equal([new LedSetting("bicolour", LedMode.Off)], FrontPanelMapping.For(PanelState.Fault, leds));
    }
}

/// <summary>The sysfs driver against a temporary tree shaped like /sys/class/leds.</summary>
public sealed class SysfsLedDriverTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("leds-").FullName;

    public void Dispose() => Directory.Delete(_root, recursive: true);

    private string Led(string name, string max = "255")
    {
        var dir = Path.Combine(_root, name);
        Directory.CreateDirectory(dir);
        File.WriteAllText(Path.Combine(dir, "brightness"), "0");
        File.WriteAllText(Path.Combine(dir, "max_brightness"), max);
        File.WriteAllText(Path.Combine(dir, "trigger"), "[none] timer");
        return dir;
    }

    private static string Read(string dir, string file) => File.ReadAllText(Path.Combine(dir, file));

    [Fact]
    public void Master_lights_green_at_max_brightness_and_darkens_the_others()
    {
        var green = Led("d:green:master");
        var amber = Led("d:amber:backup", max: "1");
        var red = Led("d:red:fault");
        var panel = new LedPanel(new SysfsLedDriver(_root), e => Assert.Fail(e));
        var leds = new FrontPanelLeds("d:green:master", "d:amber:backup", "d:red:fault");

        panel.Show(PanelState.Backup, leds);
        Assert.Equal("1", Read(amber, "brightness"));
        Assert.Equal("0", Read(green, "brightness"));

        panel.Show(PanelState.Master, leds);
        Assert.Equal("255", Read(green, "brightness"));
        Assert.Equal("none", Read(green, "trigger"));
        Assert.Equal("0", Read(amber, "brightness"));
        Assert.Equal("0", Read(red, "brightness"));
    }

    [Fact]
    public void Fault_blinks_red_through_the_timer_trigger()
    {
        var red = Led("d:red:fault");
        // The kernel creates these when the timer trigger is selected; the tree has them already.
        File.WriteAllText(Path.Combine(red, "delay_on"), "0");
        File.WriteAllText(Path.Combine(red, "delay_off"), "0");
        var panel = new LedPanel(new SysfsLedDriver(_root, blinkMilliseconds: 250), e => Assert.Fail(e));

        panel.Show(PanelState.Fault, new FrontPanelLeds(null, null, "d:red:fault"));

        Assert.Equal("timer", Read(red, "trigger"));
        Assert.Equal("250", Read(red, "delay_on"));
        Assert.Equal("250", Read(red, "delay_off"));
    }

    [Fact]
    public void A_missing_device_is_reported_by_name_and_retried_on_the_next_state()
    {
        var errors = new List<string>();
        var panel = new LedPanel(new SysfsLedDriver(_root), errors.Add);
        var leds = new FrontPanelLeds("d:green:master", null, null);

        panel.Show(PanelState.Master, leds);
        Assert.Contains("setting LED d:green:master on: no LED class device", Assert.Single(errors));

        var green = Led("d:green:master");
        panel.Show(PanelState.Master, leds);
        Assert.Single(errors);
        Assert.Equal("255", Read(green, "brightness"));
    }

    [Fact]
    public void An_unchanged_led_is_not_written_again()
    {
        var green = Led("d:green:master");
        var panel = new LedPanel(new SysfsLedDriver(_root), e => Assert.Fail(e));
        var leds = new FrontPanelLeds("d:green:master", null, null);
        panel.Show(PanelState.Master, leds);
        File.WriteAllText(Path.Combine(green, "brightness"), "7"); // someone else wrote it meanwhile
        panel.Show(PanelState.Master, leds);
        Assert.Equal("7", Read(green, "brightness"));
    }
}
