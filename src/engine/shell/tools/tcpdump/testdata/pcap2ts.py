"""Turns pcap captures into TypeScript fixtures: each frame as a builder expression (see
testdata/build.ts) plus tcpdump's own text for it in several flag combinations."""
import json, re, struct, subprocess, sys

class Unsupported(Exception):
    pass

def read_pcap(path):
    data = open(path, 'rb').read()
    magic, = struct.unpack('<I', data[:4])
    assert magic == 0xa1b2c3d4, hex(magic)
    linktype, = struct.unpack('<I', data[20:24])
    off, recs = 24, []
    while off < len(data):
        sec, usec, incl, orig = struct.unpack('<IIII', data[off:off + 16])
        recs.append((sec, usec, data[off + 16:off + 16 + incl], orig))
        off += 16 + incl
    return linktype, recs

def mac(b):
    return ':'.join('%02x' % x for x in b)

def ip4(b):
    return '.'.join(str(x) for x in b)

def s(text):
    return json.dumps(text)

def parse_eth(b):
    dst, src, etype = b[0:6], b[6:12], struct.unpack('!H', b[12:14])[0]
    return 'eth(%s, %s, %s)' % (s(mac(src)), s(mac(dst)), parse_l3(etype, b[14:]))

def parse_l3(etype, b):
    if etype == 0x0806:
        return parse_arp(b)
    if etype == 0x0800:
        return parse_ip(b)
    raise Unsupported('ethertype %#x' % etype)

def parse_arp(b):
    op = struct.unpack('!H', b[6:8])[0]
    opname = {1: 'request', 2: 'reply'}[op]
    return 'arp(%s, %s, %s, %s, %s)' % (s(opname), s(mac(b[8:14])), s(ip4(b[14:18])), s(mac(b[18:24])), s(ip4(b[24:28])))

def parse_ip(b):
    vihl, tos, totlen, ident, frag, ttl, proto = struct.unpack('!BBHHHBB', b[:10])
    ihl = (vihl & 15) * 4
    if ihl != 20:
        raise Unsupported('ip options')
    if frag & 0x3fff:
        raise Unsupported('fragment')
    src, dst = ip4(b[12:16]), ip4(b[16:20])
    df = 'true' if frag & 0x4000 else 'false'
    body = b[ihl:totlen]
    full = totlen - ihl
    hdr = '{ src: %s, dst: %s, ttl: %d, id: %d, tos: %d, df: %s }' % (s(src), s(dst), ttl, ident, tos, df)
    if proto == 1:
        l4 = parse_icmp(body, full)
    elif proto == 6:
        l4 = parse_tcp(body, full)
    elif proto == 17:
        l4 = parse_udp(body, full)
    elif proto == 4:
        l4 = 'ipip(%s)' % parse_ip(body)
    else:
        raise Unsupported('ip proto %d' % proto)
    return 'ip(%s, %s)' % (hdr, l4)

def parse_icmp(b, full):
    typ, code = b[0], b[1]
    if typ in (0, 8):
        ident, seq = struct.unpack('!HH', b[4:8])
        return 'echo(%d, %d, %d, %d)' % (typ, ident, seq, full - 8)
    if typ in (3, 5, 11):
        extra = []
        if typ == 5:
            extra.append('gateway: %s' % s(ip4(b[4:8])))
        if typ == 3 and code == 4:
            extra.append('mtu: %d' % struct.unpack('!H', b[6:8])[0])
        tail = ', { %s }' % ', '.join(extra) if extra else ''
        return 'icmpError(%d, %d, %s, %d%s)' % (typ, code, parse_ip(b[8:]), len(b) - 8, tail)
    raise Unsupported('icmp type %d' % typ)

def parse_tcp_options(b):
    out, i = [], 0
    while i < len(b):
        kind = b[i]
        if kind == 0:
            break  # EOL: the rest is padding, which the model re-creates
        if kind == 1:
            out.append('nop'); i += 1; continue
        ln = b[i + 1]
        val = b[i + 2:i + ln]
        if kind == 2:
            out.append('mss(%d)' % struct.unpack('!H', val)[0])
        elif kind == 3:
            out.append('wscale(%d)' % val[0])
        elif kind == 4:
            out.append('sackOK')
        elif kind == 8:
            out.append('ts(%d, %d)' % struct.unpack('!II', val))
        else:
            raise Unsupported('tcp option %d' % kind)
        i += ln
    return '[' + ', '.join(out) + ']'

def flag_text(f):
    t = ''
    for bit, ch in ((1, 'F'), (2, 'S'), (4, 'R'), (8, 'P'), (16, '.'), (32, 'U')):
        if f & bit:
            t += ch
    return t

def parse_tcp(b, full):
    sport, dport, seq, ack, offb, flags, win = struct.unpack('!HHIIBBH', b[:16])
    hl = (offb >> 4) * 4
    opts = parse_tcp_options(b[20:hl])
    data = b[hl:].decode('ascii')
    # A quoted (truncated) segment: the bytes past the quote are unknown; '~' marks them.
    data += '~' * (full - hl - len(b[hl:]))
    hdr = '{ sport: %d, dport: %d, flags: %s, seq: %d, ack: %d, win: %d }' % (sport, dport, s(flag_text(flags)), seq, ack, win)
    return 'tcp(%s, %s%s)' % (hdr, opts, ', ' + s(data) if data else '')

