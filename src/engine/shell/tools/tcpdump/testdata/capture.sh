#!/bin/bash
# How the pcap files behind captures.ts and filters.ts were recorded (Debian 12: tcpdump 4.99.3,
# libpcap 1.10.3, iproute2 6.1, ethtool, python3, curl, netcat-openbsd; run as root).
#
#   testdata/capture.sh PCAPDIR            # records PCAPDIR/*.pcap in throwaway namespaces pl-c-*
#   python3 testdata/synthetic.py PCAPDIR  # writes the hand-built synth_*.pcap
#   python3 testdata/gen_all.py PCAPDIR testdata && npx prettier --write testdata
#
# (gen_all.py reads the -i any captures inside pl-c-h1; comment out the cleanup trap to keep it.)
#
# Topology (all inside network namespaces; the root namespace is not touched):
#
#   h1 10.0.1.2 ─┐                                  ┌─ h2 10.0.2.2 (MTU 1400 at first)
#                ├─ br0 10.0.1.1  r (router)  10.0.2.1 eth1 (MTU 1400)
#   h3 10.0.1.3 ─┘   (route 10.0.3.0/24 via h3, so h1 → 10.0.3.1 earns a redirect)
#
# Checksum offload is switched off on every veth so that captured checksums are final.
set -eu
OUT=${1:?usage: capture.sh OUTDIR}
mkdir -p "$OUT"
X() { local ns=$1; shift; ip netns exec "$ns" "$@"; }
N() { ip -n "$@"; }
PIDS=()
cleanup() {
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  for ns in h1 h2 h3 r; do ip netns del pl-c-$ns 2>/dev/null || true; done
}
trap cleanup EXIT

# --- topology -------------------------------------------------------------------------------
for ns in h1 h2 h3 r; do ip netns add pl-c-$ns; X pl-c-$ns ip link set lo up; done
N pl-c-r link add name br0 type bridge
N pl-c-r link set br0 address 02:00:00:00:01:01
N pl-c-r link add name p-h1 type veth peer name eth0 netns pl-c-h1
N pl-c-r link add name p-h3 type veth peer name eth0 netns pl-c-h3
N pl-c-r link add name eth1 type veth peer name eth0 netns pl-c-h2
N pl-c-h1 link set eth0 address 02:00:00:00:01:02
N pl-c-h3 link set eth0 address 02:00:00:00:01:03
N pl-c-h2 link set eth0 address 02:00:00:00:02:02
N pl-c-r link set eth1 address 02:00:00:00:02:01
N pl-c-r link set p-h1 master br0
N pl-c-r link set p-h3 master br0
for l in br0 p-h1 p-h3 eth1; do N pl-c-r link set $l up; done
for ns in h1 h2 h3; do N pl-c-$ns link set eth0 up; done
N pl-c-r addr add 10.0.1.1/24 dev br0
N pl-c-r addr add 10.0.2.1/24 dev eth1
N pl-c-h1 addr add 10.0.1.2/24 dev eth0
N pl-c-h3 addr add 10.0.1.3/24 dev eth0
N pl-c-h3 addr add 10.0.3.1/32 dev lo
N pl-c-h2 addr add 10.0.2.2/24 dev eth0
N pl-c-h1 route add default via 10.0.1.1
N pl-c-h2 route add default via 10.0.2.1
N pl-c-h3 route add default via 10.0.1.1
N pl-c-r route add 10.0.3.0/24 via 10.0.1.3
X pl-c-r sysctl -qw net.ipv4.ip_forward=1 net.ipv4.conf.all.send_redirects=1 net.ipv4.conf.br0.send_redirects=1
X pl-c-h3 sysctl -qw net.ipv4.ip_forward=1
N pl-c-r link set eth1 mtu 1400
N pl-c-h2 link set eth0 mtu 1400
for ns in h1 h2 h3 r; do X pl-c-$ns sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1; done
for l in br0 p-h1 p-h3 eth1; do X pl-c-r ethtool -K $l tx off >/dev/null; done
for ns in h1 h2 h3; do X pl-c-$ns ethtool -K eth0 tx off >/dev/null; done
# VXLAN h1 <-> h2: vni 42 on the IANA port 4789, vni 1 on flannel's 8472.
X pl-c-h1 ip link add name vx0 type vxlan id 42 dstport 4789 remote 10.0.2.2 local 10.0.1.2 dev eth0
X pl-c-h2 ip link add name vx0 type vxlan id 42 dstport 4789 remote 10.0.1.2 local 10.0.2.2 dev eth0
X pl-c-h1 ip link add name flannel.1 type vxlan id 1 dstport 8472 remote 10.0.2.2 local 10.0.1.2 dev eth0
X pl-c-h2 ip link add name flannel.1 type vxlan id 1 dstport 8472 remote 10.0.1.2 local 10.0.2.2 dev eth0
X pl-c-h1 ip link set vx0 address 02:00:00:00:42:01; X pl-c-h2 ip link set vx0 address 02:00:00:00:42:02
X pl-c-h1 ip link set flannel.1 address 02:00:00:00:f1:01; X pl-c-h2 ip link set flannel.1 address 02:00:00:00:f1:02
for ns in h1 h2; do for l in vx0 flannel.1; do X pl-c-$ns ip link set $l up; X pl-c-$ns ethtool -K $l tx off >/dev/null; done; done
X pl-c-h1 ip addr add 192.168.42.1/24 dev vx0; X pl-c-h2 ip addr add 192.168.42.2/24 dev vx0
X pl-c-h1 ip addr add 10.244.0.1/24 dev flannel.1; X pl-c-h2 ip addr add 10.244.1.1/24 dev flannel.1
X pl-c-h1 ip route add 10.244.1.0/24 via 10.244.1.1 dev flannel.1 onlink
X pl-c-h2 ip route add 10.244.0.0/24 via 10.244.0.1 dev flannel.1 onlink

