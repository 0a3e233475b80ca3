/**
 * tcpdump 4.99 text for one captured frame, as `tcpdump -nn [-e] [-v|-vv] [-i any]` prints it with
 * `-t` (no timestamp). Pure: the only memory between frames is the TcpdumpState the caller keeps
 * for a capture (tcpdump's relative TCP sequence numbers).
 *
 * Checked against real tcpdump 4.99.3 on Debian 12 (see format.test.ts and testdata/). Printer by
 * printer this follows print-ether.c, print-sll.c, print-arp.c, print-ip.c, print-icmp.c,
 * print-tcp.c, print-udp.c, print-vxlan.c, print-otv.c and util-print.c's txtproto_print.
 *
 * Checksums: the model has none, so every checksum is taken to be correct. That is what a capture
 * shows when the sender computed it in software (`ethtool -K … tx off`); on a veth with checksum
 * offload (the default) the sending side's capture shows a partial checksum instead, e.g.
 * `cksum 0x1732 (incorrect -> 0xe929)` for TCP and `[bad udp cksum 0x1720 -> 0x7d18!]` for UDP
 * with -vv. So -v prints `cksum 0x… (correct)` for TCP, with the real value computed here from the
 * segment's bytes, and -vv prints `[udp sum ok] ` for UDP. ICMP and IP checksums print nothing
 * when correct.
 */
import { formatIpv4 } from '../../../net/ipv4';
import { type Mac, isBroadcastMac, isMulticastMac, macBytes } from '../../../net/mac';
import {
  type ArpPacket,
  type EthernetFrame,
  type IcmpEcho,
  type IcmpError,
  type Ipv4Packet,
  type TcpFlags,
  type TcpOption,
  type TcpSegment,
  type UdpDatagram,
  ETH_HEADER_LEN,
  ICMP_HEADER_LEN,
  IPV4_HEADER_LEN,
  UDP_HEADER_LEN,
  frameLength,
  ipv4Length,
  l4Length,
} from '../../../net/packet';
import { tcpChecksum, tcpOptionBytes, tcpOptionEncoding, utf8Bytes } from './wire';
import { tcpdumpDns } from '../../../dns/print';

export interface AnyCapture {
  readonly ifname: string;
  readonly ifindex: number;
  /** The packet's direction on that interface; 'In' prints as B or M for broadcast/multicast. */
  readonly dir: 'In' | 'Out';
  /** Received although addressed to another host (a promiscuous port): printed as P. */
  readonly otherHost?: boolean;
  /** The device has no link-layer address in the cooked header (an IP tunnel): no MAC shown. */
  readonly noLinkAddr?: boolean;
}

export interface FormatOptions {
  /** -e: print the link-level header. */
  readonly link: boolean;
  /** How many -v were given (0, 1 or 2). */
  readonly verbose: number;
  /** Present for `-i any`: the cooked (LINUX_SLL2) header's interface and direction. */
  readonly any?: AnyCapture;
  /**
   * The interface's link type is RAW (an IP tunnel such as tunl0): the frame's Ethernet header
   * is not there, and -e prints "ip: " (print-raw.c) instead of one.
   */
  readonly raw?: boolean;
}

interface IsnPair {
  /** ISN of the side with the lower port (tcpdump's "src" after normalising the direction). */
  readonly seq: number;
  readonly ack: number;
}

/**
 * What tcpdump remembers between frames: the initial sequence numbers of each TCP conversation
 * (print-tcp.c's tcp_seq_hash4), so it can print sequence numbers relative to them.
 */
export class TcpdumpState {
  private readonly conversations = new Map<string, IsnPair>();

