# Scenario: split brain between two director VMs (issue 6). Each VM runs the real image's
# supervisor and `appliance run --config` from its own INI: eth0 public (a shared segment with
# an ARP observer on the host), eth1 heartbeat (VRRP), ttyS1 the serial heartbeat (QEMU's
# serial link between the VMs), an emulated i6300esb as /dev/watchdog. The host part
# (split-brain.host.sh) injects the faults through each QEMU's monitor and through a control
# port (ttyS2) of each guest, samples who answers for the VIP every 10 ms and asserts: never
# two holders (watchdog cases: at most the watchdog timeout) and takeover where it is right.
#@ host split-brain.host.sh
#@ vms 2
#@ daemon off
#@ timeout 600

SB_VIP=192.0.2.100
SB_KEY=lab-split-brain-key-0123456789abcdef

# sb_ini ROLE: this director's INI on stdout.
sb_ini() {
  if [ "$1" = a ]; then name=director-a id=1 prio=150 own=192.0.2.2 peer=192.0.2.3
  else name=director-b id=2 prio=100 own=192.0.2.3 peer=192.0.2.2; fi
  cat <<INI
[global]
node_name = $name
node_id = $id
public_interface = eth0
heartbeat_interface = eth1
public_address = $own
peer_public_address = $peer
log_level = info

[vrrp_instance VI_1]
virtual_router_id = 51
priority = $prio
advert_int = ${SB_ADVERT_INT:-0.3}
preempt = yes
virtual_ipaddress = $SB_VIP/24 dev eth0
track_interface = eth0

[sync]
enabled = no

[serial_heartbeat]
device = /dev/ttyS1
interval = 100ms
dead_time = ${SB_DEAD_TIME:-1000ms}
key = $SB_KEY

[watchdog]
enabled = yes
device = /dev/watchdog
timeout = 2

[console]
enabled = no
INI
}

# sb_control: serves the host's commands on ttyS2, one per line; every answer goes to the
# console as "SB-CTL <id> ..." (the host waits for it there, with its own timestamps).
sb_control() {
  # Opened once: a UART nobody holds open drops what arrives.
  exec 3< /dev/ttyS2
  stty -F /dev/ttyS2 115200 raw -echo -ixon -ixoff -crtscts || lab_fail "cannot set ttyS2 raw"
  while read -r id cmd arg <&3; do
    case "$cmd" in
      ping) echo "SB-CTL $id pong" ;;
      signal)
        # The daemon is the one `appliance run` process (the supervisor is a shell, tee another).
        pid=$(pidof appliance)
        if [ -n "$pid" ] && kill -"$arg" $pid; then echo "SB-CTL $id signalled $arg pid $pid"
        else echo "SB-CTL $id failed: no daemon to signal ($pid)"; fi ;;
      state)
        held=no
        $IP -o addr show dev eth0 | grep -q " $SB_VIP/" && held=yes
        echo "SB-CTL $id vip=$held supervisor=$(cat /run/appliance/supervisor 2>/dev/null) daemon=$(pidof appliance)" ;;
      log) echo "SB-CTL $id log: $(tail -n "${arg:-5}" /run/log/appliance.log | tr '\n' '|')" ;;
      *) echo "SB-CTL $id unknown command '$cmd'" ;;
    esac
  done
}

scenario_main() {
  if [ "$LAB_ROLE" = a ]; then me=192.0.2.2 hb=203.0.113.1; else me=192.0.2.3 hb=203.0.113.2; fi
  $IP addr add "$me/24" dev eth0
  $IP addr add "$hb/24" dev eth1
  $IP link set eth0 up
  $IP link set eth1 up
  grep -qi i6300esb /sys/class/watchdog/watchdog0/identity 2>/dev/null ||
    lab_fail "watchdog0 is '$(cat /sys/class/watchdog/watchdog0/identity 2>/dev/null)', not the i6300ESB"
  sb_ini "$LAB_ROLE" > /tmp/appliance.ini
  /usr/bin/appliance check-config /tmp/appliance.ini > /dev/null ||
    lab_fail "the INI is refused: $(/usr/bin/appliance check-config /tmp/appliance.ini 2>&1 | tail -3 | tr '\n' ' ')"
  # Every VIP change on the public NIC, on the console the host timestamps.
  $IP -o monitor address dev eth0 | while read -r line; do echo "SB-VIPMON $line"; done &
  # The image's own supervisor (as started by inittab), pointed at this INI.
  echo /tmp/appliance.ini > /tmp/config-choice
  APPLIANCE_CONFIG_CHOICE=/tmp/config-choice setsid /sbin/appliance-supervise > /dev/console 2>&1 < /dev/null &
  wait_for "lab_daemon_log_has 'loaded configuration from /tmp/appliance.ini'" 60 "the daemon did not load /tmp/appliance.ini: $(tail -n 3 /run/log/appliance.log 2>/dev/null | tr '\n' ' ')"
  echo "SB-READY role=$LAB_ROLE"
  sb_control
}