def parse_udp(b, full):
    sport, dport, ulen = struct.unpack('!HHH', b[:6])
    if 4789 in (sport, dport) or 8472 in (sport, dport):
        vni = int.from_bytes(b[12:15], 'big')
        return 'vxlan(%d, %d, %d, %s)' % (sport, dport, vni, parse_eth(b[16:]))
    data = b[8:].decode('ascii')
    data += '~' * (full - 8 - len(b[8:]))
    return 'udp(%d, %d, %s)' % (sport, dport, s(data))

# -i any (LINUX_SLL2): the cooked header has no destination MAC; rebuild a plausible one.
IFNAMES = {1: 'lo', 2: 'eth0', 3: 'vx0', 4: 'flannel.1'}
OWN = {2: '02:00:00:00:01:02', 3: '02:00:00:00:42:01'}
PEER = {'10.0.1.3': '02:00:00:00:01:03', '192.168.42.2': '02:00:00:00:42:02'}

def parse_sll2(b):
    proto, _res, ifindex, _hatype, pkttype, halen = struct.unpack('!HHIHBB', b[:12])
    src = mac(b[12:18])
    payload = b[20:]
    l3 = parse_l3(proto, payload)
    if pkttype == 4:
        direction = 'Out'
        if proto == 0x0806 and payload[7] == 1:
            dst = 'ff:ff:ff:ff:ff:ff'
        else:
            dst = PEER.get(ip4(payload[16:20]), '02:00:00:00:01:01')
    elif pkttype == 1:
        direction, dst = 'In', 'ff:ff:ff:ff:ff:ff'
    elif pkttype == 0:
        direction, dst = 'In', OWN[ifindex]
    elif pkttype == 2:
        group = payload[16:20]
        direction, dst = 'In', '01:00:5e:%02x:%02x:%02x' % (group[1] & 0x7f, group[2], group[3])
    elif pkttype == 3:
        return 'eth(%s, %s, %s)' % (s(src), s('02:00:00:00:01:01'), l3), '{ ifname: %s, ifindex: %d, dir: "In", otherHost: true }' % (s(IFNAMES[ifindex]), ifindex)
    else:
        raise Unsupported('pkttype %d' % pkttype)
    return 'eth(%s, %s, %s)' % (s(src), s(dst), l3), '{ ifname: %s, ifindex: %d, dir: %s }' % (s(IFNAMES[ifindex]), ifindex, s(direction))

TS_RE = re.compile(r'^\d\d:\d\d:\d\d\.\d{6} ')

def tcpdump_chunks(path, flags, netns):
    cmd = ['tcpdump', '-r', path, '-nn'] + flags
    if netns:
        cmd = ['ip', 'netns', 'exec', netns] + cmd
    out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
    chunks = []
    for line in out.split('\n')[:-1]:
        if TS_RE.match(line):
            chunks.append(line[16:])
        else:
            chunks[-1] += '\n' + line
    # Cross-check against -t, which is what we claim to reproduce.
    t_out = subprocess.run(cmd + ['-t'], capture_output=True, text=True, check=True).stdout
    assert t_out == ''.join(c + '\n' for c in chunks), path
    return chunks

MODES = [[], ['-e'], ['-v'], ['-e', '-v'], ['-vv'], ['-e', '-vv']]

def capture(name, path, description, netns=None):
    linktype, recs = read_pcap(path)
    frames, skipped = [], []
    for i, (_sec, _usec, data, _orig) in enumerate(recs):
        try:
            if linktype == 1:
                frames.append((i, parse_eth(data), None))
            elif linktype == 276:
                f, any_ = parse_sll2(data)
                frames.append((i, f, any_))
            else:
                raise Unsupported('linktype %d' % linktype)
        except Unsupported as e:
            skipped.append('frame %d: %s' % (i + 1, e))
    outputs = {}
    for flags in MODES:
        chunks = tcpdump_chunks(path, flags, netns)
        assert len(chunks) == len(recs)
        outputs[' '.join(['-nn', '-t'] + flags)] = '\n'.join(chunks[i] for i, _, _ in frames)
    return {'name': name, 'description': description, 'skipped': skipped, 'frames': frames, 'outputs': outputs, 'records': recs}

def template(text):
    return '`' + text.replace('\\', '\\\\').replace('`', '\\`').replace('${', '\\${') + '`'

def emit_capture(c):
    lines = ['  {', '    name: %s,' % s(c['name']), '    description: %s,' % s(c['description'])]
    if c['skipped']:
        lines.append('    // Left out (not representable in the model): %s' % '; '.join(c['skipped']))
    lines.append('    frames: [')
    for _i, f, any_ in c['frames']:
        lines.append('      { frame: %s%s },' % (f, ', any: %s' % any_ if any_ else ''))
    lines.append('    ],')
    lines.append('    outputs: {')
    for k, v in c['outputs'].items():
        lines.append('      %s: %s,' % (s(k), template(v)))
    lines.append('    },')
    lines.append('  },')
    return '\n'.join(lines)
