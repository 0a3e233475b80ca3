/**
 * The same-node pod → Service → pod case, checked against the real kernel: a "node" namespace
 * with bridge cni0 (10.244.0.1/24), pods a (10.244.0.2) and b (10.244.0.3) on veths into it, and
 * a kube-proxy-like `-t nat PREROUTING -d 10.96.0.10 -p tcp --dport 80 -j DNAT`. Recorded on the
 * lab machine with kernel 6.18 (br_netfilter built in), iproute2 6.1, iptables 1.8.9 (nf_tables),
 * conntrack 1.4.7, curl 7.88.1 and `tcpdump -nn -e` on the pod veths in the node namespace.
 *
 * What the kernel did:
 * - a → Service → b works only with bridge-nf-call-iptables=1: the DNAT happens as the frame
 *   enters the bridge and the reply is un-DNATed there too. With 0, b's SYN-ACK bypasses the IP
 *   layer of the node (it is bridged straight to a) and a answers 10.244.0.3 with a reset.
 *   No ICMP redirect is seen although the SYN leaves cni0 by the way it came: the nat table drops
 *   redirects about NATed connections.
 * - a → Service → a (hairpin) with call-iptables=1 needs both hairpin on veth-a (else the bridge
 *   drops the re-addressed frame, and conntrack never confirms the entry) and a MASQUERADE (else
 *   a receives its own address as the source and drops the SYN as a martian). With hairpin on,
 *   a's broadcast ARP request comes back to it too.
 * - with call-iptables=0 the hairpin case goes up to cni0's IP layer and back down, so it works
 *   without hairpin mode, but still needs the MASQUERADE.
 */
import { describe, expect, it } from 'vitest';
import { captureLinesOf } from '../testing/capture';
import { lab } from '../testing/lab';

const NODE = [
  // The lab machine's kernel has br_netfilter built in; the engine models it as a module.
  'modprobe br_netfilter',
  'ip netns add node',
  'ip netns add a',
  'ip netns add b',
  'ip -n node link add cni0 address 0a:58:0a:f4:00:01 type bridge',
  'ip -n node addr add 10.244.0.1/24 dev cni0',
  'ip -n node link set cni0 up',
  'ip netns exec node sysctl -qw net.ipv4.ip_forward=1',
  'ip -n node link add veth-a address 02:00:00:00:aa:01 type veth peer name eth0 netns a',
  'ip -n a link set eth0 address 0a:58:0a:f4:00:02',
  'ip -n node link set veth-a master cni0 up',
  'ip -n a addr add 10.244.0.2/24 dev eth0',
  'ip -n a link set eth0 up',
  'ip -n a link set lo up',
  'ip -n a route add default via 10.244.0.1',
  'ip -n node link add veth-b address 02:00:00:00:bb:01 type veth peer name eth0 netns b',
  'ip -n b link set eth0 address 0a:58:0a:f4:00:03',
  'ip -n node link set veth-b master cni0 up',
  'ip -n b addr add 10.244.0.3/24 dev eth0',
  'ip -n b link set eth0 up',
  'ip -n b link set lo up',
  'ip -n b route add default via 10.244.0.1',
  'ip netns exec a python3 -m http.server 80 &',
  'ip netns exec b python3 -m http.server 80 &',
];

/** A tcpdump -nn -e line reduced to what does not depend on chance: MACs, addresses, flags. */
function summary(line: string): string {
  if (line.includes('ethertype ARP')) return line;
  const m =
    /^(\S+) > (\S+), ethertype IPv4 \(0x0800\), length \d+: (\S+) > (\S+?):? (Flags \[[^\]]+\]|ICMP[^,]*)/.exec(
      line,
    );
  if (!m) return line;
  const port = (a: string) => (a.endsWith('.80') ? a : a.replace(/\.\d{4,5}$/, '.P'));
  return `${m[1]} > ${m[2]}: ${port(m[3]!)} > ${port(m[4]!)}: ${m[5]}`;
}

/** conntrack -L's line without the remaining timeout and the ephemeral port. */
const ctShape = (line: string) =>
  line.replace(/^(tcp +6) \d+/, '$1 T').replace(/([sd]port)=\d{4,5}\b/g, '$1=P');

