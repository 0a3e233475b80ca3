"""Writes captures.ts and filters.ts from the pcaps of capture.sh and synthetic.py.

    python3 gen_all.py PCAPDIR OUTDIR && npx prettier --write OUTDIR

Needs tcpdump, and the network namespace pl-c-h1 that capture.sh creates (tcpdump names -i any
interfaces by looking their index up where it runs): keep it, or recreate one with lo, eth0,
vx0 and flannel.1 as interfaces 1-4.
"""
import subprocess, sys, os, json
sys.path.insert(0, os.path.dirname(__file__))
from pcap2ts import capture, emit_capture, read_pcap, s, template

CAP = os.path.join(sys.argv[1], '')
CAPTURES = [
    ('arp_echo', 'h1 eth0: ARP resolution of the gateway, then two pings to it'),
    ('t1', 'h1 eth0: hand-made ARP requests with a broadcast and a unicast target MAC, and a reply'),
    ('arpfail', 'h1 eth0: ping to an unused on-link address: three unanswered ARP requests'),
    ('ttl', 'h1 eth0: ping -t 1 and a UDP datagram with TTL 1 across router r: time exceeded'),
    ('netunr', 'h1 eth0: ping 10.9.9.9; router r has no route: net unreachable'),
    ('hostunr', 'h1 eth0: ping 10.0.2.99; router r gets no ARP answer: host unreachable'),
    ('portunr', 'h1 eth0: UDP to a closed port on h2: port unreachable'),
    ('fragneed', 'h1 eth0: ping -M do -s 1450 towards a 1400-byte link: fragmentation needed (quote cut at 548 bytes)'),
    ('redirect', 'h1 eth0: ping 10.0.3.1 whose better next hop 10.0.1.3 is on h1\'s own link: redirect'),
    ('ipip', 'h1 eth0: an IP-in-IP packet to h2, which has no ipip module: protocol 4 unreachable'),
    ('http8080', 'h1 eth0: curl http://10.0.2.2:8080/ against python3 -m http.server'),
    ('http80', 'h1 eth0: curl http://10.0.2.2/nope against python3 -m http.server 80 (404)'),
    ('closed', 'h1 eth0: SYN to a closed port ([R.]) and a stray ACK to a closed port ([R])'),
    ('cork', 'h1 eth0: a server that corks its reply and shuts down: data and FIN in one segment ([FP.])'),
    ('rst', 'h1 eth0: a client that aborts with SO_LINGER 0 ([R.] with relative numbers)'),
    ('bigtcp', 'h1 eth0: a 1.5 kB HTTP request over a 1400-byte hop: the quoted segment ends mid-header'),
    ('vxlan', 'h1 eth0: VXLAN on 4789 (vni 42) and flannel-style VXLAN on 8472, which tcpdump decodes as OTV'),
    ('synth_seq', 'hand-built (testdata/synthetic.py): relative sequence numbers restarting, wrapping, equal ports; odd flags and options; RST text'),
    ('synth_http', 'hand-built (testdata/synthetic.py): HTTP text corner cases on ports 8080 and 80'),
    ('synth_misc', 'hand-built (testdata/synthetic.py): ECN bits, TTL 0, every ICMP unreachable/redirect/time-exceeded code, a quoted TCP SYN, HTTP inside VXLAN'),
]
ANY = [
    ('any', 'h1 -i any: ARP, ping, curl to :8080 and a ping over vx0 (cooked SLL2 headers)'),
    ('any2', 'h1 -i any: a broadcast ARP request arriving ("B") and the answers'),
    ('synth_any', 'hand-built cooked frames: multicast received ("M"), the same sent, and a frame for another host ("P")'),
]

