/**
 * tcpdump 4.99 output for a captured frame, as `tcpdump -nn [-e] [-v]` prints it without the
 * timestamp (`-t`). Keeps the per-capture state tcpdump keeps (relative TCP sequence numbers).
 */
import { type Ipv4, formatIpv4 } from '../../net/ipv4';
import { MAC_ZERO, isBroadcastMac, isMulticastMac } from '../../net/mac';
import {
  type ArpPacket,
  type EthernetFrame,
  type IcmpMessage,
  type Ipv4Packet,
  type TcpSegment,
  type UdpDatagram,
  frameLength,
  ipv4Length,
  l4Length,
  protocolName,
  utf8Length,
} from '../../net/packet';

export interface FormatOptions {
  /** -e: print the link-level header. */
  readonly link: boolean;
  /** -v count. */
  readonly verbose: number;
  /** -i any: the cooked header's interface, index and direction. */
  readonly any?: { readonly ifname: string; readonly ifindex: number; readonly dir: 'In' | 'Out' };
}

interface Conversation {
  seq: number;
  ack: number;
}

/** What tcpdump remembers between packets: ISNs per TCP conversation (tcp_seq_hash). */
export class TcpdumpState {
  readonly conversations = new Map<string, Conversation>();
}

/** Ports tcpdump decodes as HTTP. */
const HTTP_PORTS = new Set([80, 8080, 3128, 8000]);

function ipText(a: Ipv4): string {
  return formatIpv4(a);
}

function arpText(a: ArpPacket): string {
  if (a.op === 'request') {
    const who = a.targetMac !== MAC_ZERO && !isBroadcastMac(a.targetMac) ? ` (${a.targetMac})` : '';
    return `Request who-has ${ipText(a.targetIp)}${who} tell ${ipText(a.senderIp)}, length 28`;
  }
  return `Reply ${ipText(a.senderIp)} is-at ${a.senderMac}, length 28`;
}

function tcpFlags(s: TcpSegment): string {
  const f = s.flags;
  let out = '';
  if (f.fin) out += 'F';
  if (f.syn) out += 'S';
  if (f.rst) out += 'R';
  if (f.psh) out += 'P';
  if (f.urg) out += 'U';
  if (f.ack) out += '.';
  return out || 'none';
}

function tcpOptions(s: TcpSegment): string {
  if (s.options.length === 0) return '';
  const parts = s.options.map((o) => {
    switch (o.kind) {
      case 'mss':
        return `mss ${o.value}`;
      case 'sackOK':
        return 'sackOK';
      case 'ts':
        return `TS val ${o.val} ecr ${o.ecr}`;
      case 'nop':
        return 'nop';
      case 'wscale':
        return `wscale ${o.value}`;
    }
  });
  return `, options [${parts.join(',')}]`;
}

/** print-tcp.c: relative sequence numbers once a conversation's ISNs are known. */
function tcpText(p: Ipv4Packet, s: TcpSegment, st: TcpdumpState, verbose: number): string {
  let seq = s.seq >>> 0;
  let ack = s.ack >>> 0;
  if (s.flags.ack) {
    const rev = p.src > p.dst || (p.src === p.dst && s.sport > s.dport);
    const k = rev
      ? `${p.dst}:${s.dport}-${p.src}:${s.sport}`
      : `${p.src}:${s.sport}-${p.dst}:${s.dport}`;
    const c = st.conversations.get(k);
    if (!c || s.flags.syn) {
      st.conversations.set(
        k,
        rev ? { ack: seq, seq: (ack - 1) >>> 0 } : { seq, ack: (ack - 1) >>> 0 },
      );
    } else if (rev) {
      seq = (seq - c.ack) >>> 0;
      ack = (ack - c.seq) >>> 0;
    } else {
      seq = (seq - c.seq) >>> 0;
      ack = (ack - c.ack) >>> 0;
    }
  }
  const len = utf8Length(s.data);
  let out = `${ipText(p.src)}.${s.sport} > ${ipText(p.dst)}.${s.dport}: Flags [${tcpFlags(s)}]`;
  if (verbose > 1 || len > 0 || s.flags.syn || s.flags.fin || s.flags.rst) {
    out += `, seq ${seq}`;
    if (len > 0) out += `:${(seq + len) >>> 0}`;
  }
  if (s.flags.ack) out += `, ack ${ack}`;
  out += `, win ${s.window}${tcpOptions(s)}, length ${len}`;
  if (len > 0 && (HTTP_PORTS.has(s.sport) || HTTP_PORTS.has(s.dport))) {
    const first = s.data.split('\r\n')[0] ?? '';
    const isReqResp =
      /^(GET|HEAD|POST|PUT|DELETE|OPTIONS|PATCH|CONNECT|TRACE) \S+ HTTP\/\d\.\d$/.test(first) ||
      /^HTTP\/\d\.\d \d{3}/.test(first);
    out += isReqResp ? `: HTTP: ${first}` : ': HTTP';
  }
  return out;
}