type Case = {
  nf: 0 | 1;
  backend: string;
  hairpin: 'on' | 'off';
  masq: 'none' | 'pair' | 'subnet';
  /** handshake: compare frames until the first data segment; ip: every IPv4 frame but pure ACKs. */
  compare: 'handshake' | 'ip';
};

const CASES: Record<string, Case> = {
  'ab-nf1': { nf: 1, backend: '10.244.0.3', hairpin: 'off', masq: 'none', compare: 'handshake' },
  'ab-nf0': { nf: 0, backend: '10.244.0.3', hairpin: 'off', masq: 'none', compare: 'ip' },
  'aa-nf1-hpoff-masq': {
    nf: 1,
    backend: '10.244.0.2',
    hairpin: 'off',
    masq: 'pair',
    compare: 'ip',
  },
  'aa-nf1-hpon-masq': {
    nf: 1,
    backend: '10.244.0.2',
    hairpin: 'on',
    masq: 'pair',
    compare: 'handshake',
  },
  'aa-nf1-hpon-nomasq': {
    nf: 1,
    backend: '10.244.0.2',
    hairpin: 'on',
    masq: 'none',
    compare: 'ip',
  },
  'aa-nf0-hpoff-masq': {
    nf: 0,
    backend: '10.244.0.2',
    hairpin: 'off',
    masq: 'pair',
    compare: 'handshake',
  },
  'aa-nf0-hpoff-nomasq': {
    nf: 0,
    backend: '10.244.0.2',
    hairpin: 'off',
    masq: 'none',
    compare: 'ip',
  },
  'ab-nf1-subnet': {
    nf: 1,
    backend: '10.244.0.3',
    hairpin: 'off',
    masq: 'subnet',
    compare: 'handshake',
  },
  'ab-nf0-subnet': {
    nf: 0,
    backend: '10.244.0.3',
    hairpin: 'off',
    masq: 'subnet',
    compare: 'handshake',
  },
};