  /**
   * print-tcp.c, for an ACK-bearing segment: one entry per conversation, keyed with the lower
   * port (or, on equal ports, the lower address) first. If there is no entry yet, or the segment
   * carries SYN, (re)record the ISNs (seq, and ack − 1 for the other side) and print absolute
   * numbers; otherwise print both relative to the recorded ISNs. Segments without ACK are never
   * looked up and always print absolute.
   */
  relative(ip: Ipv4Packet, seg: TcpSegment): { readonly seq: number; readonly ack: number } {
    if (!seg.flags.ack) return { seq: seg.seq, ack: seg.ack };
    const rev = seg.sport > seg.dport || (seg.sport === seg.dport && ip.src > ip.dst);
    const key = rev
      ? `${ip.dst}>${ip.src}:${seg.dport}:${seg.sport}`
      : `${ip.src}>${ip.dst}:${seg.sport}:${seg.dport}`;
    const known = this.conversations.get(key);
    if (known === undefined || seg.flags.syn) {
      const other = (seg.ack - 1) >>> 0;
      this.conversations.set(
        key,
        rev ? { seq: other, ack: seg.seq } : { seq: seg.seq, ack: other },
      );
      return { seq: seg.seq, ack: seg.ack };
    }
    return rev
      ? { seq: (seg.seq - known.ack) >>> 0, ack: (seg.ack - known.seq) >>> 0 }
      : { seq: (seg.seq - known.seq) >>> 0, ack: (seg.ack - known.ack) >>> 0 };
  }
}

/** Thrown when a printer reads past the captured bytes (only inside a quoted ICMP payload). */
class Truncated extends Error {
  constructor(readonly protocol: string) {
    super(`truncated ${protocol}`);
  }
}

/** Accumulates the output, so that a truncation keeps what was printed before it. */
class Writer {
  private text = '';
  put(s: string): void {
    this.text += s;
  }
  toString(): string {
    return this.text;
  }
}

interface Ctx {
  readonly w: Writer;
  readonly opts: FormatOptions;
  readonly state: TcpdumpState;
}

export function formatFrame(
  frame: EthernetFrame,
  opts: FormatOptions,
  state: TcpdumpState,
): string {
  const ctx: Ctx = { w: new Writer(), opts, state };
  try {
    if (opts.any !== undefined) cookedHeader(ctx, frame, opts.any);
    else if (opts.raw === true) {
      if (opts.link) ctx.w.put('ip: ');
    } else if (opts.link) ethernetHeader(ctx, frame);
    l3(ctx, frame);
  } catch (e) {
    // print.c: a printer that runs off the captured bytes longjmps out; tcpdump then appends
    // " [|proto]" for the protocol being printed and ends the frame there.
    if (!(e instanceof Truncated)) throw e;
    ctx.w.put(` [|${e.protocol}]`);
  }
  return ctx.w.toString();
}

// ---------------------------------------------------------------------------------------------
// Link layer

const ETHERTYPE_IPV4 = 0x0800;
const ETHERTYPE_ARP = 0x0806;
/** A LINUX_SLL2 cooked header is 20 bytes where Ethernet's is 14; tcpdump counts it in -e length. */
const SLL2_HEADER_LEN = 20;

function etherTypeOf(frame: EthernetFrame): number {
  return frame.payload.kind === 'arp' ? ETHERTYPE_ARP : ETHERTYPE_IPV4;
}

function etherTypeText(type: number): string {
  const name = type === ETHERTYPE_ARP ? 'ARP' : 'IPv4';
  return `ethertype ${name} (0x${hex(type, 4)})`;
}

/** print-ether.c with -e: "src > dst, ethertype IPv4 (0x0800), length N: ". */
function ethernetHeader(ctx: Ctx, frame: EthernetFrame): void {
  ctx.w.put(
    `${frame.src} > ${frame.dst}, ${etherTypeText(etherTypeOf(frame))}, length ${frameLength(frame)}: `,
  );
}

/**
 * print-sll.c (sll2_if_print): "%-5s %-3s " interface name and packet type, then with -e
 * "ifindex N srcmac ethertype …, length N: " where the length includes the 20-byte SLL2 header.
 * The source MAC is the only link address the cooked header keeps.
 */
function cookedHeader(ctx: Ctx, frame: EthernetFrame, any: AnyCapture): void {
  ctx.w.put(`${any.ifname.padEnd(5)} ${packetType(frame.dst, any).padEnd(3)} `);
  if (!ctx.opts.link) return;
  const length = frameLength(frame) - ETH_HEADER_LEN + SLL2_HEADER_LEN;
  const addr = any.noLinkAddr === true ? '' : `${frame.src} `;
  ctx.w.put(
    `ifindex ${any.ifindex} ${addr}${etherTypeText(etherTypeOf(frame))}, length ${length}: `,
  );
}