FILTERS = [
    'arp', 'ip', 'ip6', 'icmp', 'tcp', 'udp',
    'host 10.0.1.1', 'host 10.0.2.2', 'src host 10.0.1.2', 'dst host 10.0.1.2', 'src 10.0.2.2', 'dst 10.0.2.2',
    'host 10.0.1.2 or 10.0.1.3', 'host 10.0.1', 'net 10.0.2.0/24', 'net 10.0.0.0/16', 'src net 10.0', 'net 192.168.42.0/24',
    'port 8080', 'port 80', 'src port 8080', 'dst port 8080', 'port 4789', 'port 9999', 'udp port 9999', 'tcp port 80',
    'port 80 or 8080', 'port http', 'src or dst port 8080', 'src and dst net 10.0.0.0/8',
    'ether host 02:00:00:00:01:01', 'ether src 02:00:00:00:01:02', 'ether dst ff:ff:ff:ff:ff:ff', 'ether host 2:0:0:0:1:3',
    'arp host 10.0.1.1', 'ip host 10.0.1.1', 'ip src 10.0.1.2',
    'not arp', '! icmp', 'tcp and port 8080', 'tcp && dst port 8080', 'icmp or arp', 'icmp || arp', 'not (icmp or arp)',
    'icmp and host 10.0.1.1 or arp', 'arp or icmp and host 10.0.1.1', 'host 10.0.1.2 and not port 8080',
    'not not tcp', 'host 10.0.1.2 and (10.0.2.2 or 10.0.3.1)', 'host 10.0.1.2 or not 10.0.2.2',
    'tcp[tcpflags] & tcp-syn != 0', 'tcp[tcpflags] & (tcp-syn|tcp-ack) == tcp-syn', 'tcp[tcpflags] & tcp-rst != 0',
    'tcp[tcpflags] == tcp-syn|tcp-ack', 'tcp[13] & 2 != 0', 'tcp[13] = 18', 'tcp[tcpflags] & tcp-fin != 0 and port 5001',
    'host 192.168.42.2', 'port 5000', 'udp and not port 4789',
    'less 60', 'greater 1000', 'len >= 100', 'ip proto 4', 'ip proto ipencap', 'ip proto ipip', 'ip proto \\tcp',
    'proto 17', 'ether proto 0x0806', 'ether proto \\arp', 'portrange 8000-8100', 'tcp portrange 1-100', 'portrange 9999',
    'ip[8] = 1', 'ip[1] & 0xfc = 0xc0', 'ip[6] & 0x40 != 0', 'ether[0] & 1 != 0', 'link[12:2] = 0x0806',
    'icmp[icmptype] = icmp-echo', 'icmp[icmptype] != icmp-echo and icmp[icmptype] != icmp-echoreply',
    'icmp[icmptype] = icmp-unreach and icmp[icmpcode] = 3', 'icmp[4:2] = 26846', 'udp[8:2] = 0x0800', 'udp[2:2] = 8472',
    'tcp[((tcp[12:1] & 0xf0) >> 2):4] = 0x47455420', 'tcp[tcpflags] & (tcp-syn|tcp-fin) != 0', 'tcp[20:2] = 0x0204',
    'not tcp[100] = 0', 'tcp[100] = 0 or arp', 'tcp[12] >> 4 = 8', 'len - 14 = 84', '-1 = 0xffffffff',
    'host localhost', 'src net link-local', 'arp src 10.0.1.2 and arp dst 10.0.1.1',
    'src and dst host 10.0.1.2', 'ether src host 02:00:00:00:01:02 and not ip',
    'tcp[13] = 2 or tcp[13] = 18', '1 = 1', 'tcp[100] = 0', 'net 10.0.0.0 mask 255.0.0.1', 'udp portrange 1-http',
    'net 10.0.2.0 mask 255.255.255.0', 'dst net 10.0.1',
]