// What the kernel showed for each case (tcpdump lines through summary(), conntrack -L's entry).
const KERNEL: Record<string, { rc: number; conntrack: string; veth: Record<string, string[]> }> = {
  'ab-nf1': {
    rc: 0,
    conntrack:
      'tcp      6 119 TIME_WAIT src=10.244.0.2 dst=10.96.0.10 sport=58190 dport=80 src=10.244.0.3 dst=10.244.0.2 sport=80 dport=58190 [ASSURED] mark=0 use=1',
    veth: {
      'veth-a': [
        '0a:58:0a:f4:00:02 > ff:ff:ff:ff:ff:ff, ethertype ARP (0x0806), length 42: Request who-has 10.244.0.1 tell 10.244.0.2, length 28',
        '0a:58:0a:f4:00:01 > 0a:58:0a:f4:00:02, ethertype ARP (0x0806), length 42: Reply 10.244.0.1 is-at 0a:58:0a:f4:00:01, length 28',
        '0a:58:0a:f4:00:02 > 0a:58:0a:f4:00:01: 10.244.0.2.P > 10.96.0.10.80: Flags [S]',
        '0a:58:0a:f4:00:01 > ff:ff:ff:ff:ff:ff, ethertype ARP (0x0806), length 42: Request who-has 10.244.0.3 tell 10.244.0.1, length 28',
        '0a:58:0a:f4:00:03 > ff:ff:ff:ff:ff:ff, ethertype ARP (0x0806), length 42: Request who-has 10.244.0.2 tell 10.244.0.3, length 28',
        '0a:58:0a:f4:00:02 > 0a:58:0a:f4:00:03, ethertype ARP (0x0806), length 42: Reply 10.244.0.2 is-at 0a:58:0a:f4:00:02, length 28',
        '0a:58:0a:f4:00:03 > 0a:58:0a:f4:00:02: 10.96.0.10.80 > 10.244.0.2.P: Flags [S.]',
      ],
      'veth-b': [
        '0a:58:0a:f4:00:02 > ff:ff:ff:ff:ff:ff, ethertype ARP (0x0806), length 42: Request who-has 10.244.0.1 tell 10.244.0.2, length 28',
        '0a:58:0a:f4:00:01 > ff:ff:ff:ff:ff:ff, ethertype ARP (0x0806), length 42: Request who-has 10.244.0.3 tell 10.244.0.1, length 28',
        '0a:58:0a:f4:00:03 > 0a:58:0a:f4:00:01, ethertype ARP (0x0806), length 42: Reply 10.244.0.3 is-at 0a:58:0a:f4:00:03, length 28',
        '0a:58:0a:f4:00:02 > 0a:58:0a:f4:00:03: 10.244.0.2.P > 10.244.0.3.80: Flags [S]',
        '0a:58:0a:f4:00:03 > ff:ff:ff:ff:ff:ff, ethertype ARP (0x0806), length 42: Request who-has 10.244.0.2 tell 10.244.0.3, length 28',
        '0a:58:0a:f4:00:02 > 0a:58:0a:f4:00:03, ethertype ARP (0x0806), length 42: Reply 10.244.0.2 is-at 0a:58:0a:f4:00:02, length 28',
        '0a:58:0a:f4:00:03 > 0a:58:0a:f4:00:02: 10.244.0.3.80 > 10.244.0.2.P: Flags [S.]',
      ],
    },
  },
  'ab-nf0': {
    rc: 28,
    conntrack:
      'tcp      6 114 SYN_SENT src=10.244.0.2 dst=10.96.0.10 sport=58198 dport=80 [UNREPLIED] src=10.244.0.3 dst=10.244.0.2 sport=80 dport=58198 mark=0 use=1',
    veth: {
      'veth-a': [
        '0a:58:0a:f4:00:02 > 0a:58:0a:f4:00:01: 10.244.0.2.P > 10.96.0.10.80: Flags [S]',
        '0a:58:0a:f4:00:03 > 0a:58:0a:f4:00:02: 10.244.0.3.80 > 10.244.0.2.P: Flags [S.]',
        '0a:58:0a:f4:00:02 > 0a:58:0a:f4:00:03: 10.244.0.2.P > 10.244.0.3.80: Flags [R]',
        '0a:58:0a:f4:00:02 > 0a:58:0a:f4:00:01: 10.244.0.2.P > 10.96.0.10.80: Flags [S]',
        '0a:58:0a:f4:00:03 > 0a:58:0a:f4:00:02: 10.244.0.3.80 > 10.244.0.2.P: Flags [S.]',
        '0a:58:0a:f4:00:02 > 0a:58:0a:f4:00:03: 10.244.0.2.P > 10.244.0.3.80: Flags [R]',
        '0a:58:0a:f4:00:02 > 0a:58:0a:f4:00:01: 10.244.0.2.P > 10.96.0.10.80: Flags [S]',
        '0a:58:0a:f4:00:03 > 0a:58:0a:f4:00:02: 10.244.0.3.80 > 10.244.0.2.P: Flags [S.]',
        '0a:58:0a:f4:00:02 > 0a:58:0a:f4:00:03: 10.244.0.2.P > 10.244.0.3.80: Flags [R]',
        '0a:58:0a:f4:00:02 > 0a:58:0a:f4:00:01: 10.244.0.2.P > 10.96.0.10.80: Flags [S]',
        '0a:58:0a:f4:00:03 > 0a:58:0a:f4:00:02: 10.244.0.3.80 > 10.244.0.2.P: Flags [S.]',
        '0a:58:0a:f4:00:02 > 0a:58:0a:f4:00:03: 10.244.0.2.P > 10.244.0.3.80: Flags [R]',
        '0a:58:0a:f4:00:02 > 0a:58:0a:f4:00:01: 10.244.0.2.P > 10.96.0.10.80: Flags [S]',
        '0a:58:0a:f4:00:03 > 0a:58:0a:f4:00:02: 10.244.0.3.80 > 10.244.0.2.P: Flags [S.]',
        '0a:58:0a:f4:00:02 > 0a:58:0a:f4:00:03: 10.244.0.2.P > 10.244.0.3.80: Flags [R]',
      ],
      'veth-b': [
        '0a:58:0a:f4:00:01 > 0a:58:0a:f4:00:03: 10.244.0.2.P > 10.244.0.3.80: Flags [S]',
        '0a:58:0a:f4:00:03 > 0a:58:0a:f4:00:02: 10.244.0.3.80 > 10.244.0.2.P: Flags [S.]',
        '0a:58:0a:f4:00:02 > 0a:58:0a:f4:00:03: 10.244.0.2.P > 10.244.0.3.80: Flags [R]',
        '0a:58:0a:f4:00:01 > 0a:58:0a:f4:00:03: 10.244.0.2.P > 10.244.0.3.80: Flags [S]',
        '0a:58:0a:f4:00:03 > 0a:58:0a:f4:00:02: 10.244.0.3.80 > 10.244.0.2.P: Flags [S.]',
        '0a:58:0a:f4:00:02 > 0a:58:0a:f4:00:03: 10.244.0.2.P > 10.244.0.3.80: Flags [R]',
        '0a:58:0a:f4:00:01 > 0a:58:0a:f4:00:03: 10.244.0.2.P > 10.244.0.3.80: Flags [S]',
        '0a:58:0a:f4:00:03 > 0a:58:0a:f4:00:02: 10.244.0.3.80 > 10.244.0.2.P: Flags [S.]',
        '0a:58:0a:f4:00:02 > 0a:58:0a:f4:00:03: 10.244.0.2.P > 10.244.0.3.80: Flags [R]',
        '0a:58:0a:f4:00:01 > 0a:58:0a:f4:00:03: 10.244.0.2.P > 10.244.0.3.80: Flags [S]',
        '0a:58:0a:f4:00:03 > 0a:58:0a:f4:00:02: 10.244.0.3.80 > 10.244.0.2.P: Flags [S.]',
        '0a:58:0a:f4:00:02 > 0a:58:0a:f4:00:03: 10.244.0.2.P > 10.244.0.3.80: Flags [R]',
        '0a:58:0a:f4:00:01 > 0a:58:0a:f4:00:03: 10.244.0.2.P > 10.244.0.3.80: Flags [S]',
        '0a:58:0a:f4:00:03 > 0a:58:0a:f4:00:02: 10.244.0.3.80 > 10.244.0.2.P: Flags [S.]',
        '0a:58:0a:f4:00:02 > 0a:58:0a:f4:00:03: 10.244.0.2.P > 10.244.0.3.80: Flags [R]',
      ],
    },
  },
  'aa-nf1-hpoff-masq': {
    rc: 28,
    conntrack: '',
    veth: {
      'veth-a': [
        '0a:58:0a:f4:00:02 > 0a:58:0a:f4:00:01: 10.244.0.2.P > 10.96.0.10.80: Flags [S]',
        '0a:58:0a:f4:00:02 > 0a:58:0a:f4:00:01: 10.244.0.2.P > 10.96.0.10.80: Flags [S]',
        '0a:58:0a:f4:00:02 > 0a:58:0a:f4:00:01: 10.244.0.2.P > 10.96.0.10.80: Flags [S]',
        '0a:58:0a:f4:00:02 > 0a:58:0a:f4:00:01: 10.244.0.2.P > 10.96.0.10.80: Flags [S]',
        '0a:58:0a:f4:00:02 > 0a:58:0a:f4:00:01: 10.244.0.2.P > 10.96.0.10.80: Flags [S]',
      ],
      'veth-b': [],
    },
  },
  'aa-nf1-hpon-masq': {
    rc: 0,
    conntrack:
      'tcp      6 119 TIME_WAIT src=10.244.0.2 dst=10.96.0.10 sport=42212 dport=80 src=10.244.0.2 dst=10.244.0.1 sport=80 dport=42212 [ASSURED] mark=0 use=1',
    veth: {
      'veth-a': [
        '0a:58:0a:f4:00:02 > ff:ff:ff:ff:ff:ff, ethertype ARP (0x0806), length 42: Request who-has 10.244.0.1 tell 10.244.0.2, length 28',
        '0a:58:0a:f4:00:02 > ff:ff:ff:ff:ff:ff, ethertype ARP (0x0806), length 42: Request who-has 10.244.0.1 tell 10.244.0.2, length 28',
        '0a:58:0a:f4:00:01 > 0a:58:0a:f4:00:02, ethertype ARP (0x0806), length 42: Reply 10.244.0.1 is-at 0a:58:0a:f4:00:01, length 28',
        '0a:58:0a:f4:00:02 > 0a:58:0a:f4:00:01: 10.244.0.2.P > 10.96.0.10.80: Flags [S]',
        '0a:58:0a:f4:00:02 > 0a:58:0a:f4:00:02: 10.244.0.1.P > 10.244.0.2.80: Flags [S]',
        '0a:58:0a:f4:00:02 > 0a:58:0a:f4:00:01: 10.244.0.2.80 > 10.244.0.1.P: Flags [S.]',
        '0a:58:0a:f4:00:02 > 0a:58:0a:f4:00:02: 10.96.0.10.80 > 10.244.0.2.P: Flags [S.]',
      ],
      'veth-b': [
        '0a:58:0a:f4:00:02 > ff:ff:ff:ff:ff:ff, ethertype ARP (0x0806), length 42: Request who-has 10.244.0.1 tell 10.244.0.2, length 28',
      ],
    },
  },
  'aa-nf1-hpon-nomasq': {
    rc: 28,
    conntrack:
      'tcp      6 114 SYN_SENT src=10.244.0.2 dst=10.96.0.10 sport=42214 dport=80 [UNREPLIED] src=10.244.0.2 dst=10.244.0.2 sport=80 dport=42214 mark=0 use=1',
    veth: {
      'veth-a': [
        '0a:58:0a:f4:00:02 > 0a:58:0a:f4:00:01: 10.244.0.2.P > 10.96.0.10.80: Flags [S]',
        '0a:58:0a:f4:00:02 > 0a:58:0a:f4:00:02: 10.244.0.2.P > 10.244.0.2.80: Flags [S]',
        '0a:58:0a:f4:00:02 > 0a:58:0a:f4:00:01: 10.244.0.2.P > 10.96.0.10.80: Flags [S]',
        '0a:58:0a:f4:00:02 > 0a:58:0a:f4:00:02: 10.244.0.2.P > 10.244.0.2.80: Flags [S]',
        '0a:58:0a:f4:00:02 > 0a:58:0a:f4:00:01: 10.244.0.2.P > 10.96.0.10.80: Flags [S]',
        '0a:58:0a:f4:00:02 > 0a:58:0a:f4:00:02: 10.244.0.2.P > 10.244.0.2.80: Flags [S]',
        '0a:58:0a:f4:00:02 > 0a:58:0a:f4:00:01: 10.244.0.2.P > 10.96.0.10.80: Flags [S]',
        '0a:58:0a:f4:00:02 > 0a:58:0a:f4:00:02: 10.244.0.2.P > 10.244.0.2.80: Flags [S]',
        '0a:58:0a:f4:00:02 > 0a:58:0a:f4:00:01: 10.244.0.2.P > 10.96.0.10.80: Flags [S]',
        '0a:58:0a:f4:00:02 > 0a:58:0a:f4:00:02: 10.244.0.2.P > 10.244.0.2.80: Flags [S]',
      ],
      'veth-b': [],
    },
  },
  'aa-nf0-hpoff-masq': {
    rc: 0,
    conntrack:
      'tcp      6 119 TIME_WAIT src=10.244.0.2 dst=10.96.0.10 sport=42080 dport=80 src=10.244.0.2 dst=10.244.0.1 sport=80 dport=42080 [ASSURED] mark=0 use=1',
    veth: {
      'veth-a': [
        '0a:58:0a:f4:00:02 > ff:ff:ff:ff:ff:ff, ethertype ARP (0x0806), length 42: Request who-has 10.244.0.1 tell 10.244.0.2, length 28',
        '0a:58:0a:f4:00:01 > 0a:58:0a:f4:00:02, ethertype ARP (0x0806), length 42: Reply 10.244.0.1 is-at 0a:58:0a:f4:00:01, length 28',
        '0a:58:0a:f4:00:02 > 0a:58:0a:f4:00:01: 10.244.0.2.P > 10.96.0.10.80: Flags [S]',
        '0a:58:0a:f4:00:01 > 0a:58:0a:f4:00:02: 10.244.0.1.P > 10.244.0.2.80: Flags [S]',
        '0a:58:0a:f4:00:02 > 0a:58:0a:f4:00:01: 10.244.0.2.80 > 10.244.0.1.P: Flags [S.]',
        '0a:58:0a:f4:00:01 > 0a:58:0a:f4:00:02: 10.96.0.10.80 > 10.244.0.2.P: Flags [S.]',
      ],
      'veth-b': [
        '0a:58:0a:f4:00:02 > ff:ff:ff:ff:ff:ff, ethertype ARP (0x0806), length 42: Request who-has 10.244.0.1 tell 10.244.0.2, length 28',
      ],
    },
  },
  'aa-nf0-hpoff-nomasq': {
    rc: 28,
    conntrack:
      'tcp      6 114 SYN_SENT src=10.244.0.2 dst=10.96.0.10 sport=42082 dport=80 [UNREPLIED] src=10.244.0.2 dst=10.244.0.2 sport=80 dport=42082 mark=0 use=1',
    veth: {
      'veth-a': [
        '0a:58:0a:f4:00:02 > 0a:58:0a:f4:00:01: 10.244.0.2.P > 10.96.0.10.80: Flags [S]',
        '0a:58:0a:f4:00:01 > 0a:58:0a:f4:00:02: 10.244.0.2.P > 10.244.0.2.80: Flags [S]',
        '0a:58:0a:f4:00:02 > 0a:58:0a:f4:00:01: 10.244.0.2.P > 10.96.0.10.80: Flags [S]',
        '0a:58:0a:f4:00:01 > 0a:58:0a:f4:00:02: 10.244.0.2.P > 10.244.0.2.80: Flags [S]',
        '0a:58:0a:f4:00:02 > 0a:58:0a:f4:00:01: 10.244.0.2.P > 10.96.0.10.80: Flags [S]',
        '0a:58:0a:f4:00:01 > 0a:58:0a:f4:00:02: 10.244.0.2.P > 10.244.0.2.80: Flags [S]',
        '0a:58:0a:f4:00:02 > 0a:58:0a:f4:00:01: 10.244.0.2.P > 10.96.0.10.80: Flags [S]',
        '0a:58:0a:f4:00:01 > 0a:58:0a:f4:00:02: 10.244.0.2.P > 10.244.0.2.80: Flags [S]',
        '0a:58:0a:f4:00:02 > 0a:58:0a:f4:00:01: 10.244.0.2.P > 10.96.0.10.80: Flags [S]',
        '0a:58:0a:f4:00:01 > 0a:58:0a:f4:00:02: 10.244.0.2.P > 10.244.0.2.80: Flags [S]',
      ],
      'veth-b': [],
    },
  },
  'ab-nf1-subnet': {
    rc: 0,
    conntrack:
      'tcp      6 119 TIME_WAIT src=10.244.0.2 dst=10.96.0.10 sport=51022 dport=80 src=10.244.0.3 dst=10.244.0.1 sport=80 dport=51022 [ASSURED] mark=0 use=1',
    veth: {
      'veth-a': [
        '0a:58:0a:f4:00:02 > ff:ff:ff:ff:ff:ff, ethertype ARP (0x0806), length 42: Request who-has 10.244.0.1 tell 10.244.0.2, length 28',
        '0a:58:0a:f4:00:01 > 0a:58:0a:f4:00:02, ethertype ARP (0x0806), length 42: Reply 10.244.0.1 is-at 0a:58:0a:f4:00:01, length 28',
        '0a:58:0a:f4:00:02 > 0a:58:0a:f4:00:01: 10.244.0.2.P > 10.96.0.10.80: Flags [S]',
        '0a:58:0a:f4:00:01 > ff:ff:ff:ff:ff:ff, ethertype ARP (0x0806), length 42: Request who-has 10.244.0.3 tell 10.244.0.1, length 28',
        '0a:58:0a:f4:00:03 > 0a:58:0a:f4:00:02: 10.96.0.10.80 > 10.244.0.2.P: Flags [S.]',
      ],
      'veth-b': [
        '0a:58:0a:f4:00:02 > ff:ff:ff:ff:ff:ff, ethertype ARP (0x0806), length 42: Request who-has 10.244.0.1 tell 10.244.0.2, length 28',
        '0a:58:0a:f4:00:01 > ff:ff:ff:ff:ff:ff, ethertype ARP (0x0806), length 42: Request who-has 10.244.0.3 tell 10.244.0.1, length 28',
        '0a:58:0a:f4:00:03 > 0a:58:0a:f4:00:01, ethertype ARP (0x0806), length 42: Reply 10.244.0.3 is-at 0a:58:0a:f4:00:03, length 28',
        '0a:58:0a:f4:00:02 > 0a:58:0a:f4:00:03: 10.244.0.1.P > 10.244.0.3.80: Flags [S]',
        '0a:58:0a:f4:00:03 > 0a:58:0a:f4:00:01: 10.244.0.3.80 > 10.244.0.1.P: Flags [S.]',
      ],
    },
  },
  'ab-nf0-subnet': {
    rc: 0,
    conntrack:
      'tcp      6 119 TIME_WAIT src=10.244.0.2 dst=10.96.0.10 sport=51032 dport=80 src=10.244.0.3 dst=10.244.0.1 sport=80 dport=51032 [ASSURED] mark=0 use=1',
    veth: {
      'veth-a': [
        '0a:58:0a:f4:00:02 > ff:ff:ff:ff:ff:ff, ethertype ARP (0x0806), length 42: Request who-has 10.244.0.1 tell 10.244.0.2, length 28',
        '0a:58:0a:f4:00:01 > 0a:58:0a:f4:00:02, ethertype ARP (0x0806), length 42: Reply 10.244.0.1 is-at 0a:58:0a:f4:00:01, length 28',
        '0a:58:0a:f4:00:02 > 0a:58:0a:f4:00:01: 10.244.0.2.P > 10.96.0.10.80: Flags [S]',
        '0a:58:0a:f4:00:01 > ff:ff:ff:ff:ff:ff, ethertype ARP (0x0806), length 42: Request who-has 10.244.0.3 tell 10.244.0.1, length 28',
        '0a:58:0a:f4:00:01 > 0a:58:0a:f4:00:02: 10.96.0.10.80 > 10.244.0.2.P: Flags [S.]',
      ],
      'veth-b': [
        '0a:58:0a:f4:00:02 > ff:ff:ff:ff:ff:ff, ethertype ARP (0x0806), length 42: Request who-has 10.244.0.1 tell 10.244.0.2, length 28',
        '0a:58:0a:f4:00:01 > ff:ff:ff:ff:ff:ff, ethertype ARP (0x0806), length 42: Request who-has 10.244.0.3 tell 10.244.0.1, length 28',
        '0a:58:0a:f4:00:03 > 0a:58:0a:f4:00:01, ethertype ARP (0x0806), length 42: Reply 10.244.0.3 is-at 0a:58:0a:f4:00:03, length 28',
        '0a:58:0a:f4:00:01 > 0a:58:0a:f4:00:03: 10.244.0.1.P > 10.244.0.3.80: Flags [S]',
        '0a:58:0a:f4:00:03 > 0a:58:0a:f4:00:01: 10.244.0.3.80 > 10.244.0.1.P: Flags [S.]',
      ],
    },
  },
};

