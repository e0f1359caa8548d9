# Captures the netlink bytes the real ipvsadm (Debian 1.31) exchanges with the real kernel
# (Debian 6.1) on an nlmon device, one file per case, into the writable share (tag "out");
# tests/lab/ipvs-golden-capture.sh (make lab-ipvs-golden) copies them to
# tests/Appliance.Tests/Ipvs/Golden/. Not part of `make lab`: it rewrites committed files.
#@ timeout 300
#@ daemon off
#@ out yes
#@ default no
out=/tmp/golden
nlcap=/lab/cache/nlcap

capture() { # capture NAME COMMAND...
  name=$1; shift
  rm -f /tmp/ready
  $nlcap nlmon0 "$out/$name.nlmon" /tmp/ready & pid=$!
  i=0; while [ ! -e /tmp/ready ] && [ $i -lt 100 ]; do i=$((i+1)); usleep 20000; done
  [ -e /tmp/ready ] || lab_fail "capture $name: nlcap did not start"
  "$@" > "$out/$name.stdout" 2>&1
  echo "exit $?" >> "$out/$name.stdout"
  kill -TERM $pid; wait $pid
  echo "# $*" > "$out/$name.cmd"
  echo "captured $name: $* ($(wc -l < "$out/$name.nlmon") packets)"
}


scenario_main() {
  # The error-* cases fail on purpose; their exit codes are part of the capture.
  set +e
  [ -x $nlcap ] || lab_fail "no $nlcap: run tests/lab/ipvs-golden-capture.sh (make lab-ipvs-golden)"
  mkdir -p /tmp/share "$out"
  mount -t 9p -o trans=virtio,version=9p2000.L out /tmp/share || lab_fail "mounting the writable share (tag out)"
  modprobe ip_vs; modprobe nlmon
  $IP link add nlmon0 type nlmon && $IP link set nlmon0 up
  # An interface for the sync daemon to bind to (a veth: no extra module needed).
  $IP link add eth9 type veth peer name eth9p && $IP link set eth9 up
  ipvsadm --help > "$out/ipvsadm-help.txt" 2>&1 || true
  capture add-service-tcp          ipvsadm -A -t 192.0.2.100:80 -s wlc
  capture add-service-persistent   ipvsadm -A -t 192.0.2.100:443 -s sh -b sh-fallback,sh-port -p 600 -M 255.255.255.0
  capture add-service-udp-ops      ipvsadm -A -u 192.0.2.100:53 -s rr -o
  capture add-service-sctp         ipvsadm -A --sctp-service 192.0.2.100:3868 -s wrr
  capture add-service-fwmark-v6    ipvsadm -A -f 7 -6 -s mh -b mh-fallback,mh-port
  capture add-service-v6           ipvsadm -A -t [2001:db8::100]:80 -s lc -p 300 -M 64
  capture add-service-pe-sip       ipvsadm -A -u 192.0.2.100:5060 -s rr -p 60 --pe sip
  capture add-dest-masq            ipvsadm -a -t 192.0.2.100:80 -r 10.0.0.12:8080 -m -w 5 -x 100 -y 10
  capture add-dest-route           ipvsadm -a -t 192.0.2.100:80 -r 10.0.0.13:80 -g -w 1
  capture add-dest-tunnel-gue      ipvsadm -a -t 192.0.2.100:80 -r 10.0.0.14:80 -i --tun-type gue --tun-port 6080 --tun-nocsum -w 2
  capture add-dest-tunnel-ipip     ipvsadm -a -t 192.0.2.100:443 -r 10.0.0.15:443 -i -w 3
  capture add-dest-v6              ipvsadm -a -t [2001:db8::100]:80 -r [2001:db8::12]:80 -m -w 4
  capture add-dest-fwmark          ipvsadm -a -f 7 -6 -r [2001:db8::13]:0 -g -w 1
  capture edit-dest-weight         ipvsadm -e -t 192.0.2.100:80 -r 10.0.0.12:8080 -m -w 2 -x 100 -y 10
  capture edit-service             ipvsadm -E -t 192.0.2.100:80 -s rr
  capture error-duplicate-service  ipvsadm -A -t 192.0.2.100:80 -s wlc
  capture error-unknown-scheduler  ipvsadm -A -t 192.0.2.100:81 -s twos
  capture error-dest-no-service    ipvsadm -a -t 192.0.2.200:80 -r 10.0.0.12:80 -m
  capture set-timeouts             ipvsadm --set 900 120 300
  capture get-timeouts             ipvsadm -L --timeout
  capture start-daemon-master      ipvsadm --start-daemon master --mcast-interface eth9 --syncid 5 --sync-maxlen 1400 --mcast-group 224.0.0.81 --mcast-port 8848 --mcast-ttl 2
  capture get-daemon               ipvsadm -L --daemon
  capture stop-daemon-master       ipvsadm --stop-daemon master
  capture list                     ipvsadm -Ln
  capture list-stats               ipvsadm -Ln --stats
  capture zero                     ipvsadm -Z
  capture del-dest                 ipvsadm -d -t 192.0.2.100:80 -r 10.0.0.13:80
  capture del-service              ipvsadm -D -u 192.0.2.100:53
  capture flush                    ipvsadm -C
  uname -r > "$out/kernel-release.txt"
  ipvsadm --version > "$out/ipvsadm-version.txt" 2>&1
  cp "$out"/* /tmp/share/
  sync
  echo "copied $(ls "$out" | wc -l) files to the share"
}
