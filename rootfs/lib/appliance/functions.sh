# Shared by /init and the supervisor. Messages go to the console and the kernel log,
# so they appear on ttyS0 and in `dmesg` alike.

log() {
  echo "init: $*"
  echo "appliance-init: $*" > /dev/kmsg 2>/dev/null
}

uptime_s() {
  read -r up _ < /proc/uptime
  echo "${up%.*}"
}

# Front-panel LED by role (master, backup, fault). The reference hardware names its LEDs
# front:<colour>:<role> (board/README.md); the lab has none, so a missing LED is no error.
led_set() {
  for led in /sys/class/leds/*:"$1"; do
    [ -d "$led" ] || continue
    echo none > "$led/trigger" 2>/dev/null
    if [ "$2" = on ]; then cat "$led/max_brightness" > "$led/brightness"; else echo 0 > "$led/brightness"; fi
  done
}