function runCase(c: Case) {
  const l = lab();
  l.setup(NODE);
  const masq =
    c.masq === 'pair'
      ? [`-s ${c.backend}/32 -d ${c.backend}/32`]
      : c.masq === 'subnet'
        ? ['-s 10.244.0.0/24 -d 10.244.0.0/24']
        : [];
  l.setup([
    `ip netns exec node sysctl -qw net.bridge.bridge-nf-call-iptables=${c.nf}`,
    `ip netns exec node iptables -t nat -A PREROUTING -d 10.96.0.10/32 -p tcp --dport 80 -j DNAT --to-destination ${c.backend}:80`,
    ...masq.map((m) => `ip netns exec node iptables -t nat -A POSTROUTING ${m} -j MASQUERADE`),
    `bridge -n node link set dev veth-a hairpin ${c.hairpin}`,
  ]);
  const curl = l.run('ip netns exec a curl -sS --max-time 5 http://10.96.0.10/');
  const veth = (dev: string) => {
    const out: string[] = [];
    for (const line of captureLinesOf(l.world, curl, 'h', 'node', dev)) {
      const s = summary(line);
      if (c.compare === 'handshake' && s.includes('Flags [P.]')) break;
      if (c.compare === 'ip' && s.includes('ethertype ARP')) continue;
      if (s.includes('Flags [.]')) continue;
      out.push(s);
    }
    return out;
  };
  const ct = l.run('ip netns exec node conntrack -L');
  return { curl, veth, ct };
}