/** The kernel's pkt_type as print-sll.c names it: received broadcasts and multicasts are B and M. */
function packetType(dst: Mac, any: AnyCapture): string {
  if (any.dir === 'Out') return 'Out';
  if (isBroadcastMac(dst)) return 'B';
  if (isMulticastMac(dst)) return 'M';
  return any.otherHost === true ? 'P' : 'In';
}

function l3(ctx: Ctx, frame: EthernetFrame): void {
  if (frame.payload.kind === 'arp') arp(ctx, frame.payload);
  else ip(ctx, frame.payload, ipv4Length(frame.payload));
}

// ---------------------------------------------------------------------------------------------
// ARP (print-arp.c)

const ARP_LEN = 28;

function arp(ctx: Ctx, a: ArpPacket): void {
  const { w, opts } = ctx;
  if (!opts.link) w.put('ARP, ');
  if (opts.verbose > 0) w.put('Ethernet (len 6), IPv4 (len 4), ');
  w.put(a.op === 'request' ? arpRequest(a) : arpReply(a));
  w.put(`, length ${ARP_LEN}`);
}

/** The target MAC is shown whenever it is non-zero, broadcast included. */
function arpRequest(a: ArpPacket): string {
  const target = macBytes(a.targetMac).some((b) => b !== 0) ? ` (${a.targetMac})` : '';
  return `Request who-has ${formatIpv4(a.targetIp)}${target} tell ${formatIpv4(a.senderIp)}`;
}

function arpReply(a: ArpPacket): string {
  return `Reply ${formatIpv4(a.senderIp)} is-at ${a.senderMac}`;
}

// ---------------------------------------------------------------------------------------------
// IPv4 (print-ip.c)

const IPPROTO_NAMES: Readonly<Record<number, string>> = {
  0: 'Options',
  1: 'ICMP',
  2: 'IGMP',
  4: 'IPIP',
  6: 'TCP',
  8: 'EGP',
  9: 'IGRP',
  17: 'UDP',
  33: 'DCCP',
  41: 'IPv6',
  43: 'Routing',
  44: 'Fragment',
  46: 'RSVP',
  47: 'GRE',
  50: 'ESP',
  51: 'AH',
  55: 'Mobile IP',
  58: 'ICMPv6',
  62: 'Mobile IP (old)',
  88: 'EIGRP',
  89: 'OSPF',
  103: 'PIM',
  108: 'Compressed IP',
  112: 'VRRP',
  113: 'PGM',
  132: 'SCTP',
  135: 'Mobility',
  143: 'Ethernet',
};

/**
 * One IPv4 packet. `captured` is how many of its bytes the capture holds: all of them, except
 * for the datagram quoted inside an ICMP error, which the kernel cuts at 548 bytes.
 */
function ip(ctx: Ctx, p: Ipv4Packet, captured: number): void {
  const { w, opts } = ctx;
  // With -e the link header already named the protocol, so "IP " is left out, even for packets
  // nested in ICMP errors, IP-in-IP and VXLAN.
  if (!opts.link) w.put('IP ');
  if (opts.verbose > 0) w.put(`${ipHeaderDetails(p)}\n    `);
  if (p.payload.kind !== 'tcp' && p.payload.kind !== 'udp') {
    w.put(`${formatIpv4(p.src)} > ${formatIpv4(p.dst)}: `);
  }
  const l4Captured = captured - IPV4_HEADER_LEN;
  switch (p.payload.kind) {
    case 'icmp':
      if ('original' in p.payload) icmpError(ctx, p.payload);
      else icmpEcho(ctx, p.payload);
      return;
    case 'tcp':
      tcp(ctx, p, p.payload, l4Captured);
      return;
    case 'udp':
      udp(ctx, p, p.payload, l4Captured);
      return;
    case 'ipip':
      ip(ctx, p.payload.inner, l4Captured);
      return;
  }
}

/** "(tos 0x0, ttl 64, id 1, offset 0, flags [DF], proto TCP (6), length 60)". */
function ipHeaderDetails(p: Ipv4Packet): string {
  const ttl = p.ttl >= 1 ? `, ttl ${p.ttl}` : '';
  const proto = `proto ${IPPROTO_NAMES[p.protocol] ?? 'unknown'} (${p.protocol})`;
  const flags = p.df ? 'DF' : 'none';
  return `(tos 0x${p.tos.toString(16)}${ecnText(p.tos)}${ttl}, id ${p.id}, offset 0, flags [${flags}], ${proto}, length ${ipv4Length(p)})`;
}

