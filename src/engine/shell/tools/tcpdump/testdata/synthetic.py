"""Writes pcap files of hand-built frames for the corners the live captures do not reach
(relative sequence numbers restarting, odd flags and options, HTTP text edge cases, ICMP codes,
ECN bits, multicast on -i any). tcpdump reads them like any capture; its output is the fixture."""
import struct, sys

def csum(b):
    if len(b) % 2:
        b += b'\0'
    s = sum(struct.unpack('!%dH' % (len(b) // 2), b))
    while s >> 16:
        s = (s & 0xffff) + (s >> 16)
    return (~s) & 0xffff

def mac(t):
    return bytes(int(x, 16) for x in t.split(':'))

def ipb(t):
    return bytes(int(x) for x in t.split('.'))

A, B = '02:00:00:00:01:02', '02:00:00:00:01:01'

def eth(src, dst, etype, payload):
    return mac(dst) + mac(src) + struct.pack('!H', etype) + payload

def ip(src, dst, proto, payload, ttl=64, ident=1, tos=0, df=True):
    h = struct.pack('!BBHHHBBH4s4s', 0x45, tos, 20 + len(payload), ident, 0x4000 if df else 0, ttl, proto, 0, ipb(src), ipb(dst))
    h = h[:10] + struct.pack('!H', csum(h)) + h[12:]
    return h + payload

FLAGS = {'F': 1, 'S': 2, 'R': 4, 'P': 8, '.': 16, 'U': 32}

def opts(*os):
    out = b''
    for o in os:
        if o == 'nop': out += b'\x01'
        elif o == 'sackOK': out += b'\x04\x02'
        elif o[0] == 'mss': out += struct.pack('!BBH', 2, 4, o[1])
        elif o[0] == 'ws': out += struct.pack('!BBB', 3, 3, o[1])
        elif o[0] == 'ts': out += struct.pack('!BBII', 8, 10, o[1], o[2])
    while len(out) % 4:
        out += b'\0'
    return out

def tcp(src, dst, sport, dport, flags, seq, ack, data=b'', win=502, options=b''):
    f = sum(FLAGS[c] for c in flags)
    hl = 20 + len(options)
    h = struct.pack('!HHIIBBHHH', sport, dport, seq, ack, (hl // 4) << 4, f, win, 0, 0) + options
    seg = h + data
    ph = ipb(src) + ipb(dst) + struct.pack('!BBH', 0, 6, len(seg))
    c = csum(ph + seg)
    return seg[:16] + struct.pack('!H', c) + seg[18:]

def udp(src, dst, sport, dport, data):
    seg = struct.pack('!HHHH', sport, dport, 8 + len(data), 0) + data
    ph = ipb(src) + ipb(dst) + struct.pack('!BBH', 0, 17, len(seg))
    c = csum(ph + seg) or 0xffff
    return seg[:6] + struct.pack('!H', c) + seg[8:]

def icmp(typ, code, rest4, body):
    m = struct.pack('!BBH', typ, code, 0) + rest4 + body
    return m[:2] + struct.pack('!H', csum(m)) + m[4:]

def echo(typ, ident, seq, n):
    return icmp(typ, 0, struct.pack('!HH', ident, seq), bytes((i % 256 for i in range(n))))

def tcp_frame(src, dst, *a, **k):
    return eth(A if src.endswith('.2') else B, B if src.endswith('.2') else A, 0x0800, ip(src, dst, 6, tcp(src, dst, *a, **k)))

def write_pcap(path, frames, linktype=1):
    with open(path, 'wb') as f:
        f.write(struct.pack('<IHHiIII', 0xa1b2c3d4, 2, 4, 0, 0, 262144, linktype))
        for i, fr in enumerate(frames):
            f.write(struct.pack('<IIII', 1700000000, i * 1000, len(fr), len(fr)) + fr)

C, S = '10.0.1.2', '10.0.2.2'
TSO = opts('nop', 'nop', ('ts', 1000, 2000))

def seq_frames():
    return [
        # A capture that starts mid-connection: the first ACK-bearing segment is printed absolute
        # and recorded; later ones are relative.
        tcp_frame(C, S, 40000, 80, 'P.', 1000000, 5000000, b'GET / HTTP/1.1\r\n\r\n', options=TSO),
        tcp_frame(S, C, 80, 40000, '.', 5000000, 1000018, options=TSO),
        tcp_frame(S, C, 80, 40000, 'P.', 5000000, 1000018, b'HTTP/1.1 204 No Content\r\n\r\n', options=TSO),
        tcp_frame(C, S, 40000, 80, 'F.', 1000018, 5000027, options=TSO),
        # The same 4-tuple reused: SYN (no ACK) prints absolute and is not recorded; the SYN-ACK
        # re-records; the ACK after it is relative to the new ISNs.
        tcp_frame(C, S, 40000, 80, 'S', 7000000, 0, win=64240, options=opts(('mss', 1460), 'sackOK', ('ts', 1, 0), 'nop', ('ws', 7))),
        tcp_frame(S, C, 80, 40000, 'S.', 9000000, 7000001, win=65160, options=opts(('mss', 1460), 'sackOK', ('ts', 2, 1), 'nop', ('ws', 7))),
        tcp_frame(C, S, 40000, 80, '.', 7000001, 9000001, options=TSO),
        tcp_frame(C, S, 40000, 80, 'R.', 7000001, 9000001),
        # Equal ports: the lower address goes first in tcpdump's key.
        tcp_frame(C, S, 5000, 5000, 'S.', 100, 200, options=opts(('mss', 1460))),
        tcp_frame(S, C, 5000, 5000, '.', 200, 101),
        tcp_frame(C, S, 5000, 5000, 'P.', 101, 201, b'hi\n'),
        # Sequence numbers that wrap past 2^32.
        tcp_frame(C, S, 40001, 9000, '.', 4294967290, 10, b'0123456789'),
        tcp_frame(C, S, 40001, 9000, 'P.', 4, 10, b'abc'),
        # Odd flags and options: none at all, URG, FIN+PSH without ACK, padding printed as eol.
        tcp_frame(C, S, 40002, 9000, '', 1, 0),
        tcp_frame(C, S, 40002, 9000, 'U.', 1, 1),
        tcp_frame(C, S, 40002, 9000, 'FP', 1, 0, b'x'),
        tcp_frame(C, S, 40003, 9000, 'S', 1, 0, options=opts(('mss', 536), 'sackOK')),
        tcp_frame(C, S, 40003, 9000, 'S', 1, 0, options=opts(('ws', 14))),
        tcp_frame(C, S, 40003, 9000, 'S', 1, 0, options=opts(('ts', 4294967295, 0), ('mss', 1400))),
        # An RST that carries text: -v prints it.
        tcp_frame(S, C, 9000, 40004, 'R.', 1, 1, b'connection refused by policy, sorry!'),
        tcp_frame(S, C, 9000, 40005, 'R', 1, 0, b'bye'),
    ]

def http_frames():
    P = lambda data, sport=40100, dport=8080: tcp_frame(C, S, sport, dport, 'P.', 1, 1, data)
    R = lambda data: tcp_frame(S, C, 80, 40200, 'P.', 1, 1, data)
    return [
        P(b'GET / HTTP/1.1'),  # no line end
        P(b'get /lower HTTP/1.1\r\nHost: a\r\n\r\n'),
        P(b'FOO / HTTP/1.1\r\n\r\n'),
        P(b'GET / HTTP/1.1\rX\r\n'),  # lone CR
        P(b'POST /x HTTP/1.1\r\nContent-Length: 3\r\n\r\n\x01\x02\x03'),
        P(b'HTTP/1.0 2000 OK\r\n'),
        P(b'GET ' + b'a' * 130 + b' HTTP/1.1\r\n'),
        P(b'A' * 129 + b' 200 OK\r\n'),
        P(b'GET / HTTP/1.1\r\nX:\ty\r\n\r'),
        P(b'GET\t/tab HTTP/1.1\r\n'),
        P(b'GET /unix HTTP/1.1\nHost: b\n\n'),
        P(b'\r\nGET / HTTP/1.1\r\n'),
        R(b'HTTP/1.1 404 Not Found\r\nContent-Length: 4\r\n\r\nbody'),
        R(b'HTTP/1.1 200 OK\r\n\r\n<html>\r\n</html>\r\n'),
        R(b'HTTP/1.1 301\r\n'),
        R(b'continuation of a body\r\n'),
    ]

def misc_frames():
    ping = lambda **k: eth(A, B, 0x0800, ip(C, S, 1, echo(8, 77, 1, 56), **k))
    orig_udp = ip(C, S, 17, udp(C, S, 33000, 53000, b'probe'), ttl=1, ident=9)
    orig_tcp = ip(C, S, 6, tcp(C, S, 41000, 8080, 'S', 123456, 0, win=64240, options=opts(('mss', 1460), 'sackOK', ('ts', 5, 0), 'nop', ('ws', 7))), ttl=1, ident=10)
    err = lambda typ, code, rest4, orig: eth(B, A, 0x0800, ip('10.0.1.1', C, 1, icmp(typ, code, rest4, orig), tos=0xc0, df=False, ident=500))
    frames = [ping(tos=0x02), ping(tos=0x03), ping(tos=0x01), ping(tos=0x10), ping(ttl=0), ping(ttl=255, df=False)]
    frames += [eth(A, B, 0x0800, ip(C, S, 1, echo(0, 1, 65535, n))) for n in (0, 1, 1472)]
    for code in (5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16):
        frames.append(err(3, code, b'\0\0\0\0', orig_udp))
    frames.append(err(3, 3, b'\0\0\0\0', orig_tcp))
    frames.append(err(3, 4, b'\0\0\0\0', orig_udp))  # need to frag without an MTU
    for code in (0, 2, 3, 4):
        frames.append(err(5, code, ipb('10.0.1.3'), orig_udp))
    frames.append(err(11, 1, b'\0\0\0\0', orig_udp))
    frames.append(err(11, 2, b'\0\0\0\0', orig_udp))
    frames.append(err(11, 0, b'\0\0\0\0', orig_tcp))  # a whole TCP SYN quoted: -v checksums it
    # VXLAN carrying an HTTP request; the inner TCP goes through the same relative-seq table.
    inner = eth('02:00:00:00:42:01', '02:00:00:00:42:02', 0x0800, ip('192.168.42.1', '192.168.42.2', 6,
                tcp('192.168.42.1', '192.168.42.2', 41001, 80, 'P.', 300, 400, b'GET /in HTTP/1.1\r\n\r\n')))
    vx = struct.pack('!BBHI', 8, 0, 0, 42 << 8) + inner
    frames.append(eth(A, B, 0x0800, ip(C, S, 17, udp(C, S, 51000, 4789, vx), df=False)))
    return frames

def sll2(proto, ifindex, pkttype, src, payload):
    return struct.pack('!HHIHBB', proto, 0, ifindex, 1, pkttype, 6) + mac(src) + b'\0\0' + payload

def any_frames():
    mc = ip(C, '224.1.1.1', 17, udp(C, '224.1.1.1', 40000, 5000, b'hello'), ttl=1, df=False)
    return [
        sll2(0x0800, 2, 2, '02:00:00:00:01:03', mc),  # multicast received
        sll2(0x0800, 2, 4, A, mc),  # the same sent
        sll2(0x0800, 2, 3, '02:00:00:00:01:03', ip('10.0.1.3', '10.0.1.1', 1, echo(8, 5, 1, 56))),  # otherhost
    ]

out = sys.argv[1]
write_pcap(out + '/synth_seq.pcap', seq_frames())
write_pcap(out + '/synth_http.pcap', http_frames())
write_pcap(out + '/synth_misc.pcap', misc_frames())
write_pcap(out + '/synth_any.pcap', any_frames(), linktype=276)
