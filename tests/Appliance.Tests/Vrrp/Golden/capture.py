#!/usr/bin/env python3
"""Captures VRRP adverts sent by real keepalived into golden files (raw L3 packets, hex).

Run as root: python3 capture.py OUTDIR. Builds two network namespaces joined by a veth pair,
starts keepalived (VRRP only) in one, listens with an AF_PACKET socket in the other, writes
one hex line per packet (IP header included) for: v2 IPv4 (no auth), v2 IPv4 with PASS auth,
v3 IPv4, v3 IPv6, and the priority-0 adverts keepalived sends when it stops (SIGTERM).
Everything is torn down at the end, also on failure."""
import os, socket, subprocess, sys, time, signal

OUT = sys.argv[1] if len(sys.argv) > 1 else os.path.dirname(os.path.abspath(__file__))
A, B = "gcapA", "gcapB"
TMP = "/tmp/vrrp-golden"

CONF = """
global_defs {
  router_id golden
}
vrrp_instance V2 {
  version 2
  state MASTER
  interface ga0
  virtual_router_id 21
  priority 150
  advert_int 1
  virtual_ipaddress {
    192.0.2.100/32
    192.0.2.101/32
  }
}
vrrp_instance V2AUTH {
  version 2
  state MASTER
  interface ga0
  virtual_router_id 22
  priority 120
  advert_int 2
  authentication {
    auth_type PASS
    auth_pass secret12
  }
  virtual_ipaddress {
    192.0.2.110/32
  }
}
vrrp_instance V3 {
  version 3
  state MASTER
  interface ga0
  virtual_router_id 31
  priority 200
  advert_int 0.1
  virtual_ipaddress {
    192.0.2.130/32
  }
}
vrrp_instance V36 {
  version 3
  state MASTER
  interface ga0
  virtual_router_id 36
  priority 100
  advert_int 1
  virtual_ipaddress {
    2001:db8::36/128
    2001:db8::37/128
  }
}
"""

def sh(*a, check=True):
    return subprocess.run(a, check=check, capture_output=True, text=True)

def cleanup():
    for ns in (A, B):
        sh("ip", "netns", "del", ns, check=False)

def main():
    cleanup()
    os.makedirs(TMP, exist_ok=True)
    sh("ip", "netns", "add", A); sh("ip", "netns", "add", B)
    sh("ip", "link", "add", "ga0", "netns", A, "type", "veth", "peer", "name", "gb0", "netns", B)
    sh("ip", "-n", A, "addr", "add", "10.99.0.1/24", "dev", "ga0")
    sh("ip", "-n", B, "addr", "add", "10.99.0.2/24", "dev", "gb0")
    for ns, dev in ((A, "ga0"), (B, "gb0")):
        sh("ip", "-n", ns, "link", "set", "lo", "up")
        sh("ip", "-n", ns, "link", "set", dev, "up")
    # IPv6 VRRP needs a link-local source: wait until DAD has finished on ga0.
    deadline = time.time() + 10
    while "tentative" in sh("ip", "-n", A, "-6", "addr", "show", "dev", "ga0").stdout or \
          "fe80" not in sh("ip", "-n", A, "-6", "addr", "show", "dev", "ga0").stdout:
        if time.time() > deadline: raise SystemExit("ga0 never got a usable link-local address")
        time.sleep(0.05)
    with open(f"{TMP}/k.conf", "w") as f: f.write(CONF)
    # Listen in B before keepalived starts: setns for this process.
    # Python 3.11 has no os.setns: enter B through libc.
    import ctypes
    libc = ctypes.CDLL(None, use_errno=True)
    fd = os.open(f"/var/run/netns/{B}", os.O_RDONLY)
    if libc.setns(fd, 0x40000000) != 0:  # CLONE_NEWNET
        raise SystemExit(f"setns {B}: errno {ctypes.get_errno()}")
    s = socket.socket(socket.AF_PACKET, socket.SOCK_DGRAM, socket.htons(0x0003))
    s.bind(("gb0", 0))
    s.settimeout(0.2)
    k = subprocess.Popen(["ip", "netns", "exec", A, "keepalived", "-P", "-n", "-l", "-D",
                          "-f", f"{TMP}/k.conf", "-p", f"{TMP}/k.pid", "-r", f"{TMP}/v.pid"],
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    got = {}
    stopped = []
    deadline = time.time() + 20
    stop_sent = False
    while time.time() < deadline:
        try:
            pkt, addr = s.recvfrom(2048)
        except socket.timeout:
            pkt = None
        if pkt is not None:
            proto = addr[1]
            if proto == 0x0800 and pkt[9] == 112:
                body = pkt[(pkt[0] & 15) * 4:]
            elif proto == 0x86DD and pkt[6] == 112:
                body = pkt[40:]
            else:
                body = None
            if body is not None:
                vrid, prio = body[1], body[2]
                key = (proto, vrid, prio == 0)
                if key not in got:
                    got[key] = pkt.hex()
        want = {(0x0800, 21, False), (0x0800, 22, False), (0x0800, 31, False), (0x86DD, 36, False)}
        if not stop_sent and want <= set(got):
            k.send_signal(signal.SIGTERM); stop_sent = True
        if stop_sent and {(p, v, True) for (p, v, _) in want} <= set(got):
            break
    k.wait(10) if stop_sent else k.kill()
    names = {(0x0800, 21): "v2-ipv4", (0x0800, 22): "v2-ipv4-auth-pass", (0x0800, 31): "v3-ipv4",
             (0x86DD, 36): "v3-ipv6"}
    for (proto, vrid, zero), hx in sorted(got.items()):
        name = names.get((proto, vrid))
        if name is None: continue
        with open(os.path.join(OUT, name + ("-priority0" if zero else "") + ".hex"), "w") as f:
            f.write(hx + "\n")
        print(name, "priority0" if zero else "", hx)
    missing = len(got) < 8
    return 1 if missing else 0

try:
    rc = main()
finally:
    cleanup()
sys.exit(rc)