function ecnText(tos: number): string {
  return ['', ',ECT(1)', ',ECT(0)', ',CE'][tos & 3] ?? '';
}

// ---------------------------------------------------------------------------------------------
// ICMP (print-icmp.c)

function icmpEcho(ctx: Ctx, m: IcmpEcho): void {
  const what = m.type === 8 ? 'request' : 'reply';
  ctx.w.put(`ICMP echo ${what}, id ${m.id}, seq ${m.seq}, length ${ICMP_HEADER_LEN + m.dataLen}`);
}

/** With -v the quoted datagram follows on its own lines, printed as a packet in its own right. */
function icmpError(ctx: Ctx, m: IcmpError): void {
  ctx.w.put(`ICMP ${icmpErrorText(m)}, length ${l4Length(m)}`);
  if (ctx.opts.verbose === 0) return;
  ctx.w.put('\n\t');
  ip(ctx, m.original, Math.min(m.quotedLen, ipv4Length(m.original)));
}

function icmpErrorText(m: IcmpError): string {
  switch (m.type) {
    case 3:
      return unreachableText(m);
    case 5:
      return redirectText(m);
    case 11:
      return timeExceededText(m.code);
  }
}

const UNREACH_NET_CODES: Readonly<Record<number, string>> = {
  0: 'unreachable',
  6: 'unreachable - unknown',
  9: 'unreachable - admin prohibited',
  11: 'unreachable - tos prohibited',
};

const UNREACH_HOST_CODES: Readonly<Record<number, string>> = {
  1: 'unreachable',
  7: 'unreachable - unknown',
  10: 'unreachable - admin prohibited',
  12: 'unreachable - tos prohibited',
  13: 'unreachable - admin prohibited filter',
  14: 'unreachable - host precedence violation',
  15: 'unreachable - precedence cutoff',
};

function unreachableText(m: IcmpError): string {
  const dst = formatIpv4(m.original.dst);
  const net = UNREACH_NET_CODES[m.code];
  if (net !== undefined) return `net ${dst} ${net}`;
  const host = UNREACH_HOST_CODES[m.code];
  if (host !== undefined) return `host ${dst} ${host}`;
  switch (m.code) {
    case 2:
      return `${dst} protocol ${m.original.protocol} unreachable`;
    case 3:
      return portUnreachableText(m.original);
    case 4:
      return m.mtu
        ? `${dst} unreachable - need to frag (mtu ${m.mtu})`
        : `${dst} unreachable - need to frag`;
    case 5:
      return `${dst} unreachable - source route failed`;
    case 8:
      return `${dst} unreachable - source host isolated`;
    default:
      return `${dst} unreachable - #${m.code}`;
  }
}

function portUnreachableText(original: Ipv4Packet): string {
  const dst = formatIpv4(original.dst);
  const l4 = original.payload;
  if (l4.kind === 'tcp') return `${dst} tcp port ${l4.dport} unreachable`;
  if (l4.kind === 'udp') return `${dst} udp port ${l4.dport} unreachable`;
  // tcpdump reads the "port" from bytes 2–3 of whatever follows the IP header.
  const word = l4.kind === 'ipip' ? ipv4Length(l4.inner) : 0;
  return `${dst} protocol ${original.protocol} port ${word} unreachable`;
}

function redirectText(m: IcmpError): string {
  const dst = formatIpv4(m.original.dst);
  const gw = m.gateway === undefined ? '0.0.0.0' : formatIpv4(m.gateway);
  switch (m.code) {
    case 0:
      return `redirect ${dst} to net ${gw}`;
    case 1:
      return `redirect ${dst} to host ${gw}`;
    case 2:
      return `redirect-tos ${dst} to net ${gw}`;
    case 3:
      return `redirect-tos ${dst} to host ${gw}`;
    default:
      return `redirect-#${m.code} ${dst} to ${gw}`;
  }
}