BAD_FILTERS = [
    'port', 'host', 'tcp and', 'and tcp', 'foo', 'host 1.2.3.4.5', 'host 999.1.1.1', 'host 10.0.0.256', 'port 70000',
    'port abc', 'port 080', 'net 10.0.0.0/33', 'net 10.0.1.1/24', '(tcp', 'tcp)', 'not', 'src port', '()',
    'ether host 1:2:3', 'ether host zz', 'host 02:00:00:00:01:02', 'port 10.0.0.1', 'ether host 10.0.0.1',
    'host 10.0.0.0/8', 'ether net 10.0.0.0/8', 'tcp host 10.0.0.1', 'arp port 80', 'ip port 80', 'icmp host 10.0.0.1',
    'tcp src 10.0.0.1', 'tcp or 80', 'tcp or foo', '(port 80) or 81', 'port 80 or (81 or host 1.1.1.1)',
    'host 10.0.1.2 or port 80 or 10.0.0.1', 'not 10.0.0.1', '10.0.0.1', 'tcp 80', 'udp port http',
    'ip and ip6', 'tcp and not tcp', 'tcp and udp', 'arp and port 80', 'port 80 and not port 80',
    'src host 1.1.1.1 and src host 2.2.2.2', 'icmp and port 80', 'ip6 and icmp', 'port 80 and port 81 and port 82',
    'tcp[tcpflags] & tcp-syn', 'tcp[tcpflags] & tcp-foo != 0', 'tcp[tcpflags] & tcp-syn != 0 and udp',
    'host foo.example', 'PORT 80', 'host 10.0.1.2 port 80', 'ether src 02:00:00:00:01:02 or 10.0.0.1',
    'tcp[13:3] = 0', 'tcp[] = 0', 'link', 'ip host ::1', 'tcp host ::1', 'port ::1', 'host ::1/64', 'host 1::2::3',
    'gateway 10.0.0.1', 'tcp[tcpflags] & tcp-syn != 0 and tcp[tcpflags] & tcp-syn = 0', 'tcp[13] = 2 and tcp[13] = 18',
    '1 = 2', 'net foo', 'ip proto foo', 'tcp[13] / 0 = 1', 'tcp[13] % 0 = 1', 'tcp[13] << 32 = 0',
    'ether src 1:1:1:1:1:1 and ether src 2:2:2:2:2:2', 'tcp port http-alt or udp port http', 'ip6 host 10.0.0.1',
    'src or 10.0.0.1', 'src and port 80', 'host 10.0.0.1 and src', 'port 99999999999',
    'net 10.0.0.0 mask 255.0.0.0.0', 'ether host 02:00:00:00:01:02 and ether host 02:00:00:00:01:02 and arp and ip',
    'portrange 1-foo', 'ether proto \\foo', 'net 10.0.0.0/8/8', 'host 10.0.0.1 mask 255.0.0.0',
]
GOOD_ODD = ['not ip and tcp', 'not tcp and port 80', 'port 80 and port 81', 'src host 10.0.0.1 and src net 11.0.0.0/8',
            'tcp and not ip', 'ip6 and tcp', 'host ::1', 'net 10.0.0.1', 'host 0x0a000001', 'host 01.2.3.4',
            'ether host 02-00-00-00-01-02', 'ether host 0200.0000.0102', 'port 0x50', '', 'not not tcp']

def tcpdump_filter(path, expr, netns=None):
    cmd = ['tcpdump', '-r', path, '-w', '-', '-nn'] + (['--', expr] if expr else [])
    if netns:
        cmd = ['ip', 'netns', 'exec', netns] + cmd
    p = subprocess.run(cmd, capture_output=True)
    err = '\n'.join(l for l in p.stderr.decode().split('\n') if l and not l.startswith('reading from') and not l.startswith('Warning: interface names'))
    return p.returncode, p.stdout, err

def matched_indices(path, included, expr):
    rc, out, err = tcpdump_filter(path, expr)
    assert rc == 0, (expr, err)
    _lt, recs = read_pcap_bytes(out)
    all_recs = read_pcap(path)[1]
    hits, j = [], 0
    for i, r in enumerate(all_recs):
        if j < len(recs) and recs[j][:3] == r[:3]:
            hits.append(i); j += 1
    assert j == len(recs)
    pos = {orig: k for k, orig in enumerate(included)}
    return [pos[i] for i in hits if i in pos]

def read_pcap_bytes(data):
    import tempfile
    with tempfile.NamedTemporaryFile(suffix='.pcap') as f:
        f.write(data); f.flush()
        return read_pcap(f.name)