# --- helper programs ------------------------------------------------------------------------
PY=$(mktemp -d)
cat > "$PY/arp.py" <<'EOF'
# ARP requests with a broadcast and a unicast target hardware address, and a reply, from h1.
import socket, struct
def mac(s): return bytes(int(x, 16) for x in s.split(':'))
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW); s.bind(('eth0', 0))
src = mac('02:00:00:00:01:02')
for tha, op, dst in [('ff:ff:ff:ff:ff:ff', 1, 'ff:ff:ff:ff:ff:ff'), ('02:00:00:00:01:01', 1, '02:00:00:00:01:01'), ('02:00:00:00:01:01', 2, '02:00:00:00:01:01')]:
    arp = struct.pack('!HHBBH', 1, 0x0800, 6, 4, op) + src + socket.inet_aton('10.0.1.2') + mac(tha) + socket.inet_aton('10.0.1.1')
    s.send(mac(dst) + src + struct.pack('!H', 0x0806) + arp)
EOF
cat > "$PY/ipip.py" <<'EOF'
# An IP-in-IP packet (inner 192.168.7.1 > 192.168.7.2 ICMP echo) from h1 to h2.
import socket, struct
def csum(b):
    s = sum(struct.unpack('!%dH' % (len(b) // 2), b))
    while s >> 16: s = (s & 0xffff) + (s >> 16)
    return (~s) & 0xffff
icmp = struct.pack('!BBHHH', 8, 0, 0, 0x1234, 1) + b'abcdefgh' * 7
icmp = icmp[:2] + struct.pack('!H', csum(icmp)) + icmp[4:]
hdr = struct.pack('!BBHHHBBH4s4s', 0x45, 0, 20 + len(icmp), 4321, 0x4000, 64, 1, 0, socket.inet_aton('192.168.7.1'), socket.inet_aton('192.168.7.2'))
hdr = hdr[:10] + struct.pack('!H', csum(hdr)) + hdr[12:]
socket.socket(socket.AF_INET, socket.SOCK_RAW, 4).sendto(hdr + icmp, ('10.0.2.2', 0))
EOF
cat > "$PY/bareack.py" <<'EOF'
# A stray ACK to a closed port; the kernel answers with a plain RST.
import socket, struct
def csum(b):
    s = sum(struct.unpack('!%dH' % (len(b) // 2), b))
    while s >> 16: s = (s & 0xffff) + (s >> 16)
    return (~s) & 0xffff
src, dst = socket.inet_aton('10.0.1.2'), socket.inet_aton('10.0.2.2')
tcp = struct.pack('!HHIIBBHHH', 40000, 7777, 1000, 2000, 5 << 4, 0x10, 512, 0, 0)
tcp = tcp[:16] + struct.pack('!H', csum(src + dst + struct.pack('!BBH', 0, 6, len(tcp)) + tcp)) + tcp[18:]
socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_TCP).sendto(tcp, ('10.0.2.2', 0))
EOF
cat > "$PY/corkserver.py" <<'EOF'
# Answers one connection with data and FIN in one segment (TCP_CORK, then shutdown).
import socket, sys, time
ls = socket.socket(); ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
ls.bind(('10.0.2.2', int(sys.argv[1]))); ls.listen(1)
c, _ = ls.accept(); c.recv(100)
c.setsockopt(socket.IPPROTO_TCP, socket.TCP_CORK, 1); c.send(sys.argv[2].encode())
c.shutdown(socket.SHUT_WR); c.setsockopt(socket.IPPROTO_TCP, socket.TCP_CORK, 0)
time.sleep(0.5); c.recv(100); c.close()
EOF
cat > "$PY/client.py" <<'EOF'
import socket, sys, time
s = socket.create_connection((sys.argv[1], int(sys.argv[2])))
s.send(sys.argv[3].encode().decode('unicode_escape').encode('latin-1'))
while s.recv(1000): pass
time.sleep(0.2); s.close()
EOF
cat > "$PY/rstclient.py" <<'EOF'
# Sends a line, then aborts with SO_LINGER 0 (RST with ACK).
import socket, struct, sys, time
s = socket.create_connection((sys.argv[1], int(sys.argv[2])))
s.send(b'hello\n'); time.sleep(0.3)
s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack('ii', 1, 0)); s.close()
EOF
cat > "$PY/udpttl.py" <<'EOF'
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.setsockopt(socket.IPPROTO_IP, socket.IP_TTL, 1); s.bind(('10.0.1.2', 45000))
s.sendto(b'traceroute', ('10.0.2.2', 33434))
EOF

# start_cap NAME NS IF [FILTER…] / stop_cap: one tcpdump writing OUT/NAME.pcap in the background.
start_cap() { local name=$1 ns=$2 ifc=$3; shift 3
  timeout 60 ip netns exec "$ns" tcpdump -nn -U -i "$ifc" -w "$OUT/$name.pcap" "$@" >/dev/null 2>&1 &
  CAP=$!; sleep 1.5; }
stop_cap() { sleep 0.7; kill "$CAP"; wait "$CAP" 2>/dev/null || true; }
bg() { "$@" >/dev/null 2>&1 & PIDS+=($!); }

# --- captures on h1's eth0 ------------------------------------------------------------------
X pl-c-h1 ip neigh flush dev eth0
start_cap arp_echo pl-c-h1 eth0; X pl-c-h1 ping -c2 -i0.3 10.0.1.1 >/dev/null; stop_cap
start_cap t1 pl-c-h1 eth0; X pl-c-h1 python3 "$PY/arp.py"; stop_cap
start_cap arpfail pl-c-h1 eth0; X pl-c-h1 ping -c1 -W4 10.0.1.99 >/dev/null || true; stop_cap
start_cap ttl pl-c-h1 eth0 icmp or udp
X pl-c-h1 ping -c1 -t1 10.0.2.2 >/dev/null || true; X pl-c-h1 python3 "$PY/udpttl.py"; stop_cap
start_cap netunr pl-c-h1 eth0 icmp; X pl-c-h1 ping -c1 -W1 10.9.9.9 >/dev/null || true; stop_cap
start_cap hostunr pl-c-h1 eth0 icmp; X pl-c-h1 ping -c1 -W5 10.0.2.99 >/dev/null || true; stop_cap
start_cap portunr pl-c-h1 eth0 icmp or udp; X pl-c-h1 bash -c 'echo hi | nc -u -w1 10.0.2.2 9999' || true; stop_cap
start_cap fragneed pl-c-h1 eth0 icmp; X pl-c-h1 ping -c1 -W1 -M do -s 1450 10.0.2.2 >/dev/null || true; stop_cap
start_cap redirect pl-c-h1 eth0 icmp; X pl-c-h1 ping -c2 -i0.3 -W1 10.0.3.1 >/dev/null; stop_cap
start_cap ipip pl-c-h1 eth0 icmp or ip proto 4; X pl-c-h1 python3 "$PY/ipip.py"; stop_cap

bg ip netns exec pl-c-h2 python3 -m http.server 8080 --bind 10.0.2.2
bg ip netns exec pl-c-h2 python3 -m http.server 80 --bind 10.0.2.2
for port in 80 8080; do
  for _ in $(seq 50); do X pl-c-h2 ss -ltn | grep -q "10.0.2.2:$port " && break; sleep 0.2; done
done
start_cap http8080 pl-c-h1 eth0 tcp; X pl-c-h1 curl -s -o /dev/null http://10.0.2.2:8080/; stop_cap
start_cap http80 pl-c-h1 eth0 tcp; X pl-c-h1 curl -s -o /dev/null http://10.0.2.2/nope; stop_cap
start_cap closed pl-c-h1 eth0 tcp
X pl-c-h1 curl -s -o /dev/null http://10.0.2.2:81/ || true; X pl-c-h1 python3 "$PY/bareack.py"; stop_cap
X pl-c-h2 python3 "$PY/corkserver.py" 5001 bye & CS=$!; sleep 0.5
start_cap cork pl-c-h1 eth0 tcp; X pl-c-h1 python3 "$PY/client.py" 10.0.2.2 5001 'hello\n'; wait $CS; stop_cap
bg ip netns exec pl-c-h2 timeout 5 nc -l -s 10.0.2.2 -p 5002; sleep 0.5
start_cap rst pl-c-h1 eth0 tcp; X pl-c-h1 python3 "$PY/rstclient.py" 10.0.2.2 5002; stop_cap

# A request bigger than the 1400-byte hop once h2 advertises MSS 1460: the router's
# "fragmentation needed" quotes the segment cut at 548 bytes, mid-header.
N pl-c-h2 link set eth0 mtu 1500; X pl-c-h1 ip route flush cache; X pl-c-h2 ip route flush cache
BIG=$(python3 -c "print('a'*1500)")
start_cap bigtcp pl-c-h1 eth0 tcp or icmp
X pl-c-h1 curl -s -o /dev/null -H "X-Big: $BIG" http://10.0.2.2:8080/big; stop_cap

start_cap vxlan pl-c-h1 eth0 udp
X pl-c-h1 ping -c1 -W1 192.168.42.2 >/dev/null; X pl-c-h1 ping -c1 -W1 10.244.1.1 >/dev/null
X pl-c-h1 bash -c 'echo hello | nc -u -w1 192.168.42.2 5000' || true; stop_cap

# --- -i any on h1 (read these back inside pl-c-h1 so tcpdump can name the interfaces) ------
X pl-c-h1 ip neigh flush dev eth0; X pl-c-r ip neigh flush dev br0
start_cap any pl-c-h1 any
X pl-c-h1 ping -c1 -W1 10.0.2.2 >/dev/null; X pl-c-h1 curl -s -o /dev/null http://10.0.2.2:8080/x
X pl-c-h1 ping -c1 -W1 192.168.42.2 >/dev/null; stop_cap
X pl-c-h1 ip neigh flush dev eth0; X pl-c-h3 ip neigh flush dev eth0
start_cap any2 pl-c-h1 any; X pl-c-h3 ping -c1 -W1 10.0.1.2 >/dev/null; stop_cap
rm -r "$PY"