function timeExceededText(code: number): string {
  if (code === 0) return 'time exceeded in-transit';
  if (code === 1) return 'ip reassembly time exceeded';
  return `time exceeded-#${code}`;
}

// ---------------------------------------------------------------------------------------------
// TCP (print-tcp.c)

const TCP_HEADER_LEN = 20;
const HTTP_PORTS: ReadonlySet<number> = new Set([80, 8080]);
/** print-tcp.c prints at most this much of the text an RST carries. */
const MAX_RST_DATA_LEN = 30;

/**
 * "a.p > b.q: Flags [..], cksum (-v), seq, ack, win, options, length N" and, on ports 80 and
 * 8080, the HTTP text. tcpdump has decoders for other ports too (telnet, smtp, ssh, ftp, dns,
 * bgp, redis, rtsp, nfs, …); the model's payloads there are opaque text, printed as nothing
 * after "length N", which is what tcpdump prints for ports without a decoder.
 */
function tcp(ctx: Ctx, p: Ipv4Packet, s: TcpSegment, captured: number): void {
  const { w, opts } = ctx;
  const optionBytes = tcpOptionBytes(s.options);
  const headerLen = TCP_HEADER_LEN + optionBytes.length;
  const data = utf8Bytes(s.data);
  const { seq, ack } = ctx.state.relative(p, s);
  w.put(
    `${formatIpv4(p.src)}.${s.sport} > ${formatIpv4(p.dst)}.${s.dport}: Flags [${flagText(s.flags)}]`,
  );
  // Only a segment captured whole can be checksummed (not so one quoted in an ICMP error).
  if (opts.verbose > 0 && captured >= headerLen + data.length) {
    w.put(`, cksum 0x${hex(tcpChecksum(p, s), 4)} (correct)`);
  }
  if (opts.verbose > 1 || data.length > 0 || s.flags.syn || s.flags.fin || s.flags.rst) {
    w.put(`, seq ${seq}`);
    if (data.length > 0) w.put(`:${(seq + data.length) >>> 0}`);
  }
  if (s.flags.ack) w.put(`, ack ${ack}`);
  w.put(`, win ${s.window}`);
  // The model has no urgent pointer; a URG segment would show it as 0.
  if (s.flags.urg) w.put(', urg 0');
  if (optionBytes.length > 0) w.put(`, options [${optionsText(s.options, optionBytes.length)}]`);
  w.put(`, length ${data.length}`);
  if (data.length === 0) return;
  const dataCaptured = Math.max(0, captured - headerLen);
  if (s.flags.rst && opts.verbose > 0) w.put(rstDataText(data));
  else if (HTTP_PORTS.has(s.sport) || HTTP_PORTS.has(s.dport)) http(ctx, data, dataCaptured);
}

/** bittok2str order: F S R P . U (E W are not modelled); "none" when no flag is set. */
function flagText(f: TcpFlags): string {
  const text =
    (f.fin ? 'F' : '') +
    (f.syn ? 'S' : '') +
    (f.rst ? 'R' : '') +
    (f.psh ? 'P' : '') +
    (f.ack ? '.' : '') +
    (f.urg ? 'U' : '');
  return text === '' ? 'none' : text;
}

/** "mss 1460,sackOK,TS val 1 ecr 0,nop,wscale 7"; zero padding shows once as "eol". */
function optionsText(options: readonly TcpOption[], paddedLen: number): string {
  const parts = options.map(optionText);
  const unpadded = options.reduce((n, o) => n + tcpOptionEncoding(o).length, 0);
  if (unpadded < paddedLen) parts.push('eol');
  return parts.join(',');
}

function optionText(o: TcpOption): string {
  switch (o.kind) {
    case 'mss':
      return `mss ${o.value}`;
    case 'sackOK':
      return 'sackOK';
    case 'ts':
      return `TS val ${o.val >>> 0} ecr ${o.ecr >>> 0}`;
    case 'nop':
      return 'nop';
    case 'wscale':
      return `wscale ${o.value}`;
  }
}

/** print_tcp_rst_data: with -v, text carried by an RST is shown (at most 30 bytes). */
function rstDataText(data: Uint8Array): string {
  const shown = data.subarray(0, MAX_RST_DATA_LEN);
  const more = data.length > MAX_RST_DATA_LEN ? '+' : '';
  return ` [RST${more} ${Array.from(shown, printChar).join('')}]`;
}