describe('pod → Service → pod on one node (br_netfilter, hairpin, masquerade)', () => {
  for (const [name, c] of Object.entries(CASES)) {
    const k = KERNEL[name]!;
    it(`${name}: call-iptables=${c.nf}, backend ${c.backend}, hairpin ${c.hairpin}, masquerade ${c.masq}`, () => {
      const { curl, veth, ct } = runCase(c);
      expect(curl.exitCode).toBe(k.rc);
      if (k.rc === 28)
        expect(curl.stderr).toMatch(
          /^curl: \(28\) Connection timed out after 500\d milliseconds\n$/,
        );
      expect(veth('veth-a')).toEqual(k.veth['veth-a']);
      expect(veth('veth-b')).toEqual(k.veth['veth-b']);
      if (k.conntrack === '')
        expect(ct.stderr).toBe(
          'conntrack v1.4.7 (conntrack-tools): 0 flow entries have been shown.\n',
        );
      else {
        expect(ctShape(ct.stdout.trimEnd())).toBe(ctShape(k.conntrack));
        expect(ct.stderr).toBe(
          'conntrack v1.4.7 (conntrack-tools): 1 flow entries have been shown.\n',
        );
      }
    });
  }
});

describe('bridge link set … hairpin, as iproute2 6.1 prints it', () => {
  const l = lab();
  l.setup(NODE.slice(0, 22));

  it('shows the flag with -d only, and a frame goes back out of its ingress port only with it on', () => {
    expect(l.run('bridge -n node link set dev veth-a hairpin on').exitCode).toBe(0);
    expect(l.run('bridge -n node link show dev veth-a').stdout).toBe(
      '3: veth-a@cni0: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500 master cni0 state forwarding priority 32 cost 2 \n',
    );
    expect(l.run('bridge -n node -d link show').stdout).toBe(
      '3: veth-a@cni0: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500 master cni0 state forwarding priority 32 cost 2 \n' +
        '    hairpin on guard off root_block off fastleave off learning on flood on mcast_flood on bcast_flood on mcast_router 1 mcast_to_unicast off neigh_suppress off vlan_tunnel off isolated off locked off \n' +
        '4: veth-b@cni0: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500 master cni0 state forwarding priority 32 cost 2 \n' +
        '    hairpin off guard off root_block off fastleave off learning on flood on mcast_flood on bcast_flood on mcast_router 1 mcast_to_unicast off neigh_suppress off vlan_tunnel off isolated off locked off \n',
    );
    // a's broadcast ARP request is flooded back to a as well while hairpin is on (the kernel
    // capture on veth-a shows it twice), once only with hairpin off.
    const requests = (target: string) => {
      const r = l.run(`ip netns exec a ping -c1 -W1 ${target}`);
      return captureLinesOf(l.world, r, 'h', 'node', 'veth-a').filter((x) =>
        x.includes(`Request who-has ${target} tell 10.244.0.2`),
      ).length;
    };
    const on = requests('10.244.0.99');
    l.run('bridge -n node link set dev veth-a hairpin off');
    expect(l.run('bridge -n node -d link show dev veth-a').stdout).toContain('    hairpin off ');
    const off = requests('10.244.0.98');
    expect(off).toBeGreaterThan(0);
    expect(on).toBe(2 * off);
  });

  it('fails the way the real command does', () => {
    const cases: [string, number, string][] = [
      [
        'bridge -n node link set dev nosuch hairpin on',
        255,
        'Cannot find bridge device "nosuch"\n',
      ],
      [
        'bridge -n node link set dev veth-a hairpin maybe',
        234,
        'Error: argument of "hairpin" must be one of "off", "on", not "maybe"\n',
      ],
      [
        'bridge -n node link set dev veth-a hairpin',
        255,
        'Command line is not complete. Try option "help"\n',
      ],
      ['bridge -n node link set hairpin on', 255, 'Device is a required argument.\n'],
      [
        'bridge -n node link set dev cni0 hairpin on',
        255,
        'RTNETLINK answers: Operation not supported\n',
      ],
      ['bridge -n node link show dev nosuch', 255, 'Cannot find device "nosuch"\n'],
    ];
    for (const [cmd, code, err] of cases) {
      const r = l.run(cmd);
      expect([r.exitCode, r.stderr, r.stdout]).toEqual([code, err, '']);
    }
    // Every argument is parsed before anything is set: a bad later value leaves hairpin alone.
    l.run('bridge -n node link set dev veth-a hairpin off');
    expect(l.run('bridge -n node link set dev veth-a hairpin on learning maybe').exitCode).toBe(
      234,
    );
    expect(l.run('bridge -n node -d link show dev veth-a').stdout).toContain('    hairpin off ');
  });
});
