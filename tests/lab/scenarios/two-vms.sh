# Scenario: two VMs reach each other over both cables: ping over the heartbeat NIC (eth0,
# QEMU -netdev socket between the VMs) and 16 KiB with a checksum over the null-modem
# cable (ttyS1, QEMU -chardev socket between the VMs), both directions.
#@ vms 2
#@ cables yes
#@ timeout 120

scenario_main() {
  if [ "$LAB_ROLE" = a ]; then me=203.0.113.1 peer=203.0.113.2; else me=203.0.113.2 peer=203.0.113.1; fi
  $IP addr add "$me/24" dev eth0
  $IP link set eth0 up
  wait_for "ping -c1 -W1 $peer" 60 "no ping answer from $peer over the heartbeat NIC eth0"
  echo "LAB: heartbeat NIC: $peer answers"

  tty=/dev/ttyS1
  stty -F $tty 115200 raw -echo -ixon -ixoff -crtscts || lab_fail "cannot set $tty raw"
  cat $tty > /tmp/rx &
  reader=$!
  if [ "$LAB_ROLE" = a ]; then
    # The peer may boot later and a socket chardev drops bytes nobody reads yet:
    # repeat HELLO until the peer's ACK comes back.
    end=$(( $(date +%s) + 60 ))
    until grep -q '^ACK$' /tmp/rx; do
      [ "$(date +%s)" -lt "$end" ] || lab_fail "no ACK from the peer on $tty within 60 s"
      echo HELLO > $tty
      sleep 0.5
    done
    head -c 12288 /dev/urandom | base64 > /tmp/payload
    sum=$(md5sum < /tmp/payload | cut -d' ' -f1)
    { echo BEGIN; cat /tmp/payload; echo END; } > $tty
    wait_for "grep -q '^GOT $sum\$' /tmp/rx" 60 "the peer did not confirm the payload checksum $sum (rx: $(tail -c 80 /tmp/rx))"
    echo "LAB: null-modem cable: 16 KiB confirmed by the peer (md5 $sum)"
    echo BYE > $tty
  else
    wait_for "grep -q '^HELLO$' /tmp/rx" 60 "no HELLO from the peer on $tty"
    end=$(( $(date +%s) + 60 ))
    until grep -q '^END$' /tmp/rx; do
      [ "$(date +%s)" -lt "$end" ] || lab_fail "no complete payload from the peer on $tty within 60 s"
      grep -q '^BEGIN$' /tmp/rx || echo ACK > $tty
      sleep 0.5
    done
    sum=$(sed -n '/^BEGIN$/,/^END$/p' /tmp/rx | sed '1d;$d' | md5sum | cut -d' ' -f1)
    echo "GOT $sum" > $tty
    wait_for "grep -q '^BYE$' /tmp/rx" 30 "the peer did not acknowledge checksum $sum"
    echo "LAB: null-modem cable: payload received (md5 $sum)"
  fi
  kill $reader
}