/** util-print.c fn_print_char: M- for bytes above 127, ^X for control characters. */
function printChar(byte: number): string {
  let c = byte;
  let out = '';
  if (c > 0x7f) {
    c &= 0x7f;
    out += 'M-';
  }
  if (!isPrint(c)) {
    c ^= 0x40;
    out += '^';
  }
  return out + String.fromCharCode(c);
}

// ---------------------------------------------------------------------------------------------
// HTTP (print-http.c → util-print.c txtproto_print)

const HTTP_METHODS: ReadonlySet<string> = new Set([
  'GET', 'PUT', 'COPY', 'HEAD', 'LOCK', 'MOVE', 'POLL', 'POST', 'BCOPY', 'BMOVE', 'MKCOL', 'TRACE',
  'LABEL', 'MERGE', 'DELETE', 'SEARCH', 'UNLOCK', 'REPORT', 'UPDATE', 'NOTIFY', 'BDELETE',
  'CONNECT', 'OPTIONS', 'CHECKIN', 'PROPFIND', 'CHECKOUT', 'CCM_POST', 'SUBSCRIBE', 'PROPPATCH',
  'BPROPFIND', 'BPROPPATCH', 'UNCHECKOUT', 'MKACTIVITY', 'MKWORKSPACE', 'UNSUBSCRIBE',
  'RPC_CONNECT', 'VERSION-CONTROL', 'BASELINE-CONTROL',
]); // prettier-ignore

/** txtproto_print's token buffer is 129 bytes: longer tokens are not commands. */
const MAX_TOKEN = 128;

/**
 * The bytes of a payload of which only the first `captured` are in the capture. Reading further
 * is a truncation, as GET_U_1 past the snapshot end is in tcpdump.
 */
class Payload {
  constructor(
    readonly bytes: Uint8Array,
    readonly captured: number,
  ) {}
  get length(): number {
    return this.bytes.length;
  }
  has(i: number): boolean {
    return i < this.captured;
  }
  at(i: number): number {
    if (!this.has(i)) throw new Truncated('http');
    return this.bytes[i] ?? 0;
  }
  text(from: number, to: number): string {
    return String.fromCharCode(...this.bytes.subarray(from, to));
  }
}

/**
 * ": HTTP" always. A request line (known method first) or a response line (3-digit code second)
 * is printed too: its first line without -v (": HTTP: GET / HTTP/1.1"), every text line with -v
 * (", length: N" then "\n\t"-prefixed lines). Body segments print just ": HTTP".
 */
function http(ctx: Ctx, data: Uint8Array, captured: number): void {
  const { w } = ctx;
  const payload = new Payload(data, captured);
  w.put(': HTTP');
  if (!startsHttpMessage(payload)) return;
  if (ctx.opts.verbose === 0) {
    textLine(w, payload, ': ', 0);
    return;
  }
  w.put(`, length: ${payload.length}`);
  let idx = 0;
  while (idx < payload.length) {
    const next = textLine(w, payload, '\n\t', idx);
    if (next === 0) break;
    idx = next;
  }
}

function startsHttpMessage(payload: Payload): boolean {
  const first = fetchToken(payload, 0);
  if (first === undefined) return false;
  if (HTTP_METHODS.has(first.token.toUpperCase())) return true;
  const second = fetchToken(payload, first.next);
  return second !== undefined && /^[0-9]{3}$/.test(second.token);
}

/** util-print.c fetch_token: a printable-ASCII word, then the blanks after it on the same line. */
function fetchToken(payload: Payload, start: number): { token: string; next: number } | undefined {
  let idx = start;
  for (; idx < payload.length; idx++) {
    if (!payload.has(idx)) return undefined;
    const c = payload.at(idx);
    if (c > 0x7f) return undefined;
    if (c === 0x20 || c === 0x09 || c === 0x0d || c === 0x0a) break;
    if (!isPrint(c)) return undefined;
    if (idx - start + 2 > MAX_TOKEN + 1) return undefined;
  }
  if (idx === start) return undefined;
  const token = payload.text(start, idx);
  for (; idx < payload.length; idx++) {
    if (!payload.has(idx)) break;
    const c = payload.at(idx);
    if (c === 0x0d || c === 0x0a || !isPrint(c) || (c !== 0x20 && c !== 0x09)) break;
  }
  return { token, next: idx };
}