function udpText(p: Ipv4Packet, u: UdpDatagram, opts: FormatOptions, st: TcpdumpState): string {
  const head = `${ipText(p.src)}.${u.sport} > ${ipText(p.dst)}.${u.dport}: `;
  if (u.payload.kind === 'vxlan' && u.dport === 4789) {
    return `${head}VXLAN, flags [I] (0x08), vni ${u.payload.vni}\n${frameText(u.payload.inner, { ...opts, any: undefined, link: true }, st)}`;
  }
  return `${head}UDP, length ${l4Length(u) - 8}`;
}

function icmpText(p: Ipv4Packet, m: IcmpMessage, opts: FormatOptions, st: TcpdumpState): string {
  const head = `${ipText(p.src)} > ${ipText(p.dst)}: `;
  const len = l4Length(m);
  if (!('original' in m)) {
    return `${head}ICMP echo ${m.type === 8 ? 'request' : 'reply'}, id ${m.id}, seq ${m.seq}, length ${len}`;
  }
  const o = m.original;
  let what: string;
  if (m.type === 11)
    what = m.code === 0 ? 'time exceeded in-transit' : 'ip reassembly time exceeded';
  else if (m.type === 5) what = `redirect ${ipText(o.dst)} to host ${ipText(m.gateway!)}`;
  else {
    switch (m.code) {
      case 0:
        what = `net ${ipText(o.dst)} unreachable`;
        break;
      case 1:
        what = `host ${ipText(o.dst)} unreachable`;
        break;
      case 2:
        what = `${ipText(o.dst)} protocol ${o.protocol} unreachable`;
        break;
      case 3: {
        const l4 = o.payload;
        const port = l4.kind === 'tcp' || l4.kind === 'udp' ? l4.dport : 0;
        what = `${ipText(o.dst)} ${l4.kind} port ${port} unreachable`;
        break;
      }
      case 4:
        what = `${ipText(o.dst)} unreachable - need to frag (mtu ${m.mtu ?? 0})`;
        break;
      case 13:
        what = `host ${ipText(o.dst)} unreachable - admin prohibited filter`;
        break;
      default:
        what = `${ipText(o.dst)} unreachable code ${m.code}`;
    }
  }
  let out = `${head}ICMP ${what}, length ${len}`;
  if (opts.verbose > 0) {
    // -v decodes the quoted datagram too, one tab in.
    out += `\n\t${ipHeaderText(o)}\n    ${l4Text(o, { ...opts, verbose: 0 }, new TcpdumpState())}`;
  }
  void st;
  return out;
}

function l4Text(p: Ipv4Packet, opts: FormatOptions, st: TcpdumpState): string {
  const l4 = p.payload;
  switch (l4.kind) {
    case 'icmp':
      return icmpText(p, l4, opts, st);
    case 'tcp':
      return tcpText(p, l4, st, opts.verbose);
    case 'udp':
      return udpText(p, l4, opts, st);
    case 'ipip':
      return `${ipText(p.src)} > ${ipText(p.dst)}: ${l4Text(l4.inner, opts, st)}`;
  }
}

/** The -v IPv4 header: "(tos 0x0, ttl 64, id 1, offset 0, flags [DF], proto ICMP (1), length 84)". */
function ipHeaderText(p: Ipv4Packet): string {
  return `(tos 0x${p.tos.toString(16)}, ttl ${p.ttl}, id ${p.id}, offset 0, flags [${p.df ? 'DF' : 'none'}], proto ${protocolName(p.protocol)} (${p.protocol}), length ${ipv4Length(p)})`;
}

function ipText4(p: Ipv4Packet, opts: FormatOptions, st: TcpdumpState): string {
  if (opts.verbose > 0) return `${ipHeaderText(p)}\n    ${l4Text(p, opts, st)}`;
  return l4Text(p, opts, st);
}

function frameText(f: EthernetFrame, opts: FormatOptions, st: TcpdumpState): string {
  const isArp = f.payload.kind === 'arp';
  const body = isArp ? arpText(f.payload as ArpPacket) : ipText4(f.payload as Ipv4Packet, opts, st);
  const ethertype = isArp ? 'ARP (0x0806)' : 'IPv4 (0x0800)';
  if (opts.any) {
    const { ifname, ifindex } = opts.any;
    const dir =
      opts.any.dir === 'Out'
        ? 'Out'
        : isBroadcastMac(f.dst)
          ? 'B'
          : isMulticastMac(f.dst)
            ? 'M'
            : 'In';
    if (opts.link)
      return `${ifname} ${dir} ifindex ${ifindex} ${f.src} ethertype ${ethertype}, length ${frameLength(f) + 6}: ${body}`;
    return `${ifname} ${dir} ${isArp ? 'ARP, ' : 'IP '}${body}`;
  }
  if (opts.link)
    return `${f.src} > ${f.dst}, ethertype ${ethertype}, length ${frameLength(f)}: ${body}`;
  return `${isArp ? 'ARP, ' : 'IP '}${body}`;
}

/** One captured frame as tcpdump prints it (several lines for -v), without a trailing newline. */
export function formatFrame(f: EthernetFrame, opts: FormatOptions, st: TcpdumpState): string {
  return frameText(f, opts, st);
}