def main(outdir):
    caps = [capture(n, CAP + n + '.pcap', d) for n, d in CAPTURES]
    anys = [capture(n, CAP + n + '.pcap', d, netns='pl-c-h1') for n, d in ANY]
    head = ['/**',
            ' * GENERATED by testdata/gen_all.py from pcap files recorded on Debian 12 (tcpdump 4.99.3,',
            ' * libpcap 1.10.3, kernel 6.18) in throwaway network namespaces; see testdata/capture.sh.',
            ' * Every frame is rebuilt from the captured bytes; `outputs` is what `tcpdump -r FILE` printed',
            ' * for that file with the given flags. Do not edit by hand: re-run the generator.',
            ' */',
            "import type { EthernetFrame } from '../../../../net/packet';",
            "import type { AnyCapture } from '../format';",
            "import { arp, echo, eth, icmpError, ip, ipip, mss, nop, sackOK, tcp, ts, udp, vxlan, wscale } from './build';",
            '',
            'export interface CapturedFrame {',
            '  readonly frame: EthernetFrame;',
            "  readonly any?: AnyCapture;",
            '}',
            '',
            'export interface Capture {',
            '  readonly name: string;',
            '  readonly description: string;',
            '  readonly frames: readonly CapturedFrame[];',
            '  /** Keyed by the tcpdump flags used to read the file. */',
            '  readonly outputs: Readonly<Record<string, string>>;',
            '}',
            '']
    body = ['export const ETHERNET_CAPTURES: readonly Capture[] = ['] + [emit_capture(c) for c in caps] + ['];', '',
            '/** Read inside h1\'s namespace so that tcpdump names the interfaces by their ifindex. */',
            'export const ANY_CAPTURES: readonly Capture[] = ['] + [emit_capture(c) for c in anys] + ['];', '']
    open(os.path.join(outdir, 'captures.ts'), 'w').write('\n'.join(head + body))

    # Filters: which frames (index into each capture's `frames`) real tcpdump keeps.
    fl = ['/**', ' * GENERATED by testdata/gen_all.py: what libpcap 1.10.3 (via `tcpdump -r FILE -w - EXPR`) kept of',
          ' * each Ethernet capture in captures.ts, and what tcpdump said for expressions it rejected.', ' */', '',
          'export interface FilterCase {', '  readonly expr: string;',
          '  /** Capture name → indices into that capture\'s frames that pass; captures not listed pass none. */',
          '  readonly matches: Readonly<Record<string, readonly number[]>>;', '}', '',
          'export const FILTER_CASES: readonly FilterCase[] = [']
    for expr in FILTERS + [g for g in GOOD_ODD if g not in FILTERS]:
        m = []
        for c in caps:
            included = [i for i, _f, _a in c['frames']]
            hits = matched_indices(CAP + c['name'] + '.pcap', included, expr)
            if hits:
                m.append('%s: %s' % (c['name'], json.dumps(hits)))
        fl.append('  { expr: %s, matches: { %s } },' % (s(expr), ', '.join(m)))
    fl += ['];', '', '/** Expressions tcpdump refuses, with the message it prints on stderr. */',
           'export const FILTER_ERRORS: readonly { readonly expr: string; readonly error: string }[] = [']
    for expr in BAD_FILTERS:
        rc, _out, err = tcpdump_filter(CAP + 'arp_echo.pcap', expr)
        assert rc != 0 and err, expr
        fl.append('  { expr: %s, error: %s },' % (s(expr), s(err)))
    fl += ['];', '', '/** On a cooked (-i any) capture, link-layer primitives are refused. */',
           'export const COOKED_FILTER_ERRORS: readonly { readonly expr: string; readonly error: string }[] = [']
    for expr in ['ether host 02:00:00:00:01:02', 'ether src 02:00:00:00:01:01', 'ether dst ff:ff:ff:ff:ff:ff']:
        rc, _out, err = tcpdump_filter(CAP + 'any.pcap', expr, 'pl-c-h1')
        assert rc != 0 and err, expr
        fl.append('  { expr: %s, error: %s },' % (s(expr), s(err)))
    fl += ['];', '']
    open(os.path.join(outdir, 'filters.ts'), 'w').write('\n'.join(fl))

main(sys.argv[2])