/**
 * util-print.c print_txt_line: prints one CRLF- or LF-terminated line of printable text and
 * returns where the next starts, or 0 to stop (binary data, a lone CR, a CR at the very end).
 * Text that runs to the end without a line end is printed with " [|http]".
 */
function textLine(w: Writer, payload: Payload, prefix: string, start: number): number {
  for (let idx = start; idx < payload.length; idx++) {
    const c = payload.at(idx);
    if (c === 0x0a) {
      w.put(prefix + payload.text(start, idx));
      return idx + 1;
    }
    if (c === 0x0d) {
      if (idx + 1 >= payload.length) return 0;
      if (payload.at(idx + 1) !== 0x0a) return 0;
      w.put(prefix + payload.text(start, idx));
      return idx + 2;
    }
    if (!isPrint(c) && c !== 0x09) return 0;
  }
  w.put(`${prefix}${payload.text(start, payload.length)} [|http]`);
  return 0;
}

// ---------------------------------------------------------------------------------------------
// UDP (print-udp.c), VXLAN (print-vxlan.c) and OTV (print-otv.c)

const VXLAN_PORT = 4789;
/** DNS (print-domain.c); only the engine's DNS messages (byte payloads) are decoded as such. */
const DNS_PORT = 53;
/**
 * Flannel's VXLAN port. IANA gives 8472 to OTV, and tcpdump decodes it as such: the VXLAN header
 * (flags 0x08, 3 reserved bytes, VNI, 1 reserved byte) reads as "overlay 0, instance <vni>".
 */
const OTV_PORT = 8472;

/**
 * "a.p > b.q: UDP, length N", or the VXLAN/OTV header and the frame inside. tcpdump decodes
 * many well-known ports (DNS 53, DHCP 67/68, NTP 123, syslog 514, …); of those the model decodes
 * DNS (its resolver and servers send real DNS messages); other payloads are opaque text and print
 * as "UDP, length N".
 */
function udp(ctx: Ctx, p: Ipv4Packet, d: UdpDatagram, captured: number): void {
  const { w, opts } = ctx;
  const length = l4Length(d);
  w.put(`${formatIpv4(p.src)}.${d.sport} > ${formatIpv4(p.dst)}.${d.dport}: `);
  // -vv verifies the checksum when the whole datagram was captured; it is always right here.
  if (opts.verbose > 1 && captured >= length) w.put('[udp sum ok] ');
  const payload = d.payload;
  if (payload.kind === 'vxlan' && isPort(d, VXLAN_PORT)) {
    w.put(`VXLAN, flags [I] (0x08), vni ${payload.vni}\n`);
    innerEthernet(ctx, payload.inner);
  } else if (payload.kind === 'vxlan' && isPort(d, OTV_PORT)) {
    w.put(`OTV, flags [I] (0x08), overlay 0, instance ${payload.vni}\n`);
    innerEthernet(ctx, payload.inner);
  } else if (payload.kind === 'data' && payload.binary && isPort(d, DNS_PORT)) {
    const bytes = Uint8Array.from(payload.data, (c) => c.charCodeAt(0) & 0xff);
    w.put(tcpdumpDns(bytes, opts.verbose) ?? `UDP, length ${length - UDP_HEADER_LEN}`);
  } else {
    w.put(`UDP, length ${length - UDP_HEADER_LEN}`);
  }
}

function isPort(d: UdpDatagram, port: number): boolean {
  return d.sport === port || d.dport === port;
}

/** An encapsulated frame is printed as plain Ethernet (never cooked), on the line after. */
function innerEthernet(ctx: Ctx, frame: EthernetFrame): void {
  if (ctx.opts.link) ethernetHeader(ctx, frame);
  l3(ctx, frame);
}

// ---------------------------------------------------------------------------------------------
// Bytes

function hex(n: number, width: number): string {
  return n.toString(16).padStart(width, '0');
}

function isPrint(c: number): boolean {
  return c >= 0x20 && c <= 0x7e;
}
